"""Command-line checks shared by bench's Python scripts: one line "PROG: error: ..." and exit status 2 for bad input,
never a traceback (the same rule as the Java CLI's and harnesses' "error: ..." lines)."""
import argparse
import json
import os
import re
import sys

# NetCase's names (bench/src/main/java/minifig/bench/NetCase.java): the networks, the peak, and MODE/layer cases
NETWORKS = ["resnet18_fwd", "resnet18_train", "resnet50keras_fwd", "custom_fwd", "custom_train"]
LAYER_CASE = re.compile(r"(fwd|fwd-gemm|train)/[A-Za-z0-9]+(_[0-9]+){6}")


class Parser(argparse.ArgumentParser):
    """argparse with its usage errors on one line: "PROG: error: MESSAGE (see PROG --help)"."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def fail(message):
    """Ends the script with one line "PROG: error: MESSAGE" and exit status 2."""
    sys.stderr.write(f"{os.path.basename(sys.argv[0])}: error: {message}\n")
    sys.exit(2)


def positive_int(text):
    """An argparse type: a whole number >= 1."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got '{text}'")
    return n


def nonneg_int(text):
    """An argparse type: a whole number >= 0."""
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got '{text}'")
    return n


def check_case(name):
    """name if it is one of NetCase's cases, else an ArgumentTypeError naming the accepted forms."""
    if name in NETWORKS or name == "peak" or LAYER_CASE.fullmatch(name):
        return name
    raise argparse.ArgumentTypeError(f"unknown case '{name}': expected one of {', '.join(NETWORKS)}, peak or "
                                     "MODE/name_C_H_O_K_stride_pad with MODE fwd, fwd-gemm or train")


def case_batch(text):
    """An argparse type: "CASE:BATCH", e.g. resnet18_fwd:8, as (case, batch)."""
    name, sep, batch = text.rpartition(":")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected CASE:BATCH, e.g. resnet18_fwd:8, got '{text}'")
    check_case(name)
    try:
        return name, positive_int(batch)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"'{text}': BATCH: expected a whole number >= 1, got '{batch}'") from None


def existing_file(text):
    """An argparse type: a path to a readable file."""
    if not os.path.isfile(text):
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    return text


def load_json(path):
    """The JSON in path; a missing file or invalid JSON ends the script with one line naming the file."""
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as e:
        fail(f"{path}: {e.strerror.lower()}")
    except json.JSONDecodeError as e:
        fail(f"{path}: not JSON (line {e.lineno}, column {e.colno}: {e.msg})")
