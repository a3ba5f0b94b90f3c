package minifig.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The weight gradient read from the padded (phase) image == naive im2col + naive GEMM (dY · colᵀ) per image. */
class ConvWeightGradTest extends KernelTestBase {
    @Test
    void equalsNaiveOverShapes() {
        assertTrue(40 * 42 > ConvWeightGrad.QC && 17 * 9 > 3 * ConvWeightGrad.JB, "the shapes below must cover several chunks and blocks");
        Random r = new Random(5);
        // {N, C, O, H, W, K, pad}: 1x1 padded and not, 3x3 padded and not, 5x5, pad = K - 1, O and C*K*K not
        // multiples of 3 (dropped edge sums), rows longer than one pixel chunk (40 x 42 padded pixels > QC), more
        // row triples than one block (C*9 = 153 > 3 * JB), a single output row, an odd channel count. Then strides
        // (last field): the stem's 7x7/2 pad 3, 3x3/2 and 1x1/2 (phase (0, 0) only), an even kernel, stride 3 with
        // K = 1, 2, 3, 5, sizes that leave a remainder under the stride, padding larger than the stride.
        int[][] configs = {
            {1, 2, 1, 7, 7, 1, 0, 1}, {2, 3, 4, 5, 8, 1, 1, 1}, {2, 3, 5, 7, 7, 3, 1, 1}, {1, 4, 7, 13, 9, 3, 1, 1},
            {3, 2, 3, 8, 5, 3, 0, 1}, {1, 2, 2, 9, 11, 5, 2, 1}, {1, 1, 8, 1, 30, 3, 1, 1}, {2, 17, 6, 6, 5, 3, 1, 1},
            {1, 5, 64, 30, 31, 3, 1, 1}, {1, 3, 3, 3, 3, 3, 2, 1}, {2, 7, 11, 10, 6, 3, 1, 1}, {1, 2, 4, 40, 40, 3, 1, 1},
            {2, 3, 8, 23, 22, 7, 3, 2}, {1, 6, 7, 12, 11, 3, 1, 2}, {2, 5, 4, 9, 10, 1, 0, 2}, {1, 3, 5, 10, 9, 2, 0, 2},
            {1, 4, 3, 14, 13, 3, 1, 3}, {2, 2, 5, 11, 16, 5, 2, 3}, {1, 3, 2, 10, 8, 1, 1, 3}, {1, 2, 3, 9, 9, 2, 1, 3},
            {1, 2, 5, 9, 8, 3, 4, 2}, {1, 20, 7, 44, 44, 3, 1, 2}, {1, 2, 4, 90, 90, 3, 1, 2},
        };
        for (int[] c : configs) assertEqualsNaive(r, c);
    }

    /**
     * Config {N, C, O, H, W, K, pad, stride}: accumulate == the naive reference at 1 and 2 threads, bit-identical across
     * the two. Both start from the same values and a 3-float offset: the kernel adds, it does not overwrite.
     */
    private static void assertEqualsNaive(Random r, int[] c) {
        int N = c[0], C = c[1], O = c[2], H = c[3], W = c[4], K = c[5], pad = c[6], s = c[7];
        int OH = Im2col.outSize(H, K, s, pad), OW = Im2col.outSize(W, K, s, pad);
        float[] x = random(r, N * C * H * W), dy = random(r, N * O * OH * OW);
        float[] start = random(r, 3 + O * C * K * K), want = start.clone();
        convWeightGradReference(x, dy, N, C, H, W, O, K, s, pad, want, 3);
        float[] one = null;
        for (int threads = 1; threads <= 2; threads++) {
            Parallel.setThreads(threads);
            float[] got = start.clone();
            ConvWeightGrad.accumulate(x, dy, N, C, H, W, O, K, s, pad, got, 3);
            assertEquals(start[0], got[0]);
            String what = java.util.Arrays.toString(c) + " threads=" + threads;
            assertArrayEquals(want, got, 2e-4f * (1 + OH * OW * N / 64f), what);
            if (one == null) one = got;
            else assertArrayEquals(one, got, 0f, what + ": not bit-identical to one thread");
        }
    }

