package minifig.nn;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Random;
import minifig.tensor.Param;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Conv2dTest {

    /** im2col + GEMM == the direct 7-loop convolution, over strides, paddings, kernel sizes and odd shapes. */
    /**
     * recomputeOutput (what the stem's BatchNorm rebuilds its input with in backward) has the training forward's exact
     * bits: the stem's 7x7/2 and other shapes, with and without bias, at 1 and 2 threads; it caches nothing, so the
     * conv's backward still runs once, and it fails clearly with no training forward cached.
     */
    @Test
    void recomputeOutputHasTheForwardsBits() {
        Random rng = new Random(21);
        // {N, C, H, O, K, stride, pad}
        int[][] cfgs = {{2, 3, 40, 8, 7, 2, 3}, {3, 5, 9, 7, 3, 1, 1}, {2, 16, 14, 16, 3, 1, 1}, {2, 4, 11, 6, 1, 2, 0}};
        int saved = minifig.kernels.Parallel.threads();
        try {
            for (int[] c : cfgs) {
                for (boolean bias : new boolean[] {false, true}) {
                    for (int threads = 1; threads <= 2; threads++) {
                        minifig.kernels.Parallel.setThreads(threads);
                        Conv2d conv = new Conv2d(c[1], c[3], c[4], c[5], c[6], bias, rng);
                        Tensor x = GradCheck.randn(rng, c[0], c[1], c[2], c[2]);
                        Tensor y = conv.forward(x, true);
                        float[] want = y.data.clone();
                        Tensor again = conv.recomputeOutput();
                        assertNotSame(y.data, again.data);
                        assertArrayEquals(want, again.data, 0f, java.util.Arrays.toString(c) + " bias " + bias + " threads " + threads);
                        conv.backward(GradCheck.randn(rng, y.shape));
                        assertThrows(IllegalStateException.class, conv::recomputeOutput, "after backward released the input");
                    }
                }
            }
        } finally {
            minifig.kernels.Parallel.setThreads(saved);
        }
    }

    /** W' is W with its channels swapped and kernels rotated, element by element, serially and split over two threads. */
    @Test
    void flippedTransposedSwapsChannelsAndRotatesKernels() {
        Random rng = new Random(22);
        int saved = minifig.kernels.Parallel.threads();
        try {
            // {O, C, K}: below and above Elementwise.PARALLEL_MIN (layer4's 512 x 512 x 3 x 3), a 1x1 and an odd 5x5
            for (int[] c : new int[][] {{6, 4, 3}, {512, 512, 3}, {300, 7, 1}, {90, 70, 5}}) {
                int O = c[0], C = c[1], K = c[2];
                float[] w = new float[O * C * K * K];
                for (int i = 0; i < w.length; i++) w[i] = rng.nextFloat();
                for (int threads = 1; threads <= 2; threads++) {
                    minifig.kernels.Parallel.setThreads(threads);
                    float[] f = new float[w.length + 5];
                    java.util.Arrays.fill(f, Float.NaN);
                    Conv2d.flippedTransposed(w, O, C, K, f);
                    for (int o = 0; o < O; o++)
                        for (int ci = 0; ci < C; ci++)
                            for (int kh = 0; kh < K; kh++)
                                for (int kw = 0; kw < K; kw++)
                                    assertEquals(w[((o * C + ci) * K + kh) * K + kw], f[((ci * O + o) * K + K - 1 - kh) * K + K - 1 - kw],
                                            java.util.Arrays.toString(c) + " threads " + threads);
                    for (int i = w.length; i < f.length; i++) assertTrue(Float.isNaN(f[i]), "wrote past O*C*K*K");
                }
            }
        } finally {
            minifig.kernels.Parallel.setThreads(saved);
        }
    }

    @Test
    void forwardMatchesDirectConvolution() {
        Random rng = new Random(1);
        int[][] cases = {
            // N, C, H, W, O, K, stride, pad
            {1, 1, 5, 5, 1, 3, 1, 0}, {2, 3, 7, 9, 4, 3, 1, 1}, {2, 3, 8, 8, 5, 3, 2, 1}, {1, 4, 6, 5, 3, 1, 1, 0},
            {2, 4, 7, 7, 6, 1, 2, 0}, {1, 3, 11, 13, 4, 7, 2, 3}, {1, 2, 9, 9, 2, 7, 1, 3}, {3, 2, 5, 7, 3, 5, 3, 2},
            {1, 5, 4, 4, 2, 3, 1, 3}, {2, 1, 1, 1, 3, 1, 1, 0}, {1, 6, 3, 3, 7, 3, 1, 0}, {2, 3, 10, 6, 2, 2, 2, 0},
            {1, 8, 14, 14, 8, 3, 2, 1}, {1, 2, 13, 11, 3, 4, 3, 2},
        };
        for (int[] c : cases) {
            for (boolean bias : new boolean[] {true, false}) {
                Conv2d conv = new Conv2d(c[1], c[4], c[5], c[6], c[7], bias, rng);
                Tensor x = GradCheck.randn(rng, c[0], c[1], c[2], c[3]);
                Tensor y = conv.forward(x, false);
                Tensor ref = ConvReference.forward(x, conv.weight.value, bias ? conv.bias.value : null, c[6], c[7]);
                assertArrayEquals(ref.shape, y.shape, java.util.Arrays.toString(c));
                for (int i = 0; i < y.size(); i++) {
                    assertEquals(ref.data[i], y.data[i], 1e-5 * (1 + Math.abs(ref.data[i])),
                            java.util.Arrays.toString(c) + " bias=" + bias + " at " + i);
                }
            }
        }
    }

    @ParameterizedTest(name = "C={0} O={1} K={2} stride={3} pad={4} {5}x{6} bias={7}")
    @CsvSource({
        "2, 3, 3, 1, 1, 5, 6, true",
        "2, 3, 3, 2, 1, 7, 5, true",
        "3, 2, 3, 1, 0, 5, 5, false",
        "3, 4, 1, 1, 0, 4, 3, true",      // pointwise fast path
        "3, 4, 1, 2, 0, 5, 5, false",     // strided 1x1 (ResNet downsample)
        "2, 2, 7, 2, 3, 9, 11, true",     // ResNet stem shape
        "2, 3, 7, 1, 3, 7, 7, false",
        "3, 2, 3, 2, 3, 5, 4, true",      // padding larger than needed: whole windows of zeros
        "1, 2, 4, 3, 2, 9, 7, true",      // even kernel, stride 3
    })
    void gradientsMatchFiniteDifferences(int c, int o, int k, int stride, int pad, int h, int w, boolean bias) {
        Random rng = new Random(7 + c * 31 + k);
        Conv2d conv = new Conv2d(c, o, k, stride, pad, bias, rng);
        Tensor x = GradCheck.randn(rng, 2, c, h, w);
        List<Param> params = bias ? List.of(conv.weight, conv.bias) : List.of(conv.weight);
        GradCheck.checkLayer(conv, x, params, 11, 40);
    }

    /** Two Conv2d objects over the same Params: the shared grad is the sum of both uses' grads. */
    @Test
    void sharedParamsAccumulateBothUses() {
        Random rng = new Random(3);
        Conv2d a = new Conv2d(2, 2, 3, 1, 1, true, rng);
        Conv2d b = new Conv2d(2, 2, 3, 1, 1, a.weight, a.bias);
        Tensor x = GradCheck.randn(rng, 1, 2, 4, 4);
        Tensor dy = GradCheck.randn(rng, 1, 2, 4, 4);
        Sequential twice = new Sequential(a, new ReLU(), b);
        GradCheck.checkLayer(twice, x, List.of(a.weight, a.bias), 5, 40, GradCheck.H, GradCheck.TOL, 3);

        // The same gradient as two independent convs holding copies of the weights, summed.
        Conv2d a2 = new Conv2d(2, 2, 3, 1, 1, new Param(a.weight.value.copy(), true), new Param(a.bias.value.copy(), false));
        Conv2d b2 = new Conv2d(2, 2, 3, 1, 1, new Param(a.weight.value.copy(), true), new Param(a.bias.value.copy(), false));
        Sequential separate = new Sequential(a2, new ReLU(), b2);
        a.weight.zeroGrad();
        a.bias.zeroGrad();
        twice.forward(x, true);
        twice.backward(dy);
        separate.forward(x, true);
        separate.backward(dy);
        for (int i = 0; i < a.weight.size(); i++) {
            assertEquals(a2.weight.grad.data[i] + b2.weight.grad.data[i], a.weight.grad.data[i], 1e-5);
        }
        assertEquals(1, StateDict.of(twice).params().size() / 2, "shared params are registered once");
    }

    @Test
    void frozenWeightGetsNoGradientButInputStillDoes() {
        Random rng = new Random(4);
        Conv2d conv = new Conv2d(2, 3, 3, 1, 1, true, rng);
        conv.weight.frozen = true;
        Tensor x = GradCheck.randn(rng, 1, 2, 5, 5);
        GradCheck.checkLayer(conv, x, List.of(conv.bias), 2, 30);
        for (float g : conv.weight.grad.data) assertEquals(0f, g);
    }

    /** Without the input gradient, backward returns null and adds exactly the same dW and db. */
    @Test
    void noInputGradKeepsParameterGradients() {
        // {N, C, H, O, K, stride, pad}: 3x3, strided 7x7 (a stem), pointwise, strided 1x1, a small map (grouped)
        int[][] cfgs = {{2, 3, 9, 4, 3, 1, 1}, {2, 3, 15, 4, 7, 2, 3}, {3, 4, 6, 5, 1, 1, 0}, {2, 3, 8, 6, 1, 2, 0},
                        {5, 2, 4, 3, 3, 1, 1}};
        for (int[] c : cfgs) {
            Tensor[] want = null;
            for (boolean needed : new boolean[] {true, false}) {
                Random rng = new Random(8);
                Conv2d conv = new Conv2d(c[1], c[3], c[4], c[5], c[6], true, rng);
                Tensor x = GradCheck.randn(rng, c[0], c[1], c[2], c[2]);
                Tensor dy = GradCheck.randn(rng, conv.forward(x, true).shape);
                conv.setNeedsInputGrad(needed);
                Tensor dx = conv.backward(dy);
                assertEquals(needed, dx != null, "dX only when needed");
                Tensor[] got = {conv.weight.grad, conv.bias.grad};
                if (want == null) want = got;
                else for (int i = 0; i < 2; i++) assertArrayEquals(want[i].data, got[i].data, java.util.Arrays.toString(c));
            }
        }
    }

    @Test
    void wrongChannelCountIsAClearError() {
        Conv2d conv = new Conv2d(3, 4, 3, 1, 1, true, new Random(0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> conv.forward(new Tensor(1, 1, 8, 8), false));
        assertEquals("Conv2d input: expected 3 input channels, got shape [1, 1, 8, 8]", e.getMessage());
        Conv2d unpadded = new Conv2d(3, 4, 3, 1, 0, true, new Random(0));
        e = assertThrows(IllegalArgumentException.class, () -> unpadded.forward(new Tensor(1, 3, 2, 2), false));
        assertTrue(e.getMessage().contains("smaller than the 3x3 kernel"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> new Conv2d(3, 4, 3, 1, 1, true, new Random(0))
                .backward(new Tensor(1, 4, 8, 8)));
    }

    /** PyTorch's default init: U(-1/sqrt(fanIn), 1/sqrt(fanIn)) for weight and bias, reproducible from the seed. */
    @Test
    void defaultInitIsUniformWithinFanInBoundAndSeeded() {
        Conv2d a = new Conv2d(16, 32, 3, 1, 1, true, new Random(42));
        Conv2d b = new Conv2d(16, 32, 3, 1, 1, true, new Random(42));
        assertArrayEquals(a.weight.value.data, b.weight.value.data);
        double bound = 1 / Math.sqrt(16 * 9);
        double max = 0, sumSq = 0;
        for (float v : a.weight.value.data) {
            max = Math.max(max, Math.abs(v));
            sumSq += v * v;
        }
        assertTrue(max <= bound && max > 0.95 * bound, "max |w| " + max + " vs bound " + bound);
        double std = Math.sqrt(sumSq / a.weight.size());
        assertEquals(bound / Math.sqrt(3), std, 0.03 * bound, "std of U(-b, b) is b/sqrt(3)");
        for (float v : a.bias.value.data) assertTrue(Math.abs(v) <= bound);
        assertTrue(a.weight.decay);
        assertFalse(a.bias.decay);
        StateDict sd = StateDict.of(a);
        assertEquals(List.of("weight", "bias"), List.copyOf(sd.params().keySet()));
    }
}
