package minifig.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import minifig.kernels.Parallel;
import minifig.nn.Conv2d;
import minifig.tensor.Tensor;
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
 * A 3x3 stride-1 conv layer's forward, its weight gradient, and its forward + backward (the stride-1 dX runs
 * through the same kernels as the forward), through {@code Conv2d} with Winograd F(2x2, 3x3) allowed (its default
 * where it applies) or forbidden (ConvShifted on layer1/layer2's maps, implicit im2col + GEMM on the smaller ones;
 * dW from the padded image or from col): the measurement behind {@code Conv2d.winograd}'s and
 * {@code winogradWeightGrad}'s rules. Layers are ResNet-18's stride-1 3x3 convs, layer1 (56x56) to layer4 (7x7).
 * Flops as for im2col: 2*O*(OH*OW)*(C*9) per image and pass.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar WinogradBench -f 1
 * -p batch=8,32 -p threads=1}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
@State(Scope.Benchmark)
public class WinogradBench {
    /** name_C_H_O (3x3, stride 1, padding 1, square maps). */
    @Param({"l1_64_56_64", "l2_128_28_128", "l3_256_14_256", "l4_512_7_512"})
    public String layer;

    @Param({"1", "8", "32"})
    public int batch;

    @Param({"1", "2"})
    public int threads;

    /** Whether Conv2d may use Winograd (true: its default). */
    @Param({"true", "false"})
    public boolean winograd;

    private Conv2d conv;
    private Tensor x, dy;

    @Setup
    public void setup() {
        String[] f = layer.split("_");
        int C = Integer.parseInt(f[1]), H = Integer.parseInt(f[2]), O = Integer.parseInt(f[3]);
        Random r = new Random(5);
        conv = new Conv2d(C, O, 3, 1, 1, false, r);
        conv.setWinograd(winograd);
        x = new Tensor(batch, C, H, H).uniform(r, 1);
        dy = new Tensor(batch, O, H, H).uniform(r, 1);
        Parallel.setThreads(threads);
    }

    @Benchmark
    public Tensor forward() {
        return conv.forward(x, false);
    }

    /** A training forward, then a backward that computes only dW (no dX): the weight gradient's own path. */
    @Benchmark
    public Tensor weightGrad() {
        conv.setNeedsInputGrad(false);
        conv.forward(x, true);
        conv.backward(dy);
        conv.setNeedsInputGrad(true);
        return conv.weight.grad;
    }

    /** A training forward, then the whole backward (dW, and dX by the forward's kernels). */
    @Benchmark
    public Tensor forwardBackward() {
        conv.forward(x, true);
        return conv.backward(dy);
    }
}
