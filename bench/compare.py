#!/usr/bin/python3
"""Ours vs PyTorch on whole networks, INTERLEAVED, and the report docs/performance.md.

One long-lived process per engine (JIT and oneDNN caches stay warm): minifig.bench.NetDriver (Java) and
bench/pytorch_nets.py (torch 1.13). Each holds one case's model at a time, as a user's process holds one model, and
runs one untimed step on a case it has just built. First each engine warms up alone (--solo-warmup passes over every
(case, threads), the others idle), then each round runs every (case, threads) once on every engine, alternating
which engine goes first, so both see the same neighbours on this shared machine. The solo passes exist because two
Java engines warmed up interleaved did not end up alike: with two of our processes from the same jar (`--ab` the
same jar, `--no-torch --cases resnet18_train:32`), the one listed first, which goes first in the warm-up round, ran
its two-thread steps at 0.87x and 0.88x the other's speed (best round; three passes alone first: 1.00x and 1.01x),
and a scratch driver of the same protocol found it slower in seven of seven runs (docs/performance.md).
Reported per engine: the best round (least disturbed) and the median; the ratio ours/torch in images per second,
best-vs-best and median-vs-median. Then peak RSS (VmHWM) of a training run on each side, one fresh process each.

Usage (from the repo root, after ./minifig bench-jar):
  /usr/bin/python3 bench/compare.py [--rounds 3] [--threads 1 2] [--cases resnet18_fwd:8 ...] [--rss-steps 3]
                                    [--no-rss] [--out docs/performance.md] [--ab OTHER.jar]
  /usr/bin/python3 bench/compare.py --layers [--layer-batches 1 8 32] [--rounds 3]
--layers times ResNet-18's conv layers one by one instead of the networks (NetCase's layer cases: the eval forward
as the network runs it, the same without Winograd, and a training forward + backward), next to this machine's FMA
peak measured in the same rounds, and writes GFLOP/s and % of peak for both engines.
--ab OTHER.jar adds a third engine, the Java driver from another build (before/after a change). That build's own
NetDriver runs it: builds from before 2026-11-30 16:40 keep every case's model (the old protocol, slower on our side
at two threads); for a same-protocol A/B build the old code with the current NetDriver.java, as the results block of
that day did (docs/performance.md, "What is measured").
The networks' results go between the markers <!-- results:begin --> and <!-- results:end --> of --out, the
layers' between <!-- layers:begin --> and <!-- layers:end --> (the rest of the file, the hand-written notes, is
kept); a missing file is created.
"""
import argparse
import datetime
import os
import platform
import re
import statistics
import subprocess
import sys
import time

import benchargs
from benchargs import nonneg_int, positive_int

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JAVA = "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java"
JAR = os.path.join(ROOT, "bench/target/benchmarks.jar")
# The ./minifig launcher's defaults on a machine with >= 8 GiB of RAM (keep the two equal): generational ZGC with
# a 768 MiB soft heap target, which NetDriver raises while ZGC is busy (minifig.cli.HeapTarget, as the CLI does); see
# the launcher's comment and docs/performance.md, "Heap flags".
JVM_FLAGS = ["--add-modules", "jdk.incubator.vector", "-XX:+UseZGC", "-XX:InitialRAMPercentage=0.1",
             "-XX:SoftMaxHeapSize=768m"]
DEFAULT_CASES = ["resnet18_fwd:1", "resnet18_fwd:8", "resnet18_train:8", "resnet18_train:32",
                 "resnet50keras_fwd:8", "custom_fwd:32", "custom_train:32"]
# ResNet-18's distinct conv layers, name_C_H_O_K_stride_pad (as bench ConvBench's layer param): the stem, the 3x3/1
# convs of layer1-layer4, the 3x3/2 convs that open layer2-layer4, and their 1x1/2 downsamples.
LAYERS = ["stem_3_224_64_7_2_3", "l1_64_56_64_3_1_1", "l2_128_28_128_3_1_1", "l3_256_14_256_3_1_1",
          "l4_512_7_512_3_1_1", "s2_64_56_128_3_2_1", "s3_128_28_256_3_2_1", "s4_256_14_512_3_2_1",
          "ds2_64_56_128_1_2_0", "ds3_128_28_256_1_2_0", "ds4_256_14_512_1_2_0"]


def layer_cases(batches):
    """NetCase's layer cases for every layer: fwd and train, and fwd-gemm where our forward runs Winograd (3x3/1)."""
    cases = []
    for layer in LAYERS:
        winograd = layer.endswith("_3_1_1")
        for mode in ["fwd", "fwd-gemm", "train"] if winograd else ["fwd", "train"]:
            cases += [f"{mode}/{layer}:{b}" for b in batches]
    return cases


