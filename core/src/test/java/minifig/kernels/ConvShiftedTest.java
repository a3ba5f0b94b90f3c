package minifig.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The shifted-B conv forward == naive im2col + naive GEMM per image, and the padded (phase) copy is exact. */
class ConvShiftedTest extends KernelTestBase {
    @Test
    void equalsNaiveOverShapes() {
        Random r = new Random(11);
        // {N, C, O, H, W, K, pad}: 1x1 with and without padding, 3x3, 5x5, O not a multiple of 3 (edge rows),
        // grids that end mid-panel, a K*C deeper than one k block (C*9 = 1161 > 1024), a single row. Then strides
        // (last field): the stem's 7x7/2 pad 3, 3x3/2, 1x1/2 (phase (0, 0) only), an even kernel, stride 3 with
        // K = 1, 2, 3, 5, sizes that leave a remainder under the stride, padding larger than the stride; batches of 4-5.
        int[][] configs = {
            {1, 2, 1, 7, 7, 1, 0, 1}, {2, 3, 4, 5, 8, 1, 1, 1}, {2, 3, 5, 7, 7, 3, 1, 1}, {1, 4, 7, 13, 9, 3, 1, 1},
            {3, 2, 3, 8, 5, 3, 0, 1}, {1, 2, 2, 9, 11, 5, 2, 1}, {1, 1, 8, 1, 30, 3, 1, 1}, {2, 129, 6, 6, 5, 3, 1, 1},
            {1, 5, 64, 30, 29, 3, 1, 1}, {1, 3, 3, 3, 3, 3, 0, 1},
            {2, 3, 8, 23, 22, 7, 3, 2}, {1, 6, 7, 12, 11, 3, 1, 2}, {2, 5, 4, 9, 10, 1, 0, 2}, {1, 3, 5, 10, 9, 2, 0, 2},
            {1, 4, 3, 14, 13, 3, 1, 3}, {2, 2, 5, 11, 16, 5, 2, 3}, {1, 3, 2, 10, 8, 1, 1, 3}, {1, 2, 3, 9, 9, 2, 1, 3},
            {1, 2, 5, 9, 8, 3, 4, 2}, {1, 120, 7, 20, 21, 3, 1, 2},
            // batches of several images per thread
            {5, 3, 4, 9, 8, 3, 1, 1}, {4, 3, 8, 23, 22, 7, 3, 2},
        };
        for (int threads = 1; threads <= 2; threads++) {
            Parallel.setThreads(threads);
            for (int[] c : configs) {
                int N = c[0], C = c[1], O = c[2], H = c[3], W = c[4], K = c[5], pad = c[6], s = c[7];
                float[] x = random(r, N * C * H * W), w = random(r, O * C * K * K);
                float[] want = convReference(w, O, x, N, C, H, W, K, s, pad);
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
    void chunksOfTheGridGiveTheSameBitsAsWholeImages() {
        Random r = new Random(12);
        // {N, C, O, H, W, K, pad, stride}: the stem's 7x7/2 (small), a 3x3/2, a 3x3/1 with O not a multiple of 3
        int[][] configs = {{3, 3, 8, 23, 22, 7, 3, 2}, {2, 6, 7, 12, 11, 3, 1, 2}, {2, 4, 5, 13, 9, 3, 1, 1}};
        int NR = GemmBlocked.NR;
        for (int threads = 1; threads <= 2; threads++) {
            Parallel.setThreads(threads);
            for (int[] c : configs) {
                int N = c[0], C = c[1], O = c[2], H = c[3], W = c[4], K = c[5], pad = c[6], s = c[7];
                float[] x = random(r, N * C * H * W), w = random(r, O * C * K * K), bias = random(r, O);
                float[] want = convReference(w, O, x, N, C, H, W, K, s, pad);
                int cols = ConvShifted.Grid.of(C, H, W, K, s, pad).cols();
                for (Epilogue epi : new Epilogue[] {null, new Epilogue(bias, null, null, null, null, null, true)}) {
                    float[] whole = new float[want.length];
                    ConvShifted.forward(w, O, x, N, C, H, W, K, s, pad, whole, 0, epi, cols);
                    if (epi == null) assertArrayEquals(want, whole, 1e-4f * C * K * K, Arrays.toString(c));
                    // chunks of one column, of a grid row and a bit, of whole panels, ending mid-row and mid-panel
                    for (int chunk : new int[] {1, 5, cols / 3 + 1, NR, 2 * NR, cols - 1}) {
                        float[] got = new float[want.length + 2];
                        Arrays.fill(got, Float.NaN);
                        ConvShifted.forward(w, O, x, N, C, H, W, K, s, pad, got, 1, epi, chunk);
                        String at = Arrays.toString(c) + " chunk " + chunk + " epilogue " + (epi != null) + " threads " + threads;
                        assertArrayEquals(whole, Arrays.copyOfRange(got, 1, 1 + want.length), at);
                        assertEquals(Float.NaN, got[0], at);
                        assertEquals(Float.NaN, got[1 + want.length], at);
                    }
                }
            }
        }
    }

    @Test
    void imagesLargerThanL2RunInChunksOfWholePanels() {
        int NR = GemmBlocked.NR;
        // the stem: 64 x 12880 grid floats (3.3 MB) in chunks of whole panels; layer2's 3x3/2 (128 x 812) whole
        int stem = ConvShifted.chunkColumns(64, 112 * 115);
        assertEquals(0, stem % NR);
        assertTrue(stem < 112 * 115 && 64L * stem <= ConvShifted.chunkFloats, "stem chunk " + stem);
        assertEquals(28 * 29, ConvShifted.chunkColumns(128, 28 * 29));
        assertEquals(NR, ConvShifted.chunkColumns(1 << 20, 1000), "at least one panel");
    }

    @Test
    void paddedCopyHasZeroBorderAndOverwritesOldContents() {
        Random r = new Random(5);
        int C = 3, H = 4, W = 5, pad = 2, Hp = H + 2 * pad, Wp = W + 2 * pad;
        float[] x = random(r, 2 * C * H * W);
        float[] xp = new float[C * Hp * Wp + 7];
        Arrays.fill(xp, 9f);
        ConvShifted.copyChannels(x, C * H * W, 0, C, ConvShifted.Grid.of(C, H, W, 1, 1, pad), xp);
        for (int c = 0; c < C; c++)
            for (int h = 0; h < Hp; h++)
                for (int w = 0; w < Wp; w++) {
                    int ih = h - pad, iw = w - pad;
                    float want = ih < 0 || ih >= H || iw < 0 || iw >= W ? 0f : x[C * H * W + (c * H + ih) * W + iw];
                    assertEquals(want, xp[(c * Hp + h) * Wp + w], "c " + c + " h " + h + " w " + w);
                }
        assertEquals(9f, xp[C * Hp * Wp], "nothing written past the padded image");
    }

    @Test
    void phaseCopyHoldsEveryStrideThCellOfThePaddedImage() {
        Random r = new Random(6);
        // stride 2, 3x3, pad 1: phases (a, b) in {0, 1}^2; stride 3, K = 2: phases {0, 1}^2 only (min(s, K))
        for (int[] c : new int[][] {{3, 7, 6, 3, 2, 1}, {2, 8, 9, 2, 3, 2}, {1, 5, 5, 7, 2, 3}}) {
            int C = c[0], H = c[1], W = c[2], K = c[3], s = c[4], pad = c[5];
            ConvShifted.Grid g = ConvShifted.Grid.of(C, H, W, K, s, pad);
            float[] x = random(r, 2 * C * H * W), xp = new float[g.size() + 7];
            Arrays.fill(xp, 9f);
            ConvShifted.copyChannels(x, C * H * W, 0, C, g, xp);
            int P = g.phases(), i0 = 0;
            assertEquals(Math.min(s, K), P);
            for (int ch = 0; ch < C; ch++)
                for (int a = 0; a < P; a++)
                    for (int b = 0; b < P; b++)
                        for (int i = 0; i < g.hq(); i++)
                            for (int j = 0; j < g.wq(); j++, i0++) {
                                int ih = i * s + a - pad, iw = j * s + b - pad;
                                float want = ih < 0 || ih >= H || iw < 0 || iw >= W ? 0f : x[C * H * W + (ch * H + ih) * W + iw];
                                assertEquals(want, xp[i0], Arrays.toString(c) + " c " + ch + " phase " + a + "," + b + " at " + i + "," + j);
                            }
            assertEquals(9f, xp[g.size()], "nothing written past the phase image");
        }
    }

    @Test
    void rejectsKernelLargerThanPaddedImage() {
        assertThrows(IllegalArgumentException.class,
                () -> ConvShifted.forward(new float[25], 1, new float[9], 1, 1, 3, 3, 5, 1, 0, new float[1], 0));
    }
}
