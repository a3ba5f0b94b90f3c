package minifig.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import minifig.kernels.Elementwise;
import minifig.kernels.Parallel;
import minifig.nn.BatchNorm2d;
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
 * A ResNet conv's eval forward with what follows it, "conv, BatchNorm, ReLU" (bnRelu) and "conv, BatchNorm, + shortcut,
 * ReLU" (a block's second conv, residual), done as separate passes (each layer's own forward, BatchNorm and ReLU in
 * one pass, then the add and ReLU in one pass, as the unfused network runs them) or fused into the conv's output
 * stores ({@code Conv2d.forwardEval}, {@code minifig.kernels.Epilogue}): the measurement behind the eval fusion.
 * Layers are ResNet-18's: the stem (7x7/2 at 224) and the 3x3/1 convs of layer1 (56x56) to layer4 (7x7), eval mode,
 * so each takes the path the network takes (phase-image panels, Winograd, implicit im2col).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar EvalFusionBench -f 1
 * -p batch=8 -p threads=1,2}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
@State(Scope.Benchmark)
public class EvalFusionBench {
    /** name_C_H_O_K_stride (padding K/2, square maps). */
    @Param({"stem_3_224_64_7_2", "l1_64_56_64_3_1", "l2_128_28_128_3_1", "l3_256_14_256_3_1", "l4_512_7_512_3_1"})
    public String layer;

    @Param({"8"})
    public int batch;

    @Param({"1", "2"})
    public int threads;

    private Conv2d conv;
    private BatchNorm2d bn;
    private Tensor x, shortcut;

    @Setup
    public void setup() {
        String[] f = layer.split("_");
        int C = Integer.parseInt(f[1]), H = Integer.parseInt(f[2]), O = Integer.parseInt(f[3]);
        int K = Integer.parseInt(f[4]), s = Integer.parseInt(f[5]);
        Random r = new Random(5);
        conv = new Conv2d(C, O, K, s, K / 2, false, r);
        bn = new BatchNorm2d(O);
        bn.runningMean.uniform(r, 0.5);
        bn.runningVar.fill(0.8f);
        bn.weight.value.uniform(r, 1);
        x = new Tensor(batch, C, H, H).uniform(r, 1);
        int OH = conv.outSize(H);
        shortcut = new Tensor(batch, O, OH, OH).uniform(r, 1);
        Parallel.setThreads(threads);
    }

    @Benchmark
    public Tensor bnReluSeparate() {
        return bn.forwardEvalRelu(conv.forward(x, false));
    }

    @Benchmark
    public Tensor bnReluFused() {
        return conv.forwardEval(x, bn, null, true);
    }

    @Benchmark
    public Tensor residualSeparate() {
        Tensor a = bn.forward(conv.forward(x, false), false), y = new Tensor(a.shape);
        Elementwise.split(y.size(), (lo, hi) -> Elementwise.addRelu(a.data, shortcut.data, y.data, lo, hi - lo));
        return y;
    }

    @Benchmark
    public Tensor residualFused() {
        return conv.forwardEval(x, bn, shortcut, true);
    }
}