def is_layer(case):
    return "/" in case or case == "peak"


def jvm_flags(extra=()):
    """JVM_FLAGS then extra; like the launcher, an -Xmx drops the soft target (the JVM refuses one above the cap)."""
    xmx = any(f.startswith("-Xmx") for f in extra)
    return [f for f in JVM_FLAGS if not (xmx and f.startswith("-XX:SoftMaxHeapSize="))] + list(extra)


def java_cmd(jar, extra=()):
    return [JAVA, *jvm_flags(extra), "-cp", jar, "minifig.bench.NetDriver"]


TORCH_CMD = ["/usr/bin/python3", os.path.join(ROOT, "bench/pytorch_nets.py")]

# glibc's malloc returns every large block (a b32 activation) to the kernel when torch frees it, so each step faults
# its activations in again; our JVM keeps its heap committed. On a VM where a minor fault costs ~15 us (the Zen 5
# host of 2026-12-02: 1 GB of fresh pages in 3.4-4.4 s, 20-25 GB/s re-filling them) that alone made torch's b32
# training step 2.3-2.6x slower (5.6-6.5 s vs 2.4-2.5 s per step at one thread). Keeping freed memory in the process,
# as the JVM does, times the two engines' kernels, not the host's page faults. The RSS runs keep glibc's defaults:
# torch's smallest footprint (docs/performance.md, "Page faults on this host").
TORCH_TIMING_TUNABLES = "glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=17179869184"


def torch_env(a):
    """The environment of PyTorch's timing process: see TORCH_TIMING_TUNABLES (--torch-default-malloc: none)."""
    env = dict(os.environ)
    if not a.torch_default_malloc:
        env["GLIBC_TUNABLES"] = ":".join(filter(None, [env.get("GLIBC_TUNABLES"), TORCH_TIMING_TUNABLES]))
    return env


class EngineError(Exception):
    """An engine's process died or refused a request: reported as one line, not a traceback."""


class Engine:
    def __init__(self, name, cmd, env=None):
        self.name = name
        self.cmd = cmd
        self.flops = {}     # (case, batch, threads) -> floating-point operations per step, as our driver reports them
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True, bufsize=1, env=env)

    def time(self, case, batch, threads, reps):
        try:
            self.p.stdin.write(f"{case} {batch} {threads} {reps}\n")
            self.p.stdin.flush()
        except BrokenPipeError:
            pass        # the process has exited: reported below, with its status
        try:
            line = self.p.stdout.readline()
        except OSError:
            line = ""
        if not line:
            status = self.p.wait()
            raise EngineError(f"engine '{self.name}' exited (status {status}) on '{case} {batch} {threads}'; run "
                              f"{' '.join(self.cmd)} by hand and type that line to see why")
        if not line.startswith("ok "):
            raise EngineError(f"engine '{self.name}' on '{case} {batch} {threads}': {line.strip()}")
        f = line.split()
        self.flops[(case, batch, threads)] = float(f[3]) if len(f) > 3 else 0.0
        return float(f[1])

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def timed_step(label, engine, case, batch, threads):
    """One request to an engine (its fastest of reps_for steps), logged as a progress line; returns seconds per step."""
    sec = engine.time(case, batch, threads, reps_for(case, batch))
    rate = f"{batch / sec:7.2f} img/s"
    if is_layer(case) and engine.flops.get((case, batch, threads)):
        rate = f"{engine.flops[(case, batch, threads)] / sec / 1e9:7.1f} GFLOP/s"
    print(f"{label} {engine.name:8} {case:18} b{batch:<3} t{threads}  {sec:8.4f} s  {rate}", flush=True)
    return sec


def reps_for(case, batch):
    """Repetitions per round: enough that a round of a fast case is not one timer tick."""
    if case == "peak":
        return 5
    if "/" in case:
        return 3 if batch <= 8 or case.startswith("fwd") else 1
    return 3 if (batch <= 8 and "train" not in case and "resnet50" not in case) or case.startswith("custom") else 1


