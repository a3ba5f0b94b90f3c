package minifig.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import minifig.kernels.ConvWeightGrad;
import minifig.kernels.GemmBlocked;
import minifig.tensor.Param;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The forward's fast paths agree: several images per GEMM (small maps) == one image per GEMM, forward and
 * backward; panels from a padded copy ({@link minifig.kernels.ConvShifted}) == implicit im2col == the direct loops;
 * a stride-1 dX computed as a convolution of dY == its definition.
 */
class Conv2dGroupTest {
    private final int saved = Conv2d.groupColumns, savedShifted = Conv2d.shiftedMinPixels, savedDx = Conv2d.dxPerImageMinPixels,
            savedWinograd = Conv2d.winogradMinPixels, savedWinogradTraining = Conv2d.winogradTrainingMinPixels,
            savedWinogradDW = Conv2d.winogradWeightGradMinPixels, savedWinogradChannels = Conv2d.winogradMinChannels;

    @AfterEach
    void restore() {
        Conv2d.groupColumns = saved;
        Conv2d.shiftedMinPixels = savedShifted;
        Conv2d.shiftedForward = false;
        Conv2d.dxPerImageMinPixels = savedDx;
        Conv2d.winogradMinPixels = savedWinograd;
        Conv2d.winogradTrainingMinPixels = savedWinogradTraining;
        Conv2d.winogradWeightGradMinPixels = savedWinogradDW;
        Conv2d.winogradMinChannels = savedWinogradChannels;
    }

    private static Tensor random(Random r, int... shape) {
        Tensor t = new Tensor(shape);
        for (int i = 0; i < t.size(); i++) t.data[i] = r.nextFloat() * 2 - 1;
        return t;
    }

    /** forward output, dx, dW, db with the given group threshold. */
    private static Tensor[] run(int groupColumns, int[] cfg, boolean bias, long seed) {
        Conv2d.groupColumns = groupColumns;
        int n = cfg[0], c = cfg[1], h = cfg[2], o = cfg[3], k = cfg[4], s = cfg[5], p = cfg[6];
        Random r = new Random(seed);
        Conv2d conv = new Conv2d(c, o, k, s, p, bias, r);
        Tensor x = random(r, n, c, h, h + 1);
        Tensor y = conv.forward(x, true);
        Tensor dy = random(r, y.shape);
        Tensor dx = conv.backward(dy);
        Param b = conv.bias;
        return new Tensor[] {y, dx, conv.weight.grad, b == null ? new Tensor(0) : b.grad};
    }

    @Test
    void groupedEqualsPerImage() {
        // {N, C, H, O, K, stride, pad}: 3x3, strided, 1x1 pointwise, 1x1 strided (a ResNet downsample), 7x7
        int[][] cfgs = {{5, 3, 7, 4, 3, 1, 1}, {4, 2, 9, 3, 3, 2, 1}, {3, 4, 6, 5, 1, 1, 0}, {4, 3, 8, 6, 1, 2, 0},
                        {2, 2, 11, 3, 7, 2, 3}, {7, 3, 5, 2, 3, 1, 0}};
        for (int[] cfg : cfgs) {
            for (boolean bias : new boolean[] {false, true}) {
                Tensor[] want = run(Integer.MAX_VALUE / 2 + 1, cfg, bias, 3), per = run(1, cfg, bias, 3);
                // threshold 1 -> G = 1 everywhere; the huge threshold -> all N images in one GEMM; 2 groups too
                int ohw = (cfg[2] + 2 * cfg[6] - cfg[4]) / cfg[5] + 1;
                Tensor[] two = run(ohw * 2, cfg, bias, 3);
                assertTrue(Conv2d.groupSize(cfg[0], ohw) >= 1);
                String what = java.util.Arrays.toString(cfg) + " bias=" + bias;
                for (int i = 0; i < 4; i++) {
                    assertArrayEquals(per[i].data, want[i].data, 1e-4f, what + " tensor " + i);
                    assertArrayEquals(per[i].data, two[i].data, 1e-4f, what + " tensor " + i + " (groups of 2)");
                }
            }
        }
    }

