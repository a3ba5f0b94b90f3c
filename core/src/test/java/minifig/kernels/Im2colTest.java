package minifig.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Fast im2col/col2im equal the reference over strides, paddings, kernels and odd sizes; col2im is the adjoint. */
class Im2colTest extends KernelTestBase {
    /** {C, H, W, K, stride, pad}; strides 2 and 3 take the column-phase path of im2col. */
    private static int[][] configs() {
        java.util.List<int[]> out = new java.util.ArrayList<>();
        for (int k : new int[] {1, 3, 7}) {
            for (int stride : new int[] {1, 2, 3}) {
                for (int pad : new int[] {0, 1, 3}) {
                    for (int[] hw : new int[][] {{7, 7}, {8, 5}, {13, 9}, {1, 11}}) {
                        if (hw[0] + 2 * pad < k || hw[1] + 2 * pad < k) continue;
                        out.add(new int[] {3, hw[0], hw[1], k, stride, pad});
                    }
                }
            }
        }
        return out.toArray(new int[0][]);
    }

    @Test
    void fastEqualsReferenceAndIsTheAdjoint() {
        Random r = new Random(11);
        for (int[] cfg : configs()) {
            int C = cfg[0], H = cfg[1], W = cfg[2], K = cfg[3], s = cfg[4], p = cfg[5];
            int OH = Im2col.outSize(H, K, s, p), OW = Im2col.outSize(W, K, s, p);
            int rows = C * K * K, cols = OH * OW, xOff = 5, colOff = 3;
            String what = "C=" + C + " H=" + H + " W=" + W + " k=" + K + " stride=" + s + " pad=" + p;
            float[] x = random(r, xOff + C * H * W + 2);
            float[] want = random(r, colOff + rows * cols + 4), got = want.clone();
            Im2colNaive.im2col(x, xOff, C, H, W, K, K, s, p, want, colOff);
            Im2col.im2col(x, xOff, C, H, W, K, K, s, p, got, colOff);
            assertArrayEquals(want, got, what);

            float[] dcol = random(r, colOff + rows * cols);
            float[] dxWant = random(r, xOff + C * H * W + 2), dxGot = dxWant.clone(), dx0 = dxWant.clone();
            Im2colNaive.col2im(dcol, colOff, C, H, W, K, K, s, p, dxWant, xOff);
            Im2col.col2im(dcol, colOff, C, H, W, K, K, s, p, dxGot, xOff);
            assertArrayEquals(dxWant, dxGot, 1e-5f, what);

            // <im2col(x), y> == <x, col2im(y)>: col2im is im2col's transpose.
            double lhs = 0, rhs = 0;
            for (int i = 0; i < rows * cols; i++) lhs += (double) got[colOff + i] * dcol[colOff + i];
            for (int i = 0; i < C * H * W; i++) rhs += (double) x[xOff + i] * (dxGot[xOff + i] - dx0[xOff + i]);
            assertEquals(lhs, rhs, 1e-4 * (1 + Math.abs(lhs)), "adjoint " + what);
        }
    }

    @Test
    void parallelPathOnBigInputsEqualsReference() {
        Random r = new Random(12);
        Parallel.setThreads(2);
        int C = 40, H = 91, W = 93, K = 3;
        for (int s : new int[] {1, 2, 3}) {
            int rows = C * K * K, cols = Im2col.outSize(H, K, s, 1) * Im2col.outSize(W, K, s, 1);
            assertTrue((long) rows * cols >= Im2col.PARALLEL_MIN_ELEMENTS, "must take the parallel path");
            float[] x = random(r, C * H * W), want = new float[rows * cols], got = new float[rows * cols];
            Im2colNaive.im2col(x, 0, C, H, W, K, K, s, 1, want, 0);
            Im2col.im2col(x, 0, C, H, W, K, K, s, 1, got, 0);
            assertArrayEquals(want, got);
            float[] dxWant = new float[C * H * W], dxGot = new float[C * H * W];
            Im2colNaive.col2im(want, 0, C, H, W, K, K, s, 1, dxWant, 0);
            Im2col.col2im(want, 0, C, H, W, K, K, s, 1, dxGot, 0);
            assertArrayEquals(dxWant, dxGot, 1e-5f);
        }
    }

