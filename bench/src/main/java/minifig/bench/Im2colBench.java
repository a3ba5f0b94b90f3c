package minifig.bench;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import minifig.kernels.Im2col;
import minifig.kernels.Im2colNaive;
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
 * im2col / col2im for one image, fast (Im2col) vs reference (Im2colNaive), on ResNet-18's conv shapes
 * (layer param as in ConvBench: name_C_H_O_K_stride_pad). Memory-bound copies: read the time per call.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar Im2colBench -f 1}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g", "-XX:+UseParallelGC"})
@State(Scope.Benchmark)
public class Im2colBench {
    @Param({"stem_3_224_64_7_2_3", "l1_64_56_64_3_1_1", "l3_256_14_256_3_1_1", "ds2_64_56_128_1_2_0"})
    public String layer;

    @Param({"1"})
    public int threads;

    private int C, H, K, stride, pad;
    private float[] x, col, dx;

    @Setup
    public void setup() {
        ConvLayer l = ConvLayer.parse(layer);
        C = l.C();
        H = l.H();
        K = l.K();
        stride = l.stride();
        pad = l.pad();
        Random r = new Random(7);
        x = new float[C * H * H];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat();
        col = new float[l.CKK() * l.P()];
        for (int i = 0; i < col.length; i++) col[i] = r.nextFloat();
        dx = new float[x.length];
        Parallel.setThreads(threads);
    }

    @Benchmark
    public float[] im2colFast() {
        Im2col.im2col(x, 0, C, H, H, K, K, stride, pad, col, 0);
        return col;
    }

    @Benchmark
    public float[] im2colNaive() {
        Im2colNaive.im2col(x, 0, C, H, H, K, K, stride, pad, col, 0);
        return col;
    }

    @Benchmark
    public float[] col2imFast() {
        Arrays.fill(dx, 0f);
        Im2col.col2im(col, 0, C, H, H, K, K, stride, pad, dx, 0);
        return dx;
    }

    @Benchmark
    public float[] col2imNaive() {
        Arrays.fill(dx, 0f);
        Im2colNaive.col2im(col, 0, C, H, H, K, K, stride, pad, dx, 0);
        return dx;
    }
}
