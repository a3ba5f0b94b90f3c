package minifig.bench;

import java.util.concurrent.TimeUnit;
import minifig.kernels.Gemm;
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
 * Our GEMM (Gemm.sgemm, i.e. GemmBlocked) on squares and on the ResNet-18 conv GEMMs as im2col makes them
 * (per image: M = out channels, N = OH*OW, K = C*KH*KW), at 1 and 2 threads. Flops = 2*M*N*K.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar GemmBench -f 1
 * -rf json -rff gemm.json} then {@code python3 bench/jmh_report.py gemm.json}.
 * Backward forms: add {@code -p op=NT,TN}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g", "-XX:+UseParallelGC"})
@State(Scope.Benchmark)
public class GemmBench {
    /** Squares, then ResNet-18 conv GEMMs: stem 7x7/2, 3x3 at 56/28/14/7, and the 1x1/2 downsamples. */
    @Param({"256x256x256", "512x512x512", "1024x1024x1024", "2048x2048x2048",
            "64x12544x147", "64x3136x576", "128x784x1152", "256x196x2304", "512x49x4608",
            "128x784x64", "256x196x128", "512x49x256"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    @Param({"NN"})
    public String op;

    private GemmShape g;

    @Setup
    public void setup() {
        g = new GemmShape(shape, op);
        Parallel.setThreads(threads);
    }

    @Benchmark
    public float[] ours(Flops f) {
        Gemm.sgemm(g.transA, g.transB, g.M, g.N, g.K, g.A, 0, g.lda, g.B, 0, g.ldb, g.C, 0, g.N, false);
        f.flops += g.flops();
        return g.C;
    }
}