    @Test
    void shiftedPanelsEqualImplicitAndReference() {
        Conv2d.shiftedForward = true;   // compare ConvShifted's forward with the others too
        // {N, C, H, O, K, pad, stride}: 3x3 padded and not, 5x5, a padded 1x1 (not pointwise), rectangular maps;
        // strided: 7x7/2 pad 3 (the stem), 3x3/2, 1x1/2, 3x3/3
        int[][] cfgs = {{2, 3, 7, 4, 3, 1, 1}, {1, 2, 9, 5, 3, 0, 1}, {3, 2, 6, 3, 5, 2, 1}, {2, 3, 5, 2, 1, 1, 1},
                        {2, 3, 15, 4, 7, 3, 2}, {2, 3, 9, 5, 3, 1, 2}, {2, 4, 8, 3, 1, 0, 2}, {1, 2, 10, 3, 3, 1, 3},
                        // O and C*K*K wide enough for AVX-512's transposed dW tile (ConvWeightGrad.transposedPays)
                        {2, 3, 15, 64, 7, 3, 2}, {2, 5, 9, 48, 3, 1, 2}};
        for (int[] cfg : cfgs) {
            for (boolean bias : new boolean[] {false, true}) {
                Random r = new Random(7);
                Conv2d conv = new Conv2d(cfg[1], cfg[3], cfg[4], cfg[6], cfg[5], bias, r);
                Tensor x = random(r, cfg[0], cfg[1], cfg[2], cfg[2] + 1);
                Conv2d.shiftedMinPixels = 1;
                Tensor shifted = conv.forward(x, false);
                Conv2d.shiftedMinPixels = Integer.MAX_VALUE;
                Tensor implicit = conv.forward(x, false);
                Tensor want = ConvReference.forward(x, conv.weight.value, bias ? conv.bias.value : null, cfg[6], cfg[5]);
                String what = java.util.Arrays.toString(cfg) + " bias=" + bias;
                assertArrayEquals(want.shape, shifted.shape, what);
                assertArrayEquals(want.data, shifted.data, 1e-5f, what);
                assertArrayEquals(implicit.data, shifted.data, 1e-5f, what);
            }
        }
    }

    /**
     * dX and dW by the definition: dx[n, c, h, w] = sum of dy[n, o, oh, ow] * w[o, c, kh, kw] over oh*s - p + kh = h,
     * dw[o, c, kh, kw] = sum of dy[n, o, oh, ow] * x[n, c, h, w] over the same.
     */
    private static Tensor[] referenceGrads(Tensor x, Tensor w, Tensor dy, int s, int p) {
        int N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
        int O = w.shape[0], K = w.shape[2], OH = dy.shape[2], OW = dy.shape[3];
        Tensor dx = new Tensor(x.shape), dw = new Tensor(w.shape);
        for (int n = 0; n < N; n++)
            for (int o = 0; o < O; o++)
                for (int oh = 0; oh < OH; oh++)
                    for (int ow = 0; ow < OW; ow++)
                        for (int c = 0; c < C; c++)
                            for (int kh = 0; kh < K; kh++)
                                for (int kw = 0; kw < K; kw++) {
                                    int h = oh * s - p + kh, ww = ow * s - p + kw;
                                    if (h < 0 || h >= H || ww < 0 || ww >= W) continue;
                                    float g = dy.data[((n * O + o) * OH + oh) * OW + ow];
                                    int xi = ((n * C + c) * H + h) * W + ww, wi = ((o * C + c) * K + kh) * K + kw;
                                    dx.data[xi] += g * w.data[wi];
                                    dw.data[wi] += g * x.data[xi];
                                }
        return new Tensor[] {dx, dw};
    }

