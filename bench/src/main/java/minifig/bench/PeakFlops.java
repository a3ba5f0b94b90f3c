package minifig.bench;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * This machine's fp32 FMA peak, the yardstick for every "% of peak" we report: CHAINS independent vector
 * FMA chains (enough to cover FMA latency x FMA ports), no memory traffic. oneCore runs one thread,
 * allCores one per available processor; JMH sums the flops rate over threads.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar PeakFlops -f 1}
 * <p>The loop inside the benchmark method is the measured kernel itself (a call per FMA would measure calls).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Thread)
public class PeakFlops {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** 12 chains x 4-cycle FMA latency covers 2 FMA ports with room to spare, and fits 16 AVX2 registers. */
    static final int CHAINS = 12;
    static final int STEPS = 10_000;

    private float[] seed;

    @Setup
    public void setup() {
        seed = seed();
    }

    /**
     * Runs the FMA chains for {@code steps} steps; returns a value that depends on every chain. Each chain is an
     * accumulator, c = a * b + c, the form of the GEMM micro-kernel. Chaining through a multiplicand instead
     * (c = c * a + b) measured only ~80% of this on Zen 3 (76.6-82.4 vs 96.8-100.5 GFLOP/s, one thread, same
     * processes), and the micro-kernel itself ran above that lower figure (docs/performance.md).
     */
    static float chains(float[] seed, int steps) {
        // Vectors are built from an array here, not kept in fields: C2 then knows their exact shape.
        FloatVector a = FloatVector.fromArray(S, seed, 0), b = FloatVector.fromArray(S, seed, S.length());
        FloatVector c0 = b, c1 = b.add(1), c2 = b.add(2), c3 = b.add(3), c4 = b.add(4), c5 = b.add(5);
        FloatVector c6 = b.add(6), c7 = b.add(7), c8 = b.add(8), c9 = b.add(9), c10 = b.add(10), c11 = b.add(11);
        for (int i = 0; i < steps; i++) {
            c0 = a.fma(b, c0); c1 = a.fma(b, c1); c2 = a.fma(b, c2); c3 = a.fma(b, c3);
            c4 = a.fma(b, c4); c5 = a.fma(b, c5); c6 = a.fma(b, c6); c7 = a.fma(b, c7);
            c8 = a.fma(b, c8); c9 = a.fma(b, c9); c10 = a.fma(b, c10); c11 = a.fma(b, c11);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    /** Floating-point operations of {@link #chains}. */
    static double flops(int steps) {
        return 2.0 * CHAINS * S.length() * steps;
    }

    /** Inputs for {@link #chains}: a * b ~ 1e-3, so a chain grows by ~1e-3 per step and stays finite and normal. */
    static float[] seed() {
        float[] seed = new float[2 * S.length()];
        for (int i = 0; i < seed.length; i++) seed[i] = 0.999f + 1e-6f * i;
        for (int i = S.length(); i < seed.length; i++) seed[i] *= 1e-3f;
        return seed;
    }

    private float chains(Flops f) {
        f.flops += flops(STEPS);
        return chains(seed, STEPS);
    }

    @Benchmark
    @Threads(1)
    public float oneCore(Flops f) {
        return chains(f);
    }

    @Benchmark
    @Threads(Threads.MAX)
    public float allCores(Flops f) {
        return chains(f);
    }
}
