package minifig.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import minifig.kernels.Parallel;
import minifig.models.Models;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Eval-mode fusion ({@link Conv2d#forwardEval}, {@link minifig.kernels.Epilogue}): "conv, BatchNorm, + shortcut,
 * ReLU" done in the conv's output pass gives exactly the bits of the separate layers, on every forward path
 * (Winograd plane by plane and in chunks, panels from a padded copy, implicit im2col per image and grouped, a
 * pointwise conv reading x itself), and whole networks give the same bits with fusion on and off.
 */
class Conv2dEvalFusionTest {
    private final int savedThreads = Parallel.threads();

    @AfterEach
    void restore() {
        Sequential.evalConvFusion = true;
        Parallel.setThreads(savedThreads);
    }

    private static Tensor random(Random r, int... shape) {
        Tensor t = new Tensor(shape);
        for (int i = 0; i < t.size(); i++) t.data[i] = r.nextFloat() * 2 - 1;
        return t;
    }

    /** A BatchNorm with running statistics, gamma and beta away from their defaults (mean 0, var 1 would hide bugs). */
    private static BatchNorm2d bn(Random r, int c) {
        BatchNorm2d bn = new BatchNorm2d(c);
        for (int i = 0; i < c; i++) {
            bn.runningMean.data[i] = r.nextFloat() - 0.5f;
            bn.runningVar.data[i] = 0.2f + r.nextFloat() * 2;
            bn.weight.value.data[i] = r.nextFloat() * 2 - 0.5f;
            bn.bias.value.data[i] = r.nextFloat() - 0.5f;
        }
        return bn;
    }

    /** What the separate layers compute: conv, bn (or none), + residual (or none), ReLU (or none). */
    private static Tensor separate(Conv2d conv, BatchNorm2d bn, Tensor residual, boolean relu, Tensor x) {
        Tensor y = conv.forward(x, false);
        if (bn != null) y = bn.forward(y, false);
        if (residual != null) {
            Tensor sum = new Tensor(y.shape);
            for (int i = 0; i < y.size(); i++) sum.data[i] = y.data[i] + residual.data[i];
            y = sum;
        }
        return relu ? new ReLU().forward(y, false) : y;
    }

    @Test
    void fusedEqualsSeparateLayersOnEveryPath() {
        // {N, C, H, W, O, K, stride, pad} and the forward path Conv2d takes at the default thresholds (eval)
        int[][] cfgs = {
            {2, 5, 14, 14, 7, 3, 1, 1},     // Winograd plane by plane (196 pixels, 49 tiles)
            {2, 4, 20, 21, 6, 3, 1, 1},     // Winograd in chunks (110 tiles, odd width)
            {1, 3, 19, 20, 130, 3, 1, 1},   // Winograd plane by plane, more out-channels than chunks take
            {2, 3, 56, 56, 5, 7, 2, 3},     // panels from the phase image (the stem's shape, 784 pixels)
            {2, 3, 30, 29, 4, 5, 1, 2},     // panels from the padded image (5x5, stride 1: not Winograd)
            {3, 6, 7, 7, 8, 3, 1, 1},       // implicit im2col, 3 images per GEMM (49 pixels: no Winograd in eval)
            {3, 4, 60, 60, 6, 1, 2, 0},     // implicit im2col, one image per GEMM (a strided 1x1 downsample)
            {2, 3, 40, 40, 5, 1, 1, 0},     // pointwise: x is its own col matrix, one image per GEMM
            {4, 3, 9, 10, 5, 3, 2, 1},      // implicit, strided, grouped
        };
        Random r = new Random(11);
        for (int threads : new int[] {1, 2}) {
            Parallel.setThreads(threads);
            for (int[] c : cfgs) {
                for (int variant = 0; variant < 8; variant++) {
                    boolean bias = (variant & 1) != 0, res = (variant & 2) != 0, relu = (variant & 4) != 0;
                    Conv2d conv = new Conv2d(c[1], c[4], c[5], c[6], c[7], bias, r);
                    BatchNorm2d norm = variant == 0 ? null : bn(r, c[4]);   // variant 0: conv alone
                    Tensor x = random(r, c[0], c[1], c[2], c[3]);
                    int oh = conv.outSize(c[2]), ow = conv.outSize(c[3]);
                    Tensor residual = res ? random(r, c[0], c[4], oh, ow) : null;
                    Tensor want = separate(conv, norm, residual, relu, x);
                    Tensor got = conv.forwardEval(x, norm, residual, relu);
                    String what = Arrays.toString(c) + " bias=" + bias + " bn=" + (norm != null) + " residual=" + res
                            + " relu=" + relu + " threads=" + threads;
                    assertArrayEquals(want.shape, got.shape, what);
                    assertArrayEquals(want.data, got.data, 0f, what);
                    if (relu) assertTrue(countZeros(got) > 0 && countZeros(got) < got.size(), what + ": ReLU clipped none or all");
                }
            }
        }
    }

    private static int countZeros(Tensor t) {
        int z = 0;
        for (float v : t.data) if (v == 0f) z++;
        return z;
    }

    @Test
    void forwardEvalCachesNothingAndChecksShapes() {
        Random r = new Random(3);
        Conv2d conv = new Conv2d(2, 3, 3, 1, 1, false, r);
        conv.forwardEval(random(r, 1, 2, 5, 5), bn(r, 3), null, true);
        // no training input cached: backward must refuse
        assertThrows(IllegalStateException.class, () -> conv.backward(new Tensor(1, 3, 5, 5)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> conv.forwardEval(random(r, 1, 2, 5, 5), null, new Tensor(1, 3, 4, 4), false));
        assertEquals("Residual: main branch gives [1, 3, 5, 5] but shortcut gives [1, 3, 4, 4] (a downsample shortcut is needed)",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> conv.forwardEval(random(r, 1, 2, 5, 5), bn(r, 4), null, false));
    }

    /** Random running statistics, gamma and beta for every BatchNorm of a model. */
    private static void randomizeNorms(Layer model, Random r) {
        for (Map.Entry<String, Tensor> e : StateDict.of(model).tensors().entrySet()) {
            String n = e.getKey();
            float[] d = e.getValue().data;
            if (n.endsWith("running_var")) for (int i = 0; i < d.length; i++) d[i] = 0.5f + r.nextFloat();
            else if (n.endsWith("running_mean") || n.contains("bn") && n.endsWith("bias") || n.contains("downsample.1.bias")) {
                for (int i = 0; i < d.length; i++) d[i] = (r.nextFloat() - 0.5f) * 0.2f;
            }
        }
    }

    private static Tensor eval(Layer model, Tensor x, boolean fused) {
        Sequential.evalConvFusion = fused;
        return model.forward(x, false);
    }

    @Test
    void wholeNetworksGiveTheSameBitsFusedOrNot() {
        Random r = new Random(5);
        // resnet18 (basic blocks), resnet50-keras (bottlenecks, convs with bias), the appendix net (conv, ReLU)
        for (String name : new String[] {"resnet18", "resnet50-keras", "custom"}) {
            Layer model = Models.create(name, 10, 3, 7L);
            randomizeNorms(model, r);
            Tensor x = random(r, 2, 3, 64, 64);
            Tensor unfused = eval(model, x, false), fused = eval(model, x, true);
            assertArrayEquals(unfused.data, fused.data, 0f, name);
            // and the comparison can fail: a changed statistic changes the output
            assertNotEquals(0f, maxAbs(unfused), name);
        }
    }

    private static float maxAbs(Tensor t) {
        float m = 0;
        for (float v : t.data) m = Math.max(m, Math.abs(v));
        return m;
    }
}