    /**
     * dX as a convolution of dY (stride 1), dW from the padded or phase image, and the textbook forms, all == the
     * definition.
     */
    @Test
    void gradientsEqualDefinitionInEveryForm() {
        Conv2d.shiftedForward = true;   // compare ConvShifted's forward with the others too
        // {N, C, H, O, K, pad, stride}: 3x3 padded and not, pad = K - 1, 5x5, an even kernel, a padded 1x1 (pad > K - 1:
        // the col2im path), a pointwise conv (its own direct path); strided: the stem's 7x7/2, 3x3/2, 1x1/2, 3x3/3
        assertTrue(!ConvWeightGrad.transposedPays(5, 27) && (GemmBlocked.MR != 6 || ConvWeightGrad.transposedPays(64, 147)));
        int[][] cfgs = {{2, 3, 7, 4, 3, 1, 1}, {1, 2, 9, 5, 3, 0, 1}, {2, 2, 5, 3, 3, 2, 1}, {3, 2, 6, 3, 5, 2, 1},
                        {2, 3, 6, 2, 2, 1, 1}, {2, 3, 5, 2, 1, 1, 1}, {2, 4, 5, 3, 1, 0, 1},
                        {2, 3, 15, 4, 7, 3, 2}, {2, 3, 9, 5, 3, 1, 2}, {2, 4, 8, 3, 1, 0, 2}, {1, 2, 10, 3, 3, 1, 3},
                        // O and C*K*K wide enough for AVX-512's transposed dW tile (ConvWeightGrad.transposedPays)
                        {2, 3, 15, 64, 7, 3, 2}, {2, 5, 9, 48, 3, 1, 2}};
        for (int[] cfg : cfgs) {
            // ConvShifted, then implicit im2col; then the textbook forms (col2im, dW from col) switched on; then
            // the col2im dX image by image
            for (int variant = 0; variant < 4; variant++) {
                int minPixels = variant == 1 ? Integer.MAX_VALUE : 1;
                Conv2d.shiftedMinPixels = minPixels;
                Conv2d.dxPerImageMinPixels = variant == 3 ? 1 : Integer.MAX_VALUE;
                Random r = new Random(11);
                Conv2d conv = new Conv2d(cfg[1], cfg[3], cfg[4], cfg[6], cfg[5], false, r);
                boolean textbook = variant == 2;
                conv.setInputGradByConvolution(!textbook);
                conv.setWeightGradFromPaddedImage(!textbook);
                assertEquals(!textbook && cfg[6] == 1 && cfg[5] <= cfg[4] - 1 && !(cfg[4] == 1 && cfg[5] == 0), conv.inputGradAsConv());
                Tensor x = random(r, cfg[0], cfg[1], cfg[2], cfg[2] + 1);
                Tensor dy = random(r, conv.forward(x, true).shape);
                Tensor dx = conv.backward(dy);
                Tensor[] want = referenceGrads(x, conv.weight.value, dy, cfg[6], cfg[5]);
                String what = java.util.Arrays.toString(cfg) + " variant=" + variant;
                assertArrayEquals(want[0].data, dx.data, 1e-4f, what + " dx");
                assertArrayEquals(want[1].data, conv.weight.grad.data, 1e-4f, what + " dw");
            }
        }
        assertFalse(new Conv2d(2, 2, 3, 2, 1, false, new Random(1)).inputGradAsConv());   // strided: col2im
    }

    /**
     * The col2im dX image by image (Wᵀ packed once) gives the same bits as per group of images: each dCol column is the
     * same dot product over the out-channels, and col2im adds each image's columns in the same order. At 1 and 2 threads.
     */
    @Test
    void dxImageByImageEqualsGroupedBitForBit() {
        // {N, C, H, O, K, stride, pad}: strided 3x3 and 1x1 (ResNet's downsamples), a padded 1x1, a 3x3/3
        int[][] cfgs = {{5, 3, 9, 4, 3, 2, 1}, {4, 4, 8, 6, 1, 2, 0}, {3, 2, 6, 3, 1, 1, 1}, {2, 3, 10, 2, 3, 3, 1}};
        int before = minifig.kernels.Parallel.threads();
        try {
            for (int threads : new int[] {1, 2}) {
                minifig.kernels.Parallel.setThreads(threads);
                for (int[] cfg : cfgs) {
                    Conv2d.dxPerImageMinPixels = Integer.MAX_VALUE;
                    Tensor[] grouped = run(Integer.MAX_VALUE / 2 + 1, cfg, true, 4);
                    Conv2d.dxPerImageMinPixels = 1;
                    Tensor[] perImage = run(Integer.MAX_VALUE / 2 + 1, cfg, true, 4);
                    String what = java.util.Arrays.toString(cfg) + " threads=" + threads;
                    assertArrayEquals(grouped[1].data, perImage[1].data, 0f, what + " dx");
                    assertArrayEquals(grouped[2].data, perImage[2].data, 0f, what + " dw (the group loop without dX)");
                    assertTrue(maxAbs(perImage[1]) > 0, what + ": dx is not all zeros");
                }
            }
        } finally {
            minifig.kernels.Parallel.setThreads(before);
        }
    }

    private static float maxAbs(Tensor t) {
        float m = 0;
        for (float v : t.data) m = Math.max(m, Math.abs(v));
        return m;
    }

