package minifig.bench;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import minifig.kernels.Gemm;
import minifig.kernels.Im2col;
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
 * A convolution as the layers will run it, straight from minifig.kernels: per image, im2col then one GEMM
 * (forward); im2col, dW += dOut·colᵀ, dCol = Wᵀ·dOut, col2im (backward). ResNet-18's conv shapes at batch
 * 1, 8, 32. Flops: forward 2*O*(OH*OW)*(C*KH*KW) per image, backward twice that (im2col/col2im copies are
 * timed but not counted).
 *
 * <p>Layer param: name_C_H_O_K_stride_pad (square H = W). Run:
 * {@code java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar ConvBench -f 1 -rf json -rff conv.json}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g", "-XX:+UseParallelGC"})
@State(Scope.Benchmark)
public class ConvBench {
    @Param({"stem_3_224_64_7_2_3", "l1_64_56_64_3_1_1", "l2_128_28_128_3_1_1", "l3_256_14_256_3_1_1",
            "l4_512_7_512_3_1_1", "ds2_64_56_128_1_2_0", "ds3_128_28_256_1_2_0", "ds4_256_14_512_1_2_0"})
    public String layer;

    @Param({"1", "8", "32"})
    public int batch;

    @Param({"1", "2"})
    public int threads;

    private int C, H, O, K, stride, pad, P, CKK;
    private float[] x, w, out, dOut, dW, dx, col;

    @Setup
    public void setup() {
        ConvLayer l = ConvLayer.parse(layer);
        C = l.C();
        H = l.H();
        O = l.O();
        K = l.K();
        stride = l.stride();
        pad = l.pad();
        P = l.P();
        CKK = l.CKK();
        Random r = new Random(99);
        x = fill(r, batch * C * H * H);
        w = fill(r, O * CKK);
        dOut = fill(r, batch * O * P);
        out = new float[batch * O * P];
        dW = new float[O * CKK];
        dx = new float[batch * C * H * H];
        col = new float[CKK * P];
        Parallel.setThreads(threads);
    }

    private static float[] fill(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = r.nextFloat() * 2 - 1;
        return a;
    }

    private double gemmFlops() {
        return 2.0 * O * P * CKK * batch;
    }

    @Benchmark
    public float[] forward(Flops f) {
        for (int n = 0; n < batch; n++) {
            Im2col.im2col(x, n * C * H * H, C, H, H, K, K, stride, pad, col, 0);
            // out_n[O, P] = W[O, CKK] · col[CKK, P]
            Gemm.sgemm(false, false, O, P, CKK, w, 0, CKK, col, 0, P, out, n * O * P, P, false);
        }
        f.flops += gemmFlops();
        return out;
    }

    @Benchmark
    public float[] backward(Flops f) {
        Arrays.fill(dx, 0f);
        Arrays.fill(dW, 0f);
        for (int n = 0; n < batch; n++) {
            Im2col.im2col(x, n * C * H * H, C, H, H, K, K, stride, pad, col, 0);
            // dW[O, CKK] += dOut_n[O, P] · col[CKK, P]ᵀ
            Gemm.sgemm(false, true, O, CKK, P, dOut, n * O * P, P, col, 0, P, dW, 0, CKK, true);
            // dCol[CKK, P] = W[O, CKK]ᵀ · dOut_n[O, P], then scattered back (added) into dx_n
            Gemm.sgemm(true, false, CKK, P, O, w, 0, CKK, dOut, n * O * P, P, col, 0, P, false);
            Im2col.col2im(col, 0, C, H, H, K, K, stride, pad, dx, n * C * H * H);
        }
        f.flops += 2 * gemmFlops();
        return dx;
    }
}
