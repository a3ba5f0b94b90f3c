#!/usr/bin/python3
"""Interleaved step times of our NetDriver under several JVM flag sets (e.g. the launcher's collector vs another).

Usage (from the repo root, after ./minifig bench-jar):
  /usr/bin/python3 bench/flags_ab.py ROUNDS WARMUP CASE BATCH THREADS NAME='FLAGS' NAME='FLAGS' ...
  /usr/bin/python3 bench/flags_ab.py 6 1 resnet18_train 32 1 "parallel=-XX:+UseParallelGC" \
      "zgc=-XX:+UseZGC -XX:InitialRAMPercentage=0.1 -XX:SoftMaxHeapSize=768m"
One warm process per flag set; every round times one step on each, alternating which goes first, as
compare.py does for engines. Prints each set's best and median step and their ratio to the first set's.
"""
import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchargs  # noqa: E402
import compare  # noqa: E402  (JAVA, JAR, Engine)


def flag_set(text):
    """An argparse type: NAME=FLAGS, as (name, [flags])."""
    name, sep, flags = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME='FLAGS', e.g. zgc='-XX:+UseZGC', got '{text}'")
    return name, flags.split()


def main():
    ap = benchargs.Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("rounds", type=benchargs.positive_int, metavar="ROUNDS")
    ap.add_argument("warm", type=benchargs.nonneg_int, metavar="WARMUP")
    ap.add_argument("case", type=benchargs.check_case, metavar="CASE")
    ap.add_argument("batch", type=benchargs.positive_int, metavar="BATCH")
    ap.add_argument("threads", type=benchargs.positive_int, metavar="THREADS")
    ap.add_argument("sets", type=flag_set, nargs="+", metavar="NAME='FLAGS'")
    a = ap.parse_args()
    if not os.path.isfile(compare.JAR):
        benchargs.fail(f"{compare.JAR}: no such file; build it first with ./minifig bench-jar")
    try:
        run(a)
    except compare.EngineError as e:
        benchargs.fail(str(e))


def run(a):
    rounds, warm, case, batch, threads = a.rounds, a.warm, a.case, a.batch, a.threads
    engines = []
    for name, flags in a.sets:
        cmd = [compare.JAVA, "--add-modules", "jdk.incubator.vector", *flags, "-cp", compare.JAR, "minifig.bench.NetDriver"]
        engines.append(compare.Engine(name, cmd))
    times = {e.name: [] for e in engines}
    for r in range(rounds + warm):
        for e in (engines if r % 2 == 0 else engines[::-1]):
            s = e.time(case, batch, threads, 1)
            if r >= warm:
                times[e.name].append(s)
            print(f"round {r} {e.name:10} {s:8.3f} s  load {open('/proc/loadavg').read().split()[0]}", flush=True)
    for e in engines:
        e.close()
    base = times[engines[0].name]
    for n, s in times.items():
        print(f"{n:10} best {min(s):.3f} s  median {statistics.median(s):.3f} s  ratio vs {engines[0].name}: "
              f"best {min(s) / min(base):.3f}  median {statistics.median(s) / statistics.median(base):.3f}")


if __name__ == "__main__":
    main()