    /** dW through dWᵀ = col · dYᵀ (wide, shallow convs) and through dY · colᵀ == the definition, added onto existing values. */
    @Test
    void weightGradientInBothOrientationsEqualsDefinition() {
        // {N, C, H, O, K, stride, pad, transposed?}: a stem-like 7x7/2, a wide 1x1 reduction, a strided 3x3 with
        // a large batch (transposed), and a deep 3x3 and an expanding 1x1 (C*K*K < O) that keep dY · colᵀ
        int[][] cfgs = {{4, 3, 25, 4, 7, 2, 3, 1}, {3, 12, 9, 4, 1, 1, 0, 1}, {12, 3, 9, 5, 3, 2, 1, 1},
                        {2, 8, 5, 6, 3, 1, 1, 0}, {3, 2, 7, 5, 1, 1, 0, 0}};
        for (int[] cfg : cfgs) {
            Random r = new Random(13);
            Conv2d conv = new Conv2d(cfg[1], cfg[3], cfg[4], cfg[5], cfg[6], false, r);
            Tensor x = random(r, cfg[0], cfg[1], cfg[2], cfg[2] + 2);
            Tensor dy = random(r, conv.forward(x, true).shape);
            int ohw = dy.shape[2] * dy.shape[3], ckk = cfg[1] * cfg[4] * cfg[4];
            String what = java.util.Arrays.toString(cfg);
            assertEquals(cfg[7] == 1, Conv2d.transposedWeightGrad(cfg[0], ohw, ckk, cfg[3]), what);
            Tensor before = random(r, conv.weight.grad.shape);
            System.arraycopy(before.data, 0, conv.weight.grad.data, 0, before.size());
            conv.backward(dy);
            Tensor[] want = referenceGrads(x, conv.weight.value, dy, cfg[5], cfg[6]);
            for (int i = 0; i < before.size(); i++) want[1].data[i] += before.data[i];
            assertArrayEquals(want[1].data, conv.weight.grad.data, 1e-4f, what + " dw");
        }
        assertTrue(Conv2d.transposedWeightGrad(8, 112 * 112, 147, 64));      // ResNet stem at batch 8
        assertFalse(Conv2d.transposedWeightGrad(8, 49, 4608, 512));         // layer4 3x3 at batch 8
        assertFalse(Conv2d.transposedWeightGrad(32, 196, 2304, 256));       // layer3 3x3 at batch 32
    }

    /**
     * Winograd == the path the conv takes without it (implicit im2col on small maps, {@link
     * minifig.kernels.ConvShifted} on large ones) == the definition: output, dX (a convolution too) and dW.
     */
    @Test
    void winogradEqualsOtherPathsAndDefinition() {
        Conv2d.shiftedForward = true;   // compare ConvShifted's forward with the others too
        Conv2d.shiftedMinPixels = 784;
        for (boolean training : new boolean[] {false, true}) {
            assertTrue(Conv2d.winograd(3, 1, 1, 1, 14 * 14, 256, 256, training));    // layer3
            assertTrue(Conv2d.winograd(3, 1, 1, 1, 28 * 28, 128, 128, training));    // layer2
            assertTrue(Conv2d.winograd(3, 1, 1, 1, 56 * 56, 64, 64, training));      // layer1
            assertTrue(Conv2d.winograd(3, 1, 1, 1, 7 * 7, 512, 512, training));      // layer4, any batch
            assertFalse(Conv2d.winograd(3, 1, 1, 4, 7 * 7, 64, 64, training));       // few channels on 7x7 at batch 4
            assertEquals(training, Conv2d.winograd(3, 1, 1, 8, 7 * 7, 64, 64, training)); // ... at 8: in training only
            assertFalse(Conv2d.winograd(3, 1, 1, 1, 6 * 6, 512, 512, training));     // below 49 pixels
            assertFalse(Conv2d.winograd(3, 2, 1, 32, 28 * 28, 128, 128, training));  // strided
            assertFalse(Conv2d.winograd(1, 1, 0, 32, 56 * 56, 64, 64, training));   // pointwise
            assertFalse(Conv2d.winograd(5, 1, 2, 32, 56 * 56, 64, 64, training));    // 5x5
            assertFalse(Conv2d.winograd(3, 1, 1, 32, 64 * 64, 3, 64, training));     // the custom net's conv1: 3 channels in
            assertFalse(Conv2d.winograd(3, 1, 1, 32, 64 * 64, 16, 64, training));    // 16
            assertTrue(Conv2d.winograd(3, 1, 1, 32, 64 * 64, 32, 64, training));     // 32
            assertTrue(Conv2d.winograd(3, 1, 1, 32, 64 * 64, 64, 64, training));     // its conv2
        }
        assertTrue(Conv2d.winogradWeightGrad(3, 1, 1, 8, 7 * 7, 512));     // dW: layer4 from batch 8
        assertFalse(Conv2d.winogradWeightGrad(3, 1, 1, 4, 7 * 7, 512));
        assertFalse(Conv2d.winogradWeightGrad(3, 2, 1, 32, 28 * 28, 128));
        assertFalse(Conv2d.winogradWeightGrad(3, 1, 1, 32, 64 * 64, 3));   // the custom net's conv1
        assertTrue(Conv2d.winogradWeightGrad(3, 1, 1, 32, 64 * 64, 64));   // its conv2
        Conv2d.winogradMinPixels = 1;
        Conv2d.winogradWeightGradMinPixels = 1;
        Conv2d.winogradMinChannels = 1;                                     // Winograd on the few channels below
        for (int shifted : new int[] {784, 1}) {
            Conv2d.shiftedMinPixels = shifted;
            for (int[] cfg : new int[][] {{3, 5, 7, 6}, {2, 4, 6, 3}, {4, 3, 1, 2}})      // {N, C, H, O}
                winogradAgrees(cfg, shifted == 1 ? "ConvShifted" : "im2col");
        }
    }

