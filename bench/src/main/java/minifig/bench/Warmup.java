package minifig.bench;

/**
 * The untimed warm-up of the interleaved harnesses ({@link Interleaved}, {@link ConvForwardAB}, {@link ConvBackwardAB}):
 * whole rounds until both {@link #MIN_ROUNDS} rounds and {@link #SECONDS} seconds have passed. A fixed three rounds
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

    /** Runs {@code round} (one untimed round of every case) until both minimums are met. */
    static void run(Runnable round) {
        long t0 = System.nanoTime();
        for (int rounds = 0; rounds < MIN_ROUNDS || System.nanoTime() - t0 < SECONDS * 1e9; rounds++) round.run();
    }
}
