#!/usr/bin/python3
"""Interleaved step times of our NetDriver under several JVM flag sets (e.g. the launcher's collector vs another).

Usage (from the repo root, after ./minifig bench-jar):
  /usr/bin/python3 bench/flags_ab.py ROUNDS WARMUP CASE BATCH THREADS NAME='FLAGS' NAME='FLAGS' ...
  /usr/bin/python3 bench/flags_ab.py 6 1 resnet18_train 32 1 "parallel=-XX:+UseParallelGC" \
      "zgc=-XX:+UseZGC -XX:InitialRAMPercentage=0.1 -XX:SoftMaxHeapSize=768m"
One warm process per flag set; every round times one step on each, alternating which goes first, as
compare.py does for engines. Prints each set's best and median step and their ratio to the first set's.
"""
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (JAVA, JAR, Engine)


def main():
    if len(sys.argv) < 8:
        sys.exit(__doc__)
    rounds, warm, case = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    batch, threads = int(sys.argv[4]), int(sys.argv[5])
    engines = []
    for spec in sys.argv[6:]:
        name, flags = spec.split("=", 1)
        cmd = [compare.JAVA, "--add-modules", "jdk.incubator.vector", *flags.split(), "-cp", compare.JAR,
               "minifig.bench.NetDriver"]
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
