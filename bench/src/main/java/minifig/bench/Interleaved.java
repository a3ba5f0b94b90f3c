package minifig.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.IntConsumer;
import minifig.kernels.Gemm;
import minifig.kernels.GemmEjml;
import minifig.kernels.GemmNaive;
import minifig.kernels.Parallel;

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
 */
public final class Interleaved {
    private Interleaved() {}

    private record Case(String name, int threads, double flops, Runnable run) {}

    public static void main(String[] args) {
        int rounds = 20;
        boolean refs = false;
        int[] threadCounts = {1, 2};
        List<String> shapes = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--refs" -> refs = true;
                case "--threads" -> threadCounts = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                default -> shapes.add(args[i]);
            }
        }
        if (shapes.isEmpty()) shapes = List.of("512x512x512", "1024x1024x1024");
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
        for (String shape : shapes) {
            GemmShape g = new GemmShape(shape, "NN");
            for (int t : threadCounts) {
                cases.add(new Case("ours " + shape, t, g.flops(), () -> {
                    Parallel.setThreads(t);
                    Gemm.sgemm(false, false, g.M, g.N, g.K, g.A, 0, g.K, g.B, 0, g.N, g.C, 0, g.N, false);
                }));
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
            double[] s = secs[c].clone();
            Arrays.sort(s);
            double best = k.flops / s[0] / 1e9, median = k.flops / s[s.length / 2] / 1e9;
            double peak = k.threads == 1 ? peak1 : peakAll;
            System.out.println(String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.0f%% |", k.name, k.threads, best,
                    median, 100 * best / peak));
        }
        System.out.println(String.format(Locale.ROOT, "%nsink %.3g (keeps the peak loops alive)", sink[0]));
    }
}
