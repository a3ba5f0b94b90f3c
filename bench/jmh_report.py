#!/usr/bin/python3
"""Turn JMH JSON results (java -jar benchmarks.jar ... -rf json -rff out.json) into a markdown table.

Every minifig benchmark counts its floating-point operations in a JMH aux counter named "flops"
(GEMM: 2*M*N*K; conv forward 2*O*OH*OW*C*KH*KW per image, backward twice that), which JMH reports as a
rate; GFLOP/s = that rate / 1e9. "% peak" divides by the PeakFlops result for the same number of threads
(oneCore for 1 thread, allCores otherwise), taken from the same files or from --peak-json. "best" columns
use each benchmark's best measurement iteration against the peak's best iteration: on a shared machine
that is the reading least disturbed by other work.

Usage: python3 bench/jmh_report.py gemm.json [conv.json ...] [--peak-json peak.json] [--out table.md]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchargs  # noqa: E402


def load(paths):
    rows = []
    for p in paths:
        data = benchargs.load_json(p)
        if not isinstance(data, list) or not all(isinstance(r, dict) and "benchmark" in r for r in data):
            benchargs.fail(f"{p}: not JMH results (expected the list that -rf json writes, each with a 'benchmark')")
        rows.extend(data)
    return rows


def gflops(row):
    sec = row.get("secondaryMetrics", {}).get("flops")
    if not sec or not sec.get("scoreUnit", "").endswith("/s"):
        return None, None
    err = sec.get("scoreError")
    # NaN when there are too few iterations for an error, which JMH's JSON writes as the string "NaN"
    err = float(err) if isinstance(err, str) else err
    err = None if err is None or err != err else err / 1e9
    return sec["score"] / 1e9, err


def best_gflops(row):
    """The best measurement iteration: on a shared machine, the one least disturbed by other work."""
    sec = row.get("secondaryMetrics", {}).get("flops")
    raw = [v for fork in (sec or {}).get("rawData", []) for v in fork]
    return max(raw) / 1e9 if raw else None


def time_per_op_ms(row):
    m = row["primaryMetric"]
    unit, score = m["scoreUnit"], m["score"]
    if unit == "ops/s":
        return 1e3 / score if score else float("nan")
    scale = {"s/op": 1e3, "ms/op": 1.0, "us/op": 1e-3, "ns/op": 1e-6}
    return score * scale[unit] if unit in scale else float("nan")


def threads_of(row):
    params = row.get("params", {})
    if "threads" in params:
        return int(params["threads"])
    return int(row.get("threads", 1))


def peaks(rows, best=False):
    out = {}
    for r in rows:
        name = r["benchmark"].rsplit(".", 2)
        if len(name) >= 2 and name[-2] == "PeakFlops":
            out[int(r.get("threads", 1))] = best_gflops(r) if best else gflops(r)[0]
    return out


def main():
    ap = benchargs.Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("json", nargs="+")
    ap.add_argument("--peak-json", action="append", default=[])
    ap.add_argument("--out")
    a = ap.parse_args()
    rows = load(a.json)
    peak = peaks(load(a.peak_json)) if a.peak_json else {}
    peak.update({k: v for k, v in peaks(rows).items() if k not in peak})
    best_peak = peaks(load(a.peak_json), best=True) if a.peak_json else {}
    best_peak.update({k: v for k, v in peaks(rows, best=True).items() if k not in best_peak})
    lines = ["| benchmark | params | threads | ms/op | GFLOP/s (mean ± err) | % peak | best iteration GFLOP/s | best % peak |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        bench = ".".join(r["benchmark"].rsplit(".", 2)[-2:])
        params = ", ".join(f"{k}={v}" for k, v in r.get("params", {}).items() if k != "threads")
        t = threads_of(r)
        g, err = gflops(r)
        gs = "" if g is None else (f"{g:.1f}" + (f" ± {err:.1f}" if err is not None else ""))
        p = peak.get(t) if t in peak else None
        pct = f"{100 * g / p:.0f}%" if g is not None and p else ""
        b = best_gflops(r)
        bp = best_peak.get(t)
        bs = "" if b is None else f"{b:.1f}"
        bpct = f"{100 * b / bp:.0f}%" if b is not None and bp else ""
        lines.append(f"| {bench} | {params} | {t} | {time_per_op_ms(r):.3f} | {gs} | {pct} | {bs} | {bpct} |")
    if peak:
        lines.append("")
        lines.append("Peak (PeakFlops, mean): " + ", ".join(f"{k} thread(s) {v:.1f} GFLOP/s" for k, v in sorted(peak.items()))
                     + "; best iteration: " + ", ".join(f"{k} thread(s) {v:.1f}" for k, v in sorted(best_peak.items())))
    text = "\n".join(lines) + "\n"
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
