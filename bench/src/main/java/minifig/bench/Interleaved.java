package minifig.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.IntConsumer;
import minifig.BadInputException;
import minifig.kernels.Gemm;
import minifig.kernels.GemmBlocked;
import minifig.kernels.GemmEjml;
import minifig.kernels.GemmNaive;
import minifig.kernels.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Ratio measurements for a SHARED machine, where other people's builds come and go: the FMA peak
 * (PeakFlops' kernel, one thread and all threads) and the GEMMs run interleaved, round after round, in one
 * process, and each is reported by its best round (the one least disturbed) and its median. "% peak" is
 * best-vs-best, measured minutes apart at most. JMH (GemmBench) remains the tool on a quiet machine.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar minifig.bench.Interleaved
 * [--rounds 20] [--refs] [--threads 1,2] 512x512x512 1024x1024x1024 ...} ({@code --refs} adds EJML and, up to 512^3,
 * naive). {@code --threads 1} times the one-thread cases only, for a run pinned to one core ({@code taskset -c 1}).
 * Add {@code -XX:+UseParallelGC}, the collector the JMH benchmarks fork with: the GEMMs that pack a B too large for
 * L3 read it slower under G1, the JVM's default (B's packing from memory 18-19 GB/s vs 24-26 under Serial or
 * Parallel, the same code), which cost 128x6272x1152 3-6 points of peak. A run pinned to one core gets the Serial
 * collector by the JVM's ergonomics (one CPU), which is all the "pinned vs unpinned" difference once measured
 * here (docs/performance.md).
 *
 * <p>{@code --parts} splits each one-thread product into what it spends computing and what it spends getting B: the
 * same product with a packer that copies nothing (every panel the one left hot in the thread's buffer: micro-kernels,
 * A's reads and C's writes only; its output is discarded), B's packing alone (panel by panel into one reused buffer,
 * as the product packs it), and the product over a B packed beforehand into the kernel's layout and left in memory
 * ({@link GemmBlocked#inPlace}; checked to give the product's bits). "Hot" holds for products of one row block (M up
 * to 1032, every shape here): above that the product packs a block of panels at a time, and the case then reads the
 * block left in the buffer. A second table gives their times, the packing's rate and the bound if the packing
 * overlapped nothing (hot time + packing time) as a % of the peak: what a small-M shape such as 128x6272x1152 can
 * reach on the host at hand (docs/gemm.md).
 */
@Command(name = "Interleaved", sortOptions = false,
        description = "GEMMs and the FMA peak timed interleaved, round after round, in one process.")
public final class Interleaved implements Runnable {
    @Option(names = "--rounds", description = "timed rounds (default: ${DEFAULT-VALUE})")
    int rounds = 20;

    @Option(names = "--threads", split = ",", paramLabel = "T", description = "thread counts to time, e.g. 1,2 (default: 1,2)")
    int[] threadCounts = {1, 2};

    @Option(names = "--refs", description = "add EJML and, up to 512^3, the naive GEMM")
    boolean refs;

    @Option(names = "--parts", description = "split each one-thread product into computing and getting B (see the class comment)")
    boolean parts;

    @Parameters(paramLabel = "MxNxK", description = "products to time (default: ${DEFAULT-VALUE})")
    List<String> shapes = List.of("512x512x512", "1024x1024x1024");

    Interleaved() {}

    /** One timed case; flops 0 marks a case that is not a product (--parts' B packing), left out of the GFLOP/s table. */
    private record Case(String name, int threads, double flops, Runnable run) {}

    /** The indices in the case list of one shape's --parts cases. */
    private record Parts(String shape, GemmShape g, int product, int hot, int packing, int prePacked) {}

    public static void main(String[] args) {
        Harness.run(new Interleaved(), args);
    }

    @Override
    public void run() {
        Harness.atLeastOne("--rounds", rounds);
        Harness.atLeastOne("--threads", threadCounts);
        if (parts && Arrays.stream(threadCounts).noneMatch(t -> t == 1)) {
            throw new BadInputException("--parts splits the one-thread product: add 1 to --threads");
        }
        shapes.forEach(GemmShape::dims);
        int cores = Runtime.getRuntime().availableProcessors();
        float[] seed = PeakFlops.seed();
        int steps = 2_000_000;
        float[] sink = new float[cores];
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("peak", 1, PeakFlops.flops(steps), () -> sink[0] += PeakFlops.chains(seed, steps)));
        boolean multi = Arrays.stream(threadCounts).anyMatch(t -> t > 1);
        if (multi) {
            cases.add(new Case("peak", cores, cores * PeakFlops.flops(steps), () -> {
                Parallel.setThreads(cores);
                Parallel.parallelFor(cores, (lo, hi) -> sink[lo] += PeakFlops.chains(seed, steps));
            }));
        }
        List<Parts> split = new ArrayList<>();
        for (String shape : shapes) {
            GemmShape g = new GemmShape(shape, "NN");
            int product = -1;
            for (int t : threadCounts) {
                if (t == 1) product = cases.size();
                cases.add(new Case("ours " + shape, t, g.flops(), () -> {
                    Parallel.setThreads(t);
                    Gemm.sgemm(false, false, g.M, g.N, g.K, g.A, 0, g.K, g.B, 0, g.N, g.C, 0, g.N, false);
                }));
            }
            if (parts) {
                split.add(addParts(cases, shape, g, product));
            }
            if (refs) {
                cases.add(new Case("ejml " + shape, 1, g.flops(),
                        () -> GemmEjml.sgemm(false, false, g.M, g.N, g.K, g.A, 0, g.K, g.B, 0, g.N, g.C, 0, g.N, false)));
                if (g.flops() <= 2.0 * 512 * 512 * 512) {
                    cases.add(new Case("naive " + shape, 1, g.flops(),
                            () -> GemmNaive.sgemm(false, false, g.M, g.N, g.K, g.A, 0, g.K, g.B, 0, g.N, g.C, 0, g.N, false)));
                }
            }
        }
        double[][] secs = new double[cases.size()][rounds];
        IntConsumer round = r -> {
            for (int c = 0; c < cases.size(); c++) {
                long t0 = System.nanoTime();
                cases.get(c).run.run();
                if (r >= 0) secs[c][r] = (System.nanoTime() - t0) / 1e9;
            }
        };
        Warmup.run(() -> round.accept(-1)); // JIT, buffers, pool
        for (int r = 0; r < rounds; r++) round.accept(r);

        double peak1 = 0, peakAll = 0;
        for (int c = 0; c < (multi ? 2 : 1); c++) {
            double best = cases.get(c).flops / Arrays.stream(secs[c]).min().orElseThrow() / 1e9;
            if (c == 0) peak1 = best; else peakAll = best;
        }
        System.out.println("| case | threads | best GFLOP/s | median GFLOP/s | best % of peak |");
        System.out.println("|---|---:|---:|---:|---:|");
        for (int c = 0; c < cases.size(); c++) {
            Case k = cases.get(c);
            if (k.flops == 0) continue;         // a --parts packing case: bytes, in the parts table
            double[] s = secs[c].clone();
            Arrays.sort(s);
            double best = k.flops / s[0] / 1e9, median = k.flops / s[s.length / 2] / 1e9;
            double peak = k.threads == 1 ? peak1 : peakAll;
            System.out.println(String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.0f%% |", k.name, k.threads, best,
                    median, 100 * best / peak));
        }
        if (!split.isEmpty()) printParts(split, secs, peak1);
        System.out.println(String.format(Locale.ROOT, "%nsink %.3g (keeps the peak loops alive)", sink[0]));
    }

    /** Adds --parts' three cases for one shape, one thread each (see the class comment), and says where they are. */
    private static Parts addParts(List<Case> cases, String shape, GemmShape g, int product) {
        GemmBlocked gb = GemmBlocked.DEFAULT;
        int hot = cases.size();
        GemmBlocked.BPanels stored = GemmBlocked.matrix(false, g.B, 0, g.N);
        float[] c = new float[g.M * g.N];
        GemmBlocked.BPanels nothing = (pc, kcb, jc, ncb, bp, bpOff) -> { };
        cases.add(new Case("ours " + shape + ", B panel hot (no packing)", 1, g.flops(), () -> {
            Parallel.setThreads(1);
            gb.sgemm(false, g.M, g.N, g.K, g.A, 0, g.K, nothing, c, 0, g.N, false);
        }));
        // in the product's order and k blocks, into one panel-sized buffer as the product packs for M <= MC
        float[] panel = new float[g.K * GemmBlocked.NR];
        int packing = cases.size();
        cases.add(new Case("B packing " + shape, 1, 0, () -> {
            for (int jc = 0; jc < g.N; jc += gb.nBlock()) {
                int ncb = Math.min(gb.nBlock(), g.N - jc);
                for (int pc = 0, kcb; pc < g.K; pc += kcb) {
                    kcb = gb.kBlock(g.K, pc);
                    for (int j = 0; j < ncb; j += GemmBlocked.NR) stored.pack(pc, kcb, jc + j, Math.min(GemmBlocked.NR, ncb - j), panel, 0);
                }
            }
        }));
        float[] panels = new float[g.K * GemmBlocked.panelColumns(g.N)];
        stored.pack(0, g.K, 0, g.N, panels, 0);
        GemmBlocked.BPanels prePacked = GemmBlocked.inPlace(panels, 0, g.K);
        Parallel.setThreads(1);
        Gemm.sgemm(false, false, g.M, g.N, g.K, g.A, 0, g.K, g.B, 0, g.N, g.C, 0, g.N, false);
        gb.sgemm(false, g.M, g.N, g.K, g.A, 0, g.K, prePacked, c, 0, g.N, false);
        if (!Arrays.equals(c, g.C)) throw new IllegalStateException("--parts: the product over pre-packed B of " + shape
                + " differs from the product's bits, so it would not time the same work");
        int beforehand = cases.size();
        cases.add(new Case("ours " + shape + ", B packed beforehand, in memory", 1, g.flops(), () -> {
            Parallel.setThreads(1);
            gb.sgemm(false, g.M, g.N, g.K, g.A, 0, g.K, prePacked, c, 0, g.N, false);
        }));
        return new Parts(shape, g, product, hot, packing, beforehand);
    }

    private static void printParts(List<Parts> split, double[][] secs, double peak1) {
        System.out.println();
        System.out.println("| shape, one thread | product ms | B panel hot ms (% of peak) | B packing ms (GB/s) | hot + packing, % of peak | B packed beforehand, in memory ms |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        for (Parts p : split) {
            double flops = p.g.flops(), bytes = 4.0 * p.g.K * p.g.N;
            double product = best(secs[p.product]), hot = best(secs[p.hot]), pack = best(secs[p.packing]);
            System.out.println(String.format(Locale.ROOT, "| %s | %.2f | %.2f (%.0f%%) | %.2f (%.1f) | %.0f%% | %.2f |",
                    p.shape, 1e3 * product, 1e3 * hot, 100 * flops / hot / 1e9 / peak1, 1e3 * pack, bytes / pack / 1e9,
                    100 * flops / (hot + pack) / 1e9 / peak1, 1e3 * best(secs[p.prePacked])));
        }
    }

    private static double best(double[] s) {
        return Arrays.stream(s).min().orElseThrow();
    }
}
