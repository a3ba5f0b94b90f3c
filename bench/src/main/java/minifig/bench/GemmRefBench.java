package minifig.bench;

import java.util.concurrent.TimeUnit;
import minifig.kernels.GemmEjml;
import minifig.kernels.GemmNaive;
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
 * The references, single-threaded: EJML (CommonOps_FDRM) and the naive triple loop. Naive runs only on
 * the small squares by default (2048^3 would take ~30 s a call). Flops = 2*M*N*K.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar GemmRefBench -f 1}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g", "-XX:+UseParallelGC"})
public class GemmRefBench {

    @State(Scope.Benchmark)
    public static class Ejml {
        @Param({"256x256x256", "512x512x512", "1024x1024x1024",
                "64x12544x147", "64x3136x576", "128x784x1152", "256x196x2304", "512x49x4608"})
        public String shape;
        GemmShape g;

        @Setup
        public void setup() {
            g = new GemmShape(shape, "NN");
        }
    }

    @State(Scope.Benchmark)
    public static class Naive {
        @Param({"256x256x256", "512x512x512"})
        public String shape;
        GemmShape g;

        @Setup
        public void setup() {
            g = new GemmShape(shape, "NN");
        }
    }

    @Benchmark
    public float[] ejml(Ejml s, Flops f) {
        GemmShape g = s.g;
        GemmEjml.sgemm(false, false, g.M, g.N, g.K, g.A, 0, g.K, g.B, 0, g.N, g.C, 0, g.N, false);
        f.flops += g.flops();
        return g.C;
    }

    @Benchmark
    public float[] naive(Naive s, Flops f) {
        GemmShape g = s.g;
        GemmNaive.sgemm(false, false, g.M, g.N, g.K, g.A, 0, g.K, g.B, 0, g.N, g.C, 0, g.N, false);
        f.flops += g.flops();
        return g.C;
    }
}