def machine():
    model, flags, fam = "?", set(), {}
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name") and model == "?":
            model = line.split(":", 1)[1].strip()
        for key in ("cpu family", "model"):
            if line.split(":")[0].strip() == key and key not in fam:
                fam[key] = line.split(":", 1)[1].strip()
        if line.startswith("flags") and not flags:
            flags = set(line.split(":", 1)[1].split())
    model += f" (family {fam.get('cpu family', '?')} model {fam.get('model', '?')})"
    simd = [f for f in ("avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl") if f in flags]
    jdk = subprocess.run([JAVA, "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    torch_v = subprocess.run(["/usr/bin/python3", "-c", "import torch, torchvision; print(torch.__version__, torchvision.__version__)"],
                             capture_output=True, text=True).stdout.strip()
    load = open("/proc/loadavg").read().split()[:3]
    return {"cpu": model, "simd": " ".join(simd), "avx512": "avx512f" in flags, "cores": os.cpu_count(),
            "jdk": jdk, "torch": torch_v, "load": " ".join(load), "kernel": platform.release()}


def core_round_trip():
    """ns per cache-line round trip between two threads (minifig.bench.CoreLatency), or None if it cannot run."""
    out = subprocess.run([JAVA, "-cp", JAR, "minifig.bench.CoreLatency"], capture_output=True, text=True)
    m = re.search(r"round trip (\d+) ns", out.stdout)
    return int(m.group(1)) if m else None


def rss(cmd_prefix, case, batch, threads, steps):
    out = subprocess.run([*cmd_prefix, "--rss", case, str(batch), str(threads), str(steps)],
                         capture_output=True, text=True)
    m = re.search(r"rss_kb (\d+)", out.stdout)
    if not m:
        raise RuntimeError(f"rss run failed: {out.stdout} {out.stderr[-2000:]}")
    return int(m.group(1))


def main():
    ap = benchargs.Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=positive_int, default=3)
    ap.add_argument("--warmup", type=nonneg_int, default=1,
                    help="unreported warm-up rounds; a training step's JIT needs ~4 steps (1 per round) to settle")
    ap.add_argument("--solo-warmup", type=nonneg_int, default=3,
                    help="unreported passes over every (case, threads) per engine, one engine at a time, before the rounds")
    ap.add_argument("--threads", type=positive_int, nargs="+", default=[1, 2])
    ap.add_argument("--cases", type=benchargs.case_batch, nargs="+",
                    help="CASE:BATCH, e.g. resnet18_fwd:8 (default: the networks, or none with --layers)")
    ap.add_argument("--layers", action="store_true", help="time ResNet-18's conv layers (LAYERS) and the FMA peak")
    ap.add_argument("--layer-batches", type=positive_int, nargs="+", default=[1, 8, 32])
    ap.add_argument("--rss-steps", type=positive_int, default=3)
    ap.add_argument("--no-rss", action="store_true")
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--ab", type=benchargs.existing_file, help="another benchmarks.jar to time as engine 'ours-ab' (A/B of a change)")
    ap.add_argument("--rss-xmx", default="",
                    help="also measure our RSS with this hard heap cap, e.g. 1200m (default: only the launcher's flags)")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/performance.md"))
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--torch-default-malloc", action="store_true",
                    help="time PyTorch with glibc's default malloc, which returns freed activations to the kernel "
                         "(by default its timing process keeps them, as our JVM keeps its heap)")
    a = ap.parse_args()
    if not os.path.isfile(JAR):
        benchargs.fail(f"{JAR}: no such file; build it first with ./minifig bench-jar")
    if not a.no_write and not os.path.isdir(os.path.dirname(os.path.abspath(a.out))):
        benchargs.fail(f"--out {a.out}: no such directory")
    try:
        run(a)
    except EngineError as e:
        benchargs.fail(str(e))


