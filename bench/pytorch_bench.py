#!/usr/bin/python3
"""PyTorch baseline for the same shapes as GemmBench and ConvBench, at 1 and 2 threads.

Same flop formulas as the JMH benchmarks: GEMM 2*M*N*K; conv forward 2*O*OH*OW*C*KH*KW per image, backward
(input and weight gradients) twice that. Median of timed repeats after warm-up. Always sets
torch.set_num_threads(n) explicitly. The machine is shared: compare ratios measured in one run.

Usage: /usr/bin/python3 bench/pytorch_bench.py [--threads 1 2] [--quick] [--json out.json] [--md out.md]
                                              [--default-malloc]
"""
import argparse
import json
import os
import sys
import time

import benchargs

# Freed memory stays in the process, as in compare.py's PyTorch timing process and as our JVM keeps its heap: with
# glibc's defaults a large freed tensor goes back to the kernel and is faulted in again on its next use, which on hosts
# with slow page faults made PyTorch's training steps 2.3-2.6x slower (docs/performance.md, "Page faults on this host").
# glibc reads GLIBC_TUNABLES only at start-up, so the script runs itself again with them set; --default-malloc opts out.
# The same setting as compare.py's TORCH_TIMING_TUNABLES.
TIMING_TUNABLES = "glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=17179869184"
if __name__ == "__main__" and "--default-malloc" not in sys.argv \
        and TIMING_TUNABLES not in os.environ.get("GLIBC_TUNABLES", ""):
    env = dict(os.environ)
    env["GLIBC_TUNABLES"] = ":".join(filter(None, [env.get("GLIBC_TUNABLES"), TIMING_TUNABLES]))
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import torch  # noqa: E402 (after the re-run above)
import torch.nn.functional as F

GEMM_SHAPES = ["256x256x256", "512x512x512", "1024x1024x1024", "2048x2048x2048",
               "64x12544x147", "64x3136x576", "128x784x1152", "256x196x2304", "512x49x4608",
               "128x784x64", "256x196x128", "512x49x256"]
# name_C_H_O_K_stride_pad, as ConvBench's layer param
CONV_LAYERS = ["stem_3_224_64_7_2_3", "l1_64_56_64_3_1_1", "l2_128_28_128_3_1_1", "l3_256_14_256_3_1_1",
               "l4_512_7_512_3_1_1", "ds2_64_56_128_1_2_0", "ds3_128_28_256_1_2_0", "ds4_256_14_512_1_2_0"]
BATCHES = [1, 8, 32]


def timeit(fn, min_time=0.5, min_reps=3):
    t0 = time.perf_counter()
    fn()  # warm-up
    if time.perf_counter() - t0 > 1.0:
        min_reps = 2  # slow calls (generic-BLAS GEMM at 2048): two timed reps are plenty
    else:
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


def bench_gemm(shape, min_time):
    M, N, K = (int(v) for v in shape.split("x"))
    g = torch.Generator().manual_seed(1234)
    a = torch.rand(M, K, generator=g) * 2 - 1
    b = torch.rand(K, N, generator=g) * 2 - 1
    c = torch.empty(M, N)
    sec = timeit(lambda: torch.mm(a, b, out=c), min_time)
    return sec, 2.0 * M * N * K


def bench_conv(layer, batch, backward, min_time):
    _, C, H, O, K, s, p = layer.split("_")
    C, H, O, K, s, p = int(C), int(H), int(O), int(K), int(s), int(p)
    g = torch.Generator().manual_seed(99)
    x = (torch.rand(batch, C, H, H, generator=g) * 2 - 1).requires_grad_(backward)
    w = (torch.rand(O, C, K, K, generator=g) * 2 - 1).requires_grad_(backward)
    OH = (H + 2 * p - K) // s + 1
    flops = 2.0 * O * OH * OH * C * K * K * batch
    if not backward:
        with torch.no_grad():
            sec = timeit(lambda: F.conv2d(x, w, stride=s, padding=p), min_time)
        return sec, flops
    y = F.conv2d(x, w, stride=s, padding=p)
    dy = torch.rand(y.shape, generator=g) * 2 - 1
    # Backward only: input and weight gradients from a fixed graph, like ConvBench.backward.
    sec = timeit(lambda: torch.autograd.grad(y, (x, w), dy, retain_graph=True), min_time)
    return sec, 2 * flops


def main():
    ap = benchargs.Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=benchargs.positive_int, nargs="+", default=[1, 2])
    ap.add_argument("--quick", action="store_true", help="batch 1 only, no 2048^3 GEMM, shorter timing")
    ap.add_argument("--json", default="pytorch_bench.json")
    ap.add_argument("--md")
    ap.add_argument("--default-malloc", action="store_true",
                    help="glibc's default malloc (freed memory returned to the kernel) instead of TIMING_TUNABLES")
    a = ap.parse_args()
    min_time = 0.2 if a.quick else 0.5
    batches = [1] if a.quick else BATCHES
    results = []
    for t in a.threads:
        torch.set_num_threads(t)
        for shape in GEMM_SHAPES:
            if a.quick and shape == "2048x2048x2048":
                continue
            sec, fl = bench_gemm(shape, min_time)
            results.append({"kind": "gemm", "shape": shape, "threads": t, "ms": sec * 1e3, "gflops": fl / sec / 1e9})
            print(f"gemm {shape:>16} threads={t}  {sec * 1e3:9.3f} ms  {fl / sec / 1e9:7.1f} GFLOP/s", flush=True)
        for layer in CONV_LAYERS:
            for batch in batches:
                for backward in (False, True):
                    sec, fl = bench_conv(layer, batch, backward, min_time)
                    kind = "conv_backward" if backward else "conv_forward"
                    results.append({"kind": kind, "layer": layer, "batch": batch, "threads": t,
                                    "ms": sec * 1e3, "gflops": fl / sec / 1e9})
                    print(f"{kind:13} {layer:>22} batch={batch:<2} threads={t}  {sec * 1e3:9.3f} ms"
                          f"  {fl / sec / 1e9:7.1f} GFLOP/s", flush=True)
    meta = {"torch": torch.__version__, "glibc_tunables": os.environ.get("GLIBC_TUNABLES", ""), "mkldnn": torch.backends.mkldnn.is_available(),
            "config": torch.__config__.show().splitlines()[:6]}
    with open(a.json, "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)
    lines = ["| kind | shape / layer | batch | threads | ms | GFLOP/s |", "|---|---|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['kind']} | {r.get('shape', r.get('layer'))} | {r.get('batch', '')} | {r['threads']} "
                     f"| {r['ms']:.3f} | {r['gflops']:.1f} |")
    if a.md:
        with open(a.md, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