    @Test
    void transposedTileEqualsNaiveOverShapes() {
        Random r = new Random(6);
        // {N, C, O, H, W, K, pad, stride} taking AVX-512's transposed form (dWᵀ = col · dYᵀ through the 6 x 4 tile):
        // O = 48 (one partial panel), O = 100 (a full and a partial panel), C*K*K = 27 and 45 (rows past a multiple
        // of 6), 40 x 42 grid cells (two k blocks of the GEMM), the stem's 7x7/2 pad 3, a 1x1/2, stride 3 with a 5x5.
        int[][] configs = {
            {2, 4, 48, 13, 11, 3, 1, 1}, {1, 3, 100, 20, 20, 3, 1, 2}, {2, 5, 64, 40, 40, 3, 1, 1},
            {1, 3, 64, 45, 47, 7, 3, 2}, {2, 32, 128, 12, 12, 1, 0, 2}, {1, 4, 64, 17, 16, 5, 2, 3},
        };
        assertTrue(40 * 42 > GemmBlocked.DEFAULT.kc, "the third shape must span two k blocks");
        for (int[] c : configs) {
            assertEquals(GemmBlocked.MR == 6, ConvWeightGrad.transposedPays(c[2], c[1] * c[5] * c[5]), java.util.Arrays.toString(c));
            assertEqualsNaive(r, c);
        }
        // The rule: a narrow O or a short col falls back to the 3 x 3 tile.
        assertFalse(ConvWeightGrad.transposedPays(32, 576));
        assertFalse(ConvWeightGrad.transposedPays(64, 9));
    }

    @Test
    void staleNaNInTheReusedImageBufferDoesNotLeak() {
        // A larger call leaves NaN in the padded image's buffer past where a smaller grid ends; the smaller call's
        // runs read a few of those cells (times dY's zero columns) and must still be exact. Both dW forms.
        Random r = new Random(9);
        for (int O : new int[] {2, 64}) {
            float[] bigX = new float[2 * 6 * 20 * 20], bigDy = random(r, 2 * O * 20 * 20);
            java.util.Arrays.fill(bigX, Float.NaN);
            ConvWeightGrad.accumulate(bigX, bigDy, 2, 6, 20, 20, O, 3, 1, 1, new float[O * 54], 0);
            float[] x = random(r, 3 * 5 * 4), dy = random(r, O * 5 * 4);
            float[] want = new float[O * 27], got = new float[O * 27];
            convWeightGradReference(x, dy, 1, 3, 5, 4, O, 3, 1, 1, want, 0);
            ConvWeightGrad.accumulate(x, dy, 1, 3, 5, 4, O, 3, 1, 1, got, 0);
            assertArrayEquals(want, got, 1e-5f, "O = " + O);
        }
    }

    @Test
    void largeBufferFromAnEarlierCallDoesNotLeak() {
        // A bigger call first leaves other values in the reused padded-image and dY buffers.
        Random r = new Random(8);
        float[] bigX = random(r, 2 * 6 * 20 * 20), bigDy = random(r, 2 * 9 * 20 * 20);
        ConvWeightGrad.accumulate(bigX, bigDy, 2, 6, 20, 20, 9, 3, 1, 1, new float[9 * 54], 0);
        float[] x = random(r, 3 * 5 * 4), dy = random(r, 2 * 5 * 4);
        float[] want = new float[2 * 27], got = new float[2 * 27];
        convWeightGradReference(x, dy, 1, 3, 5, 4, 2, 3, 1, 1, want, 0);
        ConvWeightGrad.accumulate(x, dy, 1, 3, 5, 4, 2, 3, 1, 1, got, 0);
        assertArrayEquals(want, got, 1e-5f);
    }
}