def run(a):
    """The runs main() describes: warm-ups, rounds, RSS, then the report."""
    started = datetime.datetime.now().astimezone()
    info = machine()
    info["trip_start"] = core_round_trip()
    engines = [Engine("ours", java_cmd(JAR))]
    if a.ab:
        engines.append(Engine("ours-ab", java_cmd(a.ab)))
    if not a.no_torch:
        engines.append(Engine("torch", TORCH_CMD, torch_env(a)))
    cases = (a.cases if a.cases is not None else [] if a.layers else [benchargs.case_batch(c) for c in DEFAULT_CASES]) + (
        [benchargs.case_batch(c) for c in layer_cases(a.layer_batches)] if a.layers else [])
    if any(is_layer(c) for c, _ in cases) and ("peak", 1) not in cases:
        cases.insert(0, ("peak", 1))   # the yardstick of the layers' % of peak, measured in the same rounds
    times = {}  # (engine, case, batch, threads) -> [sec per step]
    for e in engines:          # each engine warms up on its own, the others idle (see the module's doc)
        for p in range(a.solo_warmup):
            for case, batch in cases:
                if case == "peak" and e.name == "torch":
                    continue
                for t in a.threads:
                    timed_step(f"solo {p}", e, case, batch, t)
    info["trips"] = []      # the core-to-core round trip at the start of each round: the host may move the vCPUs
    for r in range(a.rounds + a.warmup):   # the first rounds warm up (JIT, allocation of workspaces), not reported
        info["trips"].append(core_round_trip())
        for case, batch in cases:
            for t in a.threads:
                order = engines if (r + len(times)) % 2 == 0 else engines[::-1]
                for e in order:
                    if case == "peak" and e.name == "torch":
                        continue      # the peak is the machine's, measured by our FMA chains
                    sec = timed_step(f"round {r}", e, case, batch, t)
                    if r >= a.warmup:
                        times.setdefault((e.name, case, batch, t), []).append(sec)
    for e in engines:
        e.close()
    info["trip_end"] = core_round_trip()

    rows, layer_rows, peak = [], [], {}
    for case, batch in cases:
        for t in a.threads:
            row = {"case": case, "batch": batch, "threads": t}
            fl = engines[0].flops.get((case, batch, t), 0.0)
            for e in engines:
                if (e.name, case, batch, t) not in times:
                    continue
                s = times[(e.name, case, batch, t)]
                # networks: images per second; layers and the peak: GFLOP/s (our driver's flop count for both engines)
                per = fl / 1e9 if is_layer(case) else batch
                row[e.name] = (per / min(s), per / statistics.median(s))
            if case == "peak":
                peak[t] = row["ours"]
            elif is_layer(case):
                layer_rows.append(row)
            else:
                rows.append(row)

    rss_rows = []
    if not a.no_rss and rows:
        for t in a.threads[:1]:
            torch_kb = rss(TORCH_CMD, "resnet18_train", 32, t, a.rss_steps) if not a.no_torch else None
            for opts in ([], [f"-Xmx{a.rss_xmx}"] if a.rss_xmx else None):
                if opts is None:
                    continue
                t0 = time.perf_counter()
                ours_kb = rss(java_cmd(JAR, opts), "resnet18_train", 32, t, a.rss_steps)
                sec = time.perf_counter() - t0
                label = " ".join(jvm_flags(opts)[2:])
                rss_rows.append((t, label, ours_kb, torch_kb, sec))
                print(f"rss resnet18_train b32 t{t} ({label}): ours {ours_kb / 1024:.0f} MB in {sec:.0f} s, torch "
                      f"{'-' if torch_kb is None else f'{torch_kb / 1024:.0f} MB'}", flush=True)

    blocks = []
    if rows:
        blocks.append(("results", report(a, info, started, engines, rows, rss_rows)))
    if layer_rows:
        blocks.append(("layers", layer_report(a, info, started, engines, layer_rows, peak)))
    for name, md in blocks:
        print(md)
        if not a.no_write:
            write(a.out, md, name)


def fmt_trip(ns):
    return "not measured" if ns is None else f"{ns} ns"


def header(a, info, started):
    """The run's command, protocol and machine, first lines of each block."""
    cmd = "/usr/bin/python3 bench/compare.py " + " ".join(sys.argv[1:])
    return [f"Measured {started:%Y-%m-%d %H:%M %Z} with `{cmd.strip()}`, {a.rounds} interleaved rounds "
           f"(plus {a.warmup} warm-up round{'s' if a.warmup != 1 else ''}, after {a.solo_warmup} solo warm-up "
           f"pass{'es' if a.solo_warmup != 1 else ''} per engine).", "",
           f"* CPU: {info['cpu']}, {info['cores']} cores, SIMD flags: {info['simd']} "
           f"({'AVX-512' if info['avx512'] else 'no AVX-512'}); load average at the start: {info['load']}",
           f"* Core-to-core round trip (`minifig.bench.CoreLatency`): {fmt_trip(info.get('trip_start'))} before the "
           f"solo warm-up, {', '.join(fmt_trip(t) for t in info.get('trips', [])) or 'none'} at the start of each "
           f"round, {fmt_trip(info.get('trip_end'))} after the rounds (~43 ns when the two vCPUs share a cache, "
           f"~370 ns when they do not; docs/performance.md, \"Image slots\")",
           f"* JDK: {info['jdk']}; JVM flags {' '.join(JVM_FLAGS)}",
           f"* PyTorch / torchvision: {info['torch']} (Debian's build: oneDNN convolutions, generic BLAS); its timing "
           + ("process on glibc's default malloc" if a.torch_default_malloc else
              f"process with `GLIBC_TUNABLES={TORCH_TIMING_TUNABLES}` (freed memory kept in the process, as our "
              f"JVM keeps its heap; the RSS runs on glibc's defaults)"), ""]


