package minifig.bench;

import java.util.concurrent.TimeUnit;
import minifig.kernels.GemmBlocked;
import minifig.kernels.GemmVectorSimple;
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
 * The steps of docs/gemm.md, one thread each, to show what each buys: a plain vectorised i-k-j loop;
 * packing + the register-blocked micro-kernel without cache blocking (one block spans all of M, N, K);
 * then with the tuned MC/KC/NC blocking. Flops = 2*M*N*K.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar GemmStepsBench -f 1}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g", "-XX:+UseParallelGC"})
@State(Scope.Benchmark)
public class GemmStepsBench {
    @Param({"512x512x512", "1024x1024x1024"})
    public String shape;

    private GemmShape g;
    private GemmBlocked unblocked;

    @Setup
    public void setup() {
        g = new GemmShape(shape, "NN");
        unblocked = new GemmBlocked(g.M, g.K, g.N);
    }

    @Benchmark
    public float[] vectorSimple(Flops f) {
        GemmVectorSimple.sgemm(false, g.M, g.N, g.K, g.A, 0, g.K, g.B, 0, g.N, g.C, 0, g.N, false);
        f.flops += g.flops();
        return g.C;
    }

    @Benchmark
    public float[] packedUnblocked(Flops f) {
        unblocked.sgemm(false, false, g.M, g.N, g.K, g.A, 0, g.K, g.B, 0, g.N, g.C, 0, g.N, false, 1);
        f.flops += g.flops();
        return g.C;
    }

    @Benchmark
    public float[] packedBlocked(Flops f) {
        GemmBlocked.DEFAULT.sgemm(false, false, g.M, g.N, g.K, g.A, 0, g.K, g.B, 0, g.N, g.C, 0, g.N, false, 1);
        f.flops += g.flops();
        return g.C;
    }
}