    /**
     * Through Winograd, an image's output is the same bits alone as in a batch (the rule ignores the batch too): on a
     * map of >= 196 pixels, and on a 7x7 map of a conv with 256 channels (the rule for wide convs).
     */
    @Test
    void winogradOutputOfAnImageDoesNotDependOnItsBatch() {
        Conv2d.winogradMinChannels = 1;          // the first case has 5 channels
        Random r = new Random(5);
        // {C, O, H, W, N}
        for (int[] c : new int[][] {{5, 6, 15, 14, 5}, {256, 256, 7, 7, 3}}) {
            int C = c[0], O = c[1], H = c[2], W = c[3], N = c[4], CHW = C * H * W, OHW = H * W;
            Conv2d conv = new Conv2d(C, O, 3, 1, 1, true, r);
            assertTrue(Conv2d.winograd(3, 1, 1, 1, OHW, C, O, false));
            Tensor x = random(r, N, C, H, W);
            int before = minifig.kernels.Parallel.threads();
            try {
                for (int threads = 1; threads <= 2; threads++) {
                    minifig.kernels.Parallel.setThreads(threads);
                    Tensor all = conv.forward(x, false);
                    for (int n = 0; n < N; n++) {
                        Tensor one = new Tensor(java.util.Arrays.copyOfRange(x.data, n * CHW, (n + 1) * CHW), 1, C, H, W);
                        assertArrayEquals(java.util.Arrays.copyOfRange(all.data, n * O * OHW, (n + 1) * O * OHW),
                                conv.forward(one, false).data, 0f, java.util.Arrays.toString(c) + " image " + n + ", threads " + threads);
                    }
                }
            } finally {
                minifig.kernels.Parallel.setThreads(before);
            }
        }
    }

