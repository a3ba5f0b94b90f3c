package minifig.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The stride-1 weight gradient read from the padded image == naive im2col + naive GEMM (dY · colᵀ) per image. */
class ConvWeightGradTest extends KernelTestBase {
    /** The specification: dW += dY[n] · im2col(x[n])ᵀ for every image, with the naive kernels. */
    private static void reference(float[] x, float[] dy, int N, int C, int H, int W, int O, int K, int pad, float[] dW, int off) {
        int OH = Im2col.outSize(H, K, 1, pad), OW = Im2col.outSize(W, K, 1, pad), CKK = C * K * K, OHW = OH * OW;
        float[] col = new float[CKK * OHW];
        for (int n = 0; n < N; n++) {
            Im2colNaive.im2col(x, n * C * H * W, C, H, W, K, K, 1, pad, col, 0);
            GemmNaive.sgemm(false, true, O, CKK, OHW, dy, n * O * OHW, OHW, col, 0, OHW, dW, off, CKK, true);
        }
    }

    @Test
    void equalsNaiveOverShapes() {
        assertTrue(40 * 42 > ConvWeightGrad.QC && 17 * 9 > 3 * ConvWeightGrad.JB, "the shapes below must cover several chunks and blocks");
        Random r = new Random(5);
        // {N, C, O, H, W, K, pad}: 1x1 padded and not, 3x3 padded and not, 5x5, pad = K - 1, O and C*K*K not
        // multiples of 3 (dropped edge sums), rows longer than one pixel chunk (40 x 42 padded pixels > QC), more
        // row triples than one block (C*9 = 153 > 3 * JB), a single output row, an odd channel count.
        int[][] configs = {
            {1, 2, 1, 7, 7, 1, 0}, {2, 3, 4, 5, 8, 1, 1}, {2, 3, 5, 7, 7, 3, 1}, {1, 4, 7, 13, 9, 3, 1},
            {3, 2, 3, 8, 5, 3, 0}, {1, 2, 2, 9, 11, 5, 2}, {1, 1, 8, 1, 30, 3, 1}, {2, 17, 6, 6, 5, 3, 1},
            {1, 5, 64, 30, 31, 3, 1}, {1, 3, 3, 3, 3, 3, 2}, {2, 7, 11, 10, 6, 3, 1}, {1, 2, 4, 40, 40, 3, 1},
        };
        for (int threads = 1; threads <= 2; threads++) {
            Parallel.setThreads(threads);
            for (int[] c : configs) {
                int N = c[0], C = c[1], O = c[2], H = c[3], W = c[4], K = c[5], pad = c[6];
                int OH = Im2col.outSize(H, K, 1, pad), OW = Im2col.outSize(W, K, 1, pad);
                float[] x = random(r, N * C * H * W), dy = random(r, N * O * OH * OW);
                // Both start from the same values and a 3-float offset: the kernel adds, it does not overwrite.
                float[] start = random(r, 3 + O * C * K * K), want = start.clone(), got = start.clone();
                reference(x, dy, N, C, H, W, O, K, pad, want, 3);
                ConvWeightGrad.accumulate(x, dy, N, C, H, W, O, K, pad, got, 3);
                assertEquals(start[0], got[0]);
                assertArrayEquals(want, got, 2e-4f * (1 + OH * OW * N / 64f), java.util.Arrays.toString(c) + " threads=" + threads);
            }
        }
    }

    @Test
    void largeBufferFromAnEarlierCallDoesNotLeak() {
        // A bigger call first leaves other values in the reused padded-image and dY buffers.
        Random r = new Random(8);
        float[] bigX = random(r, 2 * 6 * 20 * 20), bigDy = random(r, 2 * 9 * 20 * 20);
        ConvWeightGrad.accumulate(bigX, bigDy, 2, 6, 20, 20, 9, 3, 1, new float[9 * 54], 0);
        float[] x = random(r, 3 * 5 * 4), dy = random(r, 2 * 5 * 4);
        float[] want = new float[2 * 27], got = new float[2 * 27];
        reference(x, dy, 1, 3, 5, 4, 2, 3, 1, want, 0);
        ConvWeightGrad.accumulate(x, dy, 1, 3, 5, 4, 2, 3, 1, got, 0);
        assertArrayEquals(want, got, 1e-5f);
    }
}
