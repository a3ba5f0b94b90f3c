package minifig.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * The untimed warm-up of the interleaved harnesses ({@link Interleaved}, {@link ConvForwardAB}, {@link ConvBackwardAB}):
 * whole rounds until {@link #MIN_ROUNDS} rounds and {@link #SECONDS} seconds have passed and the JIT is quiet (see
 * {@link #run}). A fixed three rounds
 * was not enough when a round is short: one GEMM of 128 x 6272 x 1152 per round (~40 ms with the peak loops) timed
 * C1's micro-kernel, whose Vector API calls box every vector (61 GC pauses in the run, JFR allocation samples in
 * {@code FloatVector.fma} under {@code kernel6x4}), and reported 110-160 GFLOP/s best, 82-95 median, against 203-206
 * once C2's code is installed (docs/performance.md).
 */
final class Warmup {
    private Warmup() {}

    /** Rounds run at least. */
    static final int MIN_ROUNDS = 3;

    /** Seconds the warm-up lasts at least: C2 installed the GEMM's kernels 1.2-1.4 s after the JVM started. */
    static final double SECONDS = 4;

    /** Seconds after which the warm-up ends even if the JIT is still compiling. */
    static final double MAX_SECONDS = 30;

    /**
     * Runs {@code round} (one untimed round of every case) until both minimums are met and two whole rounds in a row ran
     * without the JIT finishing a compilation (the JVM's total compilation time unchanged), or {@link #MAX_SECONDS} passed.
     * The fixed 4 s were not enough on a host where the compiler thread shares the benchmark's core (`taskset -c 1`,
     * 2026-12-02): `Interleaved` with ten rounds timed part of them on code C2 had not finished, 512 x 392 x 4608 reading
     * a median of 22-28 GFLOP/s against 84 over forty rounds, and its best 80-84% of peak against 86%.
     */
    static void run(Runnable round) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean tell = jit != null && jit.isCompilationTimeMonitoringSupported();
        long t0 = System.nanoTime(), compiled = tell ? jit.getTotalCompilationTime() : 0;
        // two quiet rounds in a row: the total counts a compilation when it ends, so one long C2 compilation spanning a
        // round leaves that round looking quiet
        for (int rounds = 1, quietRounds = 0; ; rounds++) {
            round.run();
            double s = (System.nanoTime() - t0) * 1e-9;
            long now = tell ? jit.getTotalCompilationTime() : 0;
            quietRounds = now == compiled ? quietRounds + 1 : 0;
            compiled = now;
            boolean quiet = quietRounds >= 2;
            if ((rounds >= MIN_ROUNDS && s >= SECONDS && quiet) || s >= MAX_SECONDS) {
                System.err.printf(java.util.Locale.ROOT, "warm-up: %d rounds in %.1f s%s%n", rounds, s,
                        quiet ? "" : " (stopped at the cap with the JIT still compiling)");
                return;
            }
        }
    }
}
