package minifig.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The shifted-B conv forward == naive im2col + naive GEMM per image, and the phase images are exact. */
class ConvShiftedTest {
    private final int savedThreads = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(savedThreads);
    }

    private static float[] random(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = r.nextFloat() * 2 - 1;
        return x;
    }

    /** The specification: y[n] = W · im2col(x[n]) with the naive kernels, accumulated in double. */
    private static float[] reference(float[] w, int O, float[] x, int N, int C, int H, int W, int K, int s, int pad) {
        int OH = Im2col.outSize(H, K, s, pad), OW = Im2col.outSize(W, K, s, pad), CKK = C * K * K;
        float[] col = new float[CKK * OH * OW], y = new float[N * O * OH * OW];
        for (int n = 0; n < N; n++) {
            Im2colNaive.im2col(x, n * C * H * W, C, H, W, K, K, s, pad, col, 0);
            GemmNaive.sgemm(false, false, O, OH * OW, CKK, w, 0, CKK, col, 0, OH * OW, y, n * O * OH * OW, OH * OW, false);
        }
        return y;
    }

    @Test
    void equalsNaiveOverShapes() {
        Random r = new Random(11);
        // {N, C, O, H, W, K, stride, pad}: 1x1 with and without padding, 3x3, 5x5, O not a multiple of 3 (edge
        // rows), grids that end mid-panel, K*C deeper than one k block (C*9 = 1161 > 1024), a single row; stride 2
        // (a ResNet stem 7x7/2/3, 3x3/2, a 1x1/2 downsample that needs one phase only), stride 3, even kernels.
        int[][] configs = {
            {1, 2, 1, 7, 7, 1, 1, 0}, {2, 3, 4, 5, 8, 1, 1, 1}, {2, 3, 5, 7, 7, 3, 1, 1}, {1, 4, 7, 13, 9, 3, 1, 1},
            {3, 2, 3, 8, 5, 3, 1, 0}, {1, 2, 2, 9, 11, 5, 1, 2}, {1, 1, 8, 1, 30, 3, 1, 1}, {2, 129, 6, 6, 5, 3, 1, 1},
            {1, 5, 64, 30, 29, 3, 1, 1}, {1, 3, 3, 3, 3, 3, 1, 0},
            {2, 3, 4, 23, 22, 7, 2, 3}, {1, 4, 5, 9, 8, 3, 2, 1}, {2, 3, 4, 9, 7, 1, 2, 0}, {1, 2, 3, 10, 11, 3, 3, 1},
            {1, 2, 3, 9, 9, 2, 2, 0}, {1, 2, 2, 8, 7, 4, 3, 2}, {1, 130, 5, 5, 6, 3, 2, 1},
        };
        for (int threads = 1; threads <= 2; threads++) {
            Parallel.setThreads(threads);
            for (int[] c : configs) {
                int N = c[0], C = c[1], O = c[2], H = c[3], W = c[4], K = c[5], s = c[6], pad = c[7];
                float[] x = random(r, N * C * H * W), w = random(r, O * C * K * K);
                float[] want = reference(w, O, x, N, C, H, W, K, s, pad);
                float[] got = new float[want.length + 5];
                Arrays.fill(got, Float.NaN);                       // every output element must be written
                ConvShifted.forward(w, O, x, N, C, H, W, K, s, pad, got, 3);
                float[] body = Arrays.copyOfRange(got, 3, 3 + want.length);
                assertArrayEquals(want, body, 1e-4f * C * K * K, Arrays.toString(c) + " threads " + threads);
                assertEquals(Float.NaN, got[2]);
                assertEquals(Float.NaN, got[3 + want.length]);
            }
        }
    }

    @Test
    void phaseImagesAreTheStridedPaddedImage() {
        Random r = new Random(5);
        int C = 3, H = 7, W = 5;
        float[] x = random(r, 2 * C * H * W);
        for (int[] sp : new int[][] {{1, 2}, {2, 1}, {3, 2}, {2, 0}}) {
            int s = sp[0], pad = sp[1], P = s, Hq = (H + 2 * pad + s - 1) / s, Wq = (W + 2 * pad + s - 1) / s;
            float[] xp = new float[P * P * C * Hq * Wq + 7];
            Arrays.fill(xp, 9f);                                    // old contents must be overwritten
            ConvShifted.phases(x, C * H * W, C, H, W, s, pad, P, xp);
            for (int a = 0; a < P; a++)
                for (int b = 0; b < P; b++)
                    for (int c = 0; c < C; c++)
                        for (int i = 0; i < Hq; i++)
                            for (int j = 0; j < Wq; j++) {
                                int ih = i * s + a - pad, iw = j * s + b - pad;
                                float want = ih < 0 || ih >= H || iw < 0 || iw >= W ? 0f : x[C * H * W + (c * H + ih) * W + iw];
                                assertEquals(want, xp[(((a * P + b) * C + c) * Hq + i) * Wq + j],
                                        "s " + s + " pad " + pad + " phase " + a + "," + b + " c " + c + " i " + i + " j " + j);
                            }
            assertEquals(9f, xp[P * P * C * Hq * Wq], "nothing written past the phases");
        }
    }

    @Test
    void rejectsKernelLargerThanPaddedImage() {
        assertThrows(IllegalArgumentException.class,
                () -> ConvShifted.forward(new float[25], 1, new float[9], 1, 1, 3, 3, 5, 1, 0, new float[1], 0));
    }
}