    /**
     * An eval forward runs Winograd from a kept, packed U (a wide conv on 7x7 and on 14x14, a narrow one in chunks on
     * 28x28): the same bits as Winograd transforming per call (a training forward), and never stale: after a direct
     * write to one weight, and after a step that changes them all, the next eval forward follows.
     */
    @Test
    void evalWinogradFromKeptWeightsFollowsEveryWeightChange() {
        // (channels, map side): layer4's 7x7 and layer3's 14x14 (16 GEMMs over the batch), layer2-sized chunks
        for (int[] cfg : new int[][] {{256, 7}, {256, 14}, {64, 28}}) {
            Random r = new Random(8);
            int ch = cfg[0], side = cfg[1];
            Conv2d conv = new Conv2d(ch, ch, 3, 1, 1, true, r);
            Tensor x = random(r, 2, ch, side, side);
            String what = ch + " channels on " + side + "x" + side + ": ";
            assertTrue(Conv2d.winograd(3, 1, 1, 2, side * side, ch, ch, false), what + "winograd");
            Tensor kept = conv.forward(x, false), again = conv.forward(x, false);
            assertArrayEquals(conv.forward(x, true).data, kept.data, 0f, what + "kept U == U per call");
            assertArrayEquals(kept.data, again.data, 0f, what + "reused");
            conv.forward(x, false);
            conv.weight.value.data[1234] += 0.5f;                       // one weight, written directly
            Tensor afterWrite = conv.forward(x, false);
            assertFalse(java.util.Arrays.equals(kept.data, afterWrite.data), what + "a changed weight changes the output");
            assertArrayEquals(conv.forward(x, true).data, afterWrite.data, 0f, what + "after a direct write");
            conv.forward(x, false);
            for (int i = 0; i < conv.weight.value.size(); i++) conv.weight.value.data[i] *= 0.9f;   // a decay-like step
            Tensor afterStep = conv.forward(x, false);
            assertArrayEquals(conv.forward(x, true).data, afterStep.data, 0f, what + "after changing all weights");
        }
    }

    private static void winogradAgrees(int[] cfg, String other) {
        Random r = new Random(21);
        Conv2d conv = new Conv2d(cfg[1], cfg[3], 3, 1, 1, true, r);
        Tensor x = random(r, cfg[0], cfg[1], cfg[2], cfg[2] + 1);
        Tensor dy = random(r, cfg[0], cfg[3], cfg[2], cfg[2] + 1);
        int OHW = cfg[2] * (cfg[2] + 1);
        assertTrue(Conv2d.winograd(3, 1, 1, cfg[0], OHW, cfg[1], cfg[3], true), "winograd applies to " + java.util.Arrays.toString(cfg));
        assertTrue(Conv2d.winogradWeightGrad(3, 1, 1, cfg[0], OHW, cfg[1]), "winograd dW applies to " + java.util.Arrays.toString(cfg));
        Tensor[][] got = new Tensor[2][];
        for (int on = 0; on < 2; on++) {
            conv.setWinograd(on == 1);
            conv.weight.grad.fill(0f);
            Tensor y = conv.forward(x, true);
            got[on] = new Tensor[] {y, conv.backward(dy), conv.weight.grad.copy()};
        }
        Tensor want = ConvReference.forward(x, conv.weight.value, conv.bias.value, 1, 1);
        Tensor[] grads = referenceGrads(x, conv.weight.value, dy, 1, 1);
        String what = java.util.Arrays.toString(cfg) + " vs " + other;
        assertArrayEquals(want.data, got[1][0].data, 1e-5f, what + ": winograd output");
        assertArrayEquals(got[0][0].data, got[1][0].data, 1e-5f, what + ": winograd vs the other path's output");
        assertArrayEquals(grads[0].data, got[1][1].data, 1e-4f, what + ": winograd dx");
        assertArrayEquals(grads[1].data, got[1][2].data, 1e-4f, what + ": dw");
    }

    @Test
    void shiftedPanelsOnlyForLargeMaps() {
        Conv2d.shiftedMinPixels = 784;
        assertFalse(Conv2d.shiftedPanels(3, 1, 1, 56 * 56));   // off by default: implicit panels
        assertFalse(Conv2d.shiftedPanels(7, 2, 3, 112 * 112));
        Conv2d.shiftedForward = true;
        // (kernel, stride, padding, output pixels)
        assertTrue(Conv2d.shiftedPanels(3, 1, 1, 56 * 56));    // layer1
        assertTrue(Conv2d.shiftedPanels(3, 1, 1, 28 * 28));    // layer2
        assertFalse(Conv2d.shiftedPanels(3, 1, 1, 14 * 14));   // layer3: grouped implicit
        assertTrue(Conv2d.shiftedPanels(7, 2, 3, 112 * 112));  // the stem, from its phase planes
        assertTrue(Conv2d.shiftedPanels(3, 2, 1, 28 * 28));    // layer2's strided first conv
        assertFalse(Conv2d.shiftedPanels(1, 2, 0, 28 * 28));   // its 1x1/2 downsample: implicit (a plain subsample)...
        assertTrue(Conv2d.shiftedWeightGrad(1, 2, 0, 28 * 28, 128, 64)); // ...but dW from the phase image
        // the stem's and layer2's 3x3/2 dW from the phase image with AVX-512's 6 x 4 tile, else from col (the GEMM reads dY in place)
        assertEquals(GemmBlocked.MR == 6, Conv2d.shiftedWeightGrad(7, 2, 3, 112 * 112, 64, 147));
        assertEquals(GemmBlocked.MR == 6, Conv2d.shiftedWeightGrad(3, 2, 1, 28 * 28, 128, 576));
        assertFalse(Conv2d.shiftedWeightGrad(3, 2, 1, 28 * 28, 32, 576));     // a narrow O keeps col
        assertTrue(Conv2d.shiftedWeightGrad(3, 1, 1, 64 * 64, 64, 27));     // stride 1 (the custom net's conv1) from the padded image
        assertFalse(Conv2d.shiftedPanels(3, 2, 1, 14 * 14));   // layer3's: grouped implicit
        assertFalse(Conv2d.shiftedWeightGrad(3, 2, 1, 14 * 14, 256, 1152));
        assertFalse(Conv2d.shiftedPanels(1, 1, 0, 56 * 56));   // pointwise reads x itself
        assertFalse(Conv2d.shiftedWeightGrad(1, 1, 0, 56 * 56, 64, 64));
    }

