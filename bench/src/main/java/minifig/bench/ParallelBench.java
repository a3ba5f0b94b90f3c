package minifig.bench;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.TimeUnit;
import minifig.kernels.Parallel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What handing one slice to the second thread and waiting for it costs: {@link Parallel#parallelFor} over two
 * near-empty slices, through the engine's team of spinning workers ({@code team}), the same team with spinning
 * off so a worker parks at once ({@code teamParked}, -Dminifig.spinMicros=0), and a plain {@link ForkJoinPool} of
 * one worker (submit + join, what Parallel used before). {@code gapTokens} of {@link Blackhole#consumeCPU} on the
 * caller before each region stand for the serial work between two regions of a network step, during which an idle
 * worker goes to sleep. Every variant includes the gap ({@code gapOnly} times it alone).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar ParallelBench}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC"})
@State(Scope.Benchmark)
public class ParallelBench {
    /** Blackhole.consumeCPU tokens between two regions (0: back to back; 100000: ~150-250 µs here). */
    @Param({"0", "100000"})
    public long gapTokens;

    private ForkJoinPool pool;
    private final int[] out = new int[32];

    @Setup(Level.Trial)
    public void setup() {
        Parallel.setThreads(2);
        pool = new ForkJoinPool(1);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.shutdown();
    }

    private void region() {
        // slices write distinct cache lines, so the bench times the hand-over, not false sharing
        Parallel.parallelFor(2, 2, (lo, hi) -> out[16 * lo] += hi);
    }

    /** The gap alone: subtract it from the others' times. */
    @Benchmark
    public long gapOnly() {
        Blackhole.consumeCPU(gapTokens);
        return gapTokens;
    }

    @Benchmark
    public int team() {
        Blackhole.consumeCPU(gapTokens);
        region();
        return out[0] + out[16];
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-Dminifig.spinMicros=0"})
    public int teamParked() {
        Blackhole.consumeCPU(gapTokens);
        region();
        return out[0] + out[16];
    }

    @Benchmark
    public int forkJoinPool() {
        Blackhole.consumeCPU(gapTokens);
        ForkJoinTask<?> t = pool.submit(() -> out[16] += 2);
        out[0] += 1;
        t.join();
        return out[0] + out[16];
    }
}
