package minifig.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import minifig.kernels.MaxPool;
import minifig.kernels.MaxPoolNaive;
import minifig.kernels.Parallel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Max pooling forward with argmax (the training path), vectorised ({@link MaxPool}) vs the reference window loop
 * ({@link MaxPoolNaive}), and without argmax (inference: {@code vectorNoArgmax}, {@code naiveNoArgmax}), on
 * ResNet's stem pool: 3x3 stride 2 pad 1 over 64 x 112 x 112 per image, ReLU-like input (half zeros, so windows
 * tie).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar MaxPoolBench -f 1}
 * ({@code -p batch=8 MaxPoolBench.vector} for the training path alone, fresh and after eval).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g", "-XX:+UseParallelGC"})
@State(Scope.Benchmark)
public class MaxPoolBench {
    @Param({"1", "8"})
    public int batch;

    @Param({"1"})
    public int threads;

    private static final int C = 64, H = 112, OH = 56;
    private float[] x, y;
    private byte[] arg;

    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        Random r = new Random(1);
        x = new float[batch * C * H * H];
        for (int i = 0; i < x.length; i++) x[i] = Math.max(0f, (float) r.nextGaussian());
        y = new float[batch * C * OH * OH];
        arg = new byte[y.length];
    }

    @Benchmark
    public float[] vector() {
        return pool(false, arg);
    }

    /**
     * The training path after the JVM has run both paths, training then inference, as a trainer that evaluates between
     * epochs does: C2 then compiles the kernel again with the eval path's profile. This fork's state ({@link AfterEval})
     * runs that history before the first measured call; {@code vector} is the same call in a fresh JVM.
     */
    @Benchmark
    public float[] vectorAfterEval(AfterEval history) {
        return pool(false, arg);
    }

    /** Runs the argmax path, then the no-argmax path, each long enough for C2 to compile what it runs. */
    @State(Scope.Benchmark)
    public static class AfterEval {
        @Setup
        public void run(MaxPoolBench b) {
            for (int i = 0; i < 400; i++) b.pool(false, b.arg);
            for (int i = 0; i < 400; i++) b.pool(false, null);
        }
    }

    @Benchmark
    public float[] naive() {
        return pool(true, arg);
    }

    @Benchmark
    public float[] vectorNoArgmax() {
        return pool(false, null);
    }

    @Benchmark
    public float[] naiveNoArgmax() {
        return pool(true, null);
    }

    /** One stem pool over the batch, by the reference loop or the vector kernel, with or without argmax. */
    private float[] pool(boolean reference, byte[] argmax) {
        if (reference) MaxPoolNaive.forward(x, batch * C, H, H, 3, 2, 1, y, argmax);
        else MaxPool.forward(x, batch * C, H, H, 3, 2, 1, y, argmax);
        return y;
    }
}