    /** Several images side by side in one col matrix (row stride G*OH*OW), as Conv2d batches small maps. */
    @Test
    void rowStrideLaysImagesSideBySide() {
        Random r = new Random(14);
        for (int[] cfg : configs()) {
            int C = cfg[0], H = cfg[1], W = cfg[2], K = cfg[3], s = cfg[4], p = cfg[5], G = 3;
            int rows = C * K * K, ohw = Im2col.outSize(H, K, s, p) * Im2col.outSize(W, K, s, p), ld = G * ohw + 2;
            String what = "C=" + C + " H=" + H + " W=" + W + " k=" + K + " stride=" + s + " pad=" + p;
            float[] x = random(r, G * C * H * W);
            float[] want = random(r, rows * ld), got = want.clone();
            for (int g = 0; g < G; g++) {
                Im2colNaive.im2col(x, g * C * H * W, C, H, W, K, K, s, p, want, g * ohw, ld);
                Im2col.im2col(x, g * C * H * W, C, H, W, K, K, s, p, got, g * ohw, ld);
                // image g's block equals its own dense im2col
                float[] dense = new float[rows * ohw];
                Im2colNaive.im2col(x, g * C * H * W, C, H, W, K, K, s, p, dense, 0);
                for (int row = 0; row < rows; row++) {
                    for (int j = 0; j < ohw; j++) assertEquals(dense[row * ohw + j], got[row * ld + g * ohw + j], what);
                }
            }
            assertArrayEquals(want, got, what);
            float[] dxWant = random(r, G * C * H * W), dxGot = dxWant.clone();
            for (int g = 0; g < G; g++) {
                Im2colNaive.col2im(want, g * ohw, C, H, W, K, K, s, p, dxWant, g * C * H * W, ld);
                Im2col.col2im(want, g * ohw, C, H, W, K, K, s, p, dxGot, g * C * H * W, ld);
            }
            assertArrayEquals(dxWant, dxGot, 1e-5f, what);
        }
    }

    /**
     * im2colImages / col2imImages equal the reference image by image, on groups whose images are each below the fork
     * threshold while the group is above it (the (image, channel) split) and on small groups (serial), at 1 and 2
     * threads, with the (image, channel) ranges cut inside an image.
     */
    @Test
    void imageGroupsEqualTheReferenceImageByImage() {
        Random r = new Random(15);
        // {G, C, H, W, K, stride, pad}: layer4's 3x3/2 and 1x1/2 at 7x7 outputs, layer3's 3x3/2, an odd small group
        int saved = Parallel.threads();
        int[][] cases = {{8, 256, 14, 14, 3, 2, 1}, {8, 256, 14, 14, 1, 2, 0}, {4, 128, 28, 28, 3, 2, 1}, {3, 5, 9, 7, 3, 1, 1}};
        try {
            for (int threads : new int[] {1, 2}) {
                Parallel.setThreads(threads);
                for (int[] c : cases) {
                    int G = c[0], C = c[1], H = c[2], W = c[3], K = c[4], s = c[5], p = c[6];
                    int rows = C * K * K, ohw = Im2col.outSize(H, K, s, p) * Im2col.outSize(W, K, s, p), ld = G * ohw + 3;
                    String what = "G=" + G + " C=" + C + " H=" + H + " k=" + K + " stride=" + s + " threads=" + threads;
                    if (G == 8 && K == 3) {
                        assertTrue((long) rows * ohw < Im2col.PARALLEL_MIN_ELEMENTS, "each image alone must stay serial: " + what);
                        assertTrue((long) G * rows * ohw >= Im2col.PARALLEL_MIN_ELEMENTS, "the group must split: " + what);
                    }
                    float[] x = random(r, 7 + G * C * H * W);
                    float[] want = random(r, rows * ld), got = want.clone();
                    for (int g = 0; g < G; g++) Im2colNaive.im2col(x, 7 + g * C * H * W, C, H, W, K, K, s, p, want, g * ohw, ld);
                    Im2col.im2colImages(x, 7, G, C, H, W, K, K, s, p, got, ld);
                    assertArrayEquals(want, got, what);
                    float[] dxWant = random(r, 7 + G * C * H * W), dxGot = dxWant.clone();
                    for (int g = 0; g < G; g++) Im2colNaive.col2im(want, g * ohw, C, H, W, K, K, s, p, dxWant, 7 + g * C * H * W, ld);
                    Im2col.col2imImages(want, G, C, H, W, K, K, s, p, dxGot, 7, ld);
                    assertArrayEquals(dxWant, dxGot, 1e-5f, what);
                }
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void oneByOneStrideOneIsTheIdentity() {
        assertTrue(Im2col.isIdentity(1, 1, 1, 0));
        assertFalse(Im2col.isIdentity(1, 1, 2, 0));
        assertFalse(Im2col.isIdentity(3, 3, 1, 1));
        assertFalse(Im2col.isIdentity(1, 1, 1, 1));
        Random r = new Random(13);
        float[] x = random(r, 4 * 5 * 6), col = new float[4 * 5 * 6];
        Im2col.im2col(x, 0, 4, 5, 6, 1, 1, 1, 0, col, 0);
        assertArrayEquals(x, col);
    }
}
