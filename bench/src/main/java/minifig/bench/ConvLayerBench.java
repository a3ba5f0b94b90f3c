package minifig.bench;

import java.util.concurrent.TimeUnit;
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
 * ResNet-18's conv layers as the network runs them ({@code nn.Conv2d}: Winograd, implicit im2col, grouping, output
 * allocation), where {@link ConvBench} times the textbook per-image im2col + GEMM. One call = one {@link NetCase}
 * layer step: {@code fwd} an eval forward, {@code fwd-gemm} the same with Winograd forbidden, {@code train} a training
 * forward plus dX and dW. GFLOP/s counts direct-convolution flops (forward 2*O*OH*OW*C*K*K per image, a training
 * step three times that), so a Winograd path reports an im2col-equivalent rate that may pass the peak.
 *
 * <p>Run (narrow it with -p; 132 combinations in all): {@code java --add-modules jdk.incubator.vector -jar
 * bench/target/benchmarks.jar "ConvLayerBench|PeakFlops" -f 1 -p layer=l3_256_14_256_3_1_1 -p batch=8 -p threads=1
 * -rf json -rff layers.json}, then {@code python3 bench/jmh_report.py layers.json}. Against PyTorch on the same
 * layers, interleaved: {@code bench/compare.py --layers}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g", "-XX:+UseParallelGC"})
@State(Scope.Benchmark)
public class ConvLayerBench {
    /** name_C_H_O_K_stride_pad, as bench/compare.py's LAYERS: the stem, layer1-4's 3x3/1, the 3x3/2s, the 1x1/2s. */
    @Param({"stem_3_224_64_7_2_3", "l1_64_56_64_3_1_1", "l2_128_28_128_3_1_1", "l3_256_14_256_3_1_1",
            "l4_512_7_512_3_1_1", "s2_64_56_128_3_2_1", "s3_128_28_256_3_2_1", "s4_256_14_512_3_2_1",
            "ds2_64_56_128_1_2_0", "ds3_128_28_256_1_2_0", "ds4_256_14_512_1_2_0"})
    public String layer;

    @Param({"fwd", "train"})
    public String mode;

    @Param({"1", "8", "32"})
    public int batch;

    @Param({"1", "2"})
    public int threads;

    private NetCase c;
    private double flops;

    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        String name = mode + "/" + layer;
        c = new NetCase(name, batch);      // fixed seeds inside: weight 42, input and dY 7
        flops = NetCase.flops(name, batch, threads);
    }

    @Benchmark
    public float step(Flops f) {
        f.flops += flops;
        return c.step();
    }
}