    @Test
    void groupSizeCoversSmallMapsOnly() {
        Conv2d.groupColumns = 1568;
        assertEquals(1, Conv2d.groupSize(32, 3136));   // layer1: one image is wide enough
        assertEquals(8, Conv2d.groupSize(8, 196));     // layer3 at batch 8: all in one GEMM
        assertEquals(32, Conv2d.groupSize(32, 49));    // layer4
        assertEquals(1, Conv2d.groupSize(1, 49));      // batch 1: nothing to group
        // the forward gives every thread whole groups when there are enough images
        assertEquals(4, Conv2d.forwardGroupSize(8, 196, 2));    // layer3 at batch 8: 2 groups of 4
        assertEquals(8, Conv2d.forwardGroupSize(8, 196, 1));
        assertEquals(16, Conv2d.forwardGroupSize(32, 49, 2));   // layer4 at batch 32
        assertEquals(3, Conv2d.forwardGroupSize(5, 49, 2));     // 5 images: groups of 3 and 2
        assertEquals(1, Conv2d.forwardGroupSize(32, 3136, 2));  // layer1: already one image per group
        assertEquals(1, Conv2d.forwardGroupSize(1, 49, 2));     // fewer images than threads: the GEMM splits
    }

    @Test
    void outputsAndGradientsDoNotDependOnTheThreadCount() {
        // {N, C, H, O, K, stride, pad}: grouped 3x3 (the forward regroups at 2 and 3 threads), strided, pointwise;
        // each with all images in one group and with groups of 2 (backward: whole groups per thread, dW per group)
        int[][] cfgs = {{8, 3, 5, 4, 3, 1, 1}, {5, 2, 6, 3, 3, 2, 1}, {6, 4, 4, 5, 1, 1, 0}};
        int before = minifig.kernels.Parallel.threads();
        try {
            for (int[] cfg : cfgs) {
                int ohw = ((cfg[2] + 2 * cfg[6] - cfg[4]) / cfg[5] + 1) * ((cfg[2] + 1 + 2 * cfg[6] - cfg[4]) / cfg[5] + 1);
                for (int groupColumns : new int[] {saved, 2 * ohw}) {
                    minifig.kernels.Parallel.setThreads(1);
                    Tensor[] one = run(groupColumns, cfg, false, 3);
                    for (int t : new int[] {2, 3}) {
                        minifig.kernels.Parallel.setThreads(t);
                        Tensor[] many = run(groupColumns, cfg, false, 3);
                        for (int i = 0; i < 3; i++) {
                            assertArrayEquals(one[i].data, many[i].data, 0f, java.util.Arrays.toString(cfg) + " groupColumns "
                                    + groupColumns + " tensor " + i + ", " + t + " threads");
                        }
                    }
                    // and the same values as the textbook sums (per-group slots change only the rounding order)
                    Tensor[] plain = run(Integer.MAX_VALUE / 2 + 1, cfg, false, 3);
                    for (int i = 0; i < 3; i++) assertArrayEquals(plain[i].data, one[i].data, 1e-4f, "tensor " + i);
                }
            }
        } finally {
            minifig.kernels.Parallel.setThreads(before);
        }
    }
}
