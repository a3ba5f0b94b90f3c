package minifig.kernels;

import java.util.Random;
import org.junit.jupiter.api.AfterEach;

/**
 * What the kernel tests share: the pool's thread count is put back after each test, uniform inputs in [-1, 1), and the
 * conv specifications (naive im2col + naive GEMM) the fast conv kernels are checked against.
 */
abstract class KernelTestBase {
    private final int savedThreads = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(savedThreads);
    }

    /** The conv forward's specification: y[n] = W · im2col(x[n]) for every image, with the naive kernels. */
    static float[] convReference(float[] w, int O, float[] x, int N, int C, int H, int W, int K, int s, int pad) {
        int OH = Im2col.outSize(H, K, s, pad), OW = Im2col.outSize(W, K, s, pad), CKK = C * K * K;
        float[] col = new float[CKK * OH * OW], y = new float[N * O * OH * OW];
        for (int n = 0; n < N; n++) {
            Im2colNaive.im2col(x, n * C * H * W, C, H, W, K, K, s, pad, col, 0);
            GemmNaive.sgemm(false, false, O, OH * OW, CKK, w, 0, CKK, col, 0, OH * OW, y, n * O * OH * OW, OH * OW, false);
        }
        return y;
    }

    /** The weight gradient's specification: dW (from off) += dY[n] · im2col(x[n])ᵀ for every image, naive kernels. */
    static void convWeightGradReference(float[] x, float[] dy, int N, int C, int H, int W, int O, int K, int s, int pad,
                                        float[] dW, int off) {
        int OH = Im2col.outSize(H, K, s, pad), OW = Im2col.outSize(W, K, s, pad), CKK = C * K * K, OHW = OH * OW;
        float[] col = new float[CKK * OHW];
        for (int n = 0; n < N; n++) {
            Im2colNaive.im2col(x, n * C * H * W, C, H, W, K, K, s, pad, col, 0);
            GemmNaive.sgemm(false, true, O, CKK, OHW, dy, n * O * OHW, OHW, col, 0, OHW, dW, off, CKK, true);
        }
    }

    static float[] random(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = r.nextFloat() * 2 - 1;
        return x;
    }
}