def report(a, info, started, engines, rows, rss_rows):
    names = [e.name for e in engines]
    out = header(a, info, started) + [
           "Images per second, best round (median round in brackets); ratio = ours / torch at the same thread count.", ""]
    head = "| network | batch | threads | " + " | ".join(f"{n} img/s" for n in names)
    if "torch" in names:
        head += " | ours/torch best | ours/torch median"
    if "ours-ab" in names:
        head += " | ours/ours-ab best | ours/ours-ab median"
    out.append(head + " |")
    out.append("|---|---:|---:|" + "---:|" * (len(names) + 2 * ("torch" in names) + 2 * ("ours-ab" in names)))
    for r in rows:
        cells = [r["case"], str(r["batch"]), str(r["threads"])]
        cells += [f"{r[n][0]:.2f} ({r[n][1]:.2f})" for n in names]
        for other in ("torch", "ours-ab"):
            if other in names:
                cells += [f"{r['ours'][0] / r[other][0]:.2f}", f"{r['ours'][1] / r[other][1]:.2f}"]
        out.append("| " + " | ".join(cells) + " |")
    if rss_rows:
        out += ["", f"Peak resident memory (VmHWM) of a fresh process running {a.rss_steps} resnet18 training steps at batch 32:", "",
                "| threads | our JVM heap flags | ours MB | torch MB | ours/torch | our process wall time |",
                "|---:|---|---:|---:|---:|---:|"]
        for t, label, o, tk, sec in rss_rows:
            out.append(f"| {t} | `{label}` | {o / 1024:.0f} | {'-' if tk is None else f'{tk / 1024:.0f}'} | "
                       f"{'-' if tk is None else f'{o / tk:.2f}'} | {sec:.0f} s |")
    return "\n".join(out) + "\n"


def layer_report(a, info, started, engines, rows, peak):
    names = [e.name for e in engines]
    out = header(a, info, started) + [
        "FMA peak measured in the same rounds (`peak`: `PeakFlops`' independent FMA chains on every thread), best "
        "(median) GFLOP/s: " + ", ".join(f"{t} thread{'s' if t > 1 else ''} {p[0]:.1f} ({p[1]:.1f})"
                                         for t, p in sorted(peak.items())) + ".", "",
        "Each conv layer alone, no bias, random input: GFLOP/s = direct-convolution flops (forward 2·O·OH·OW·C·K·K per "
        "image; `train` = training forward + dX + dW, three times that) / time, best round (median in brackets); "
        "% of peak = best against the best peak at the same thread count. `fwd` is the eval forward as the "
        "network runs it: ours takes the 3x3/1 convs through Winograd F(2x2,3x3), 2.25x fewer multiply-adds, so its "
        "rate there is an im2col-equivalent one and may pass 100%; `fwd-gemm` is the same forward with Winograd "
        "forbidden (implicit im2col + GEMM, the kernel the targets' % of peak is about). PyTorch runs its own choice "
        "(oneDNN) in both; `train` trains as each engine does (ours: Winograd where `Conv2d` picks it).", ""]
    head = "| layer | C→O, K/stride | pass | batch | threads | " + " | ".join(
        f"{n} GFLOP/s | {n} % of peak" for n in names)
    if "torch" in names:
        head += " | ours/torch best | ours/torch median"
    out.append(head + " |")
    out.append("|---|---|---|---:|---:|" + "---:|" * (2 * len(names) + 2 * ("torch" in names)))
    for r in rows:
        mode, layer = r["case"].split("/")
        name, C, H, O, K, st, _ = layer.split("_")
        cells = [name, f"{C}→{O} at {H}x{H}, {K}x{K}/{st}", mode, str(r["batch"]), str(r["threads"])]
        p = peak.get(r["threads"], (float("nan"),))[0]
        for n in names:
            cells += [f"{r[n][0]:.1f} ({r[n][1]:.1f})", f"{100 * r[n][0] / p:.0f}%"]
        if "torch" in names:
            cells += [f"{r['ours'][0] / r['torch'][0]:.2f}", f"{r['ours'][1] / r['torch'][1]:.2f}"]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def write(path, md, name="results"):
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{md}{end}"
    if os.path.exists(path):
        text = open(path).read()
        if begin in text and end in text:
            text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
    else:
        text = "# Performance: whole networks, ours vs PyTorch\n\n" + block + "\n"
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
