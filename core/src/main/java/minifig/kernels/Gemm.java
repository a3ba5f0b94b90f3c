package minifig.kernels;

/**
 * The one GEMM entry point the layers call. It checks arguments once and dispatches to the fastest
 * kernel; the naive reference ({@link GemmNaive}) is the specification.
 */
public final class Gemm {
    private Gemm() {}

    /**
     * C[M,N] = op(A)·op(B) (+ C when accumulate). Row-major: op(A) is A[M,K] or, with transA, A stored [K,M];
     * op(B) is B[K,N] or, with transB, B stored [N,K]. lda/ldb/ldc are the row strides of the stored matrices.
     */
    public static void sgemm(boolean transA, boolean transB, int M, int N, int K,
                             float[] A, int offA, int lda,
                             float[] B, int offB, int ldb,
                             float[] C, int offC, int ldc, boolean accumulate) {
        if (M < 0 || N < 0 || K < 0) throw new IllegalArgumentException("negative GEMM size " + M + "x" + N + "x" + K);
        if (A == C || B == C) throw new IllegalArgumentException("GEMM output must not alias an input");
        checkExtent("A", A, offA, lda, transA ? K : M, transA ? M : K);
        checkExtent("B", B, offB, ldb, transB ? N : K, transB ? K : N);
        checkExtent("C", C, offC, ldc, M, N);
        GemmBlocked.DEFAULT.sgemm(transA, transB, M, N, K, A, offA, lda, B, offB, ldb, C, offC, ldc, accumulate);
    }

    /** Cheap shape check: a stored [rows, cols] matrix at off with row stride ld must fit in x. */
    private static void checkExtent(String name, float[] x, int off, int ld, int rows, int cols) {
        if (rows == 0 || cols == 0) return;
        if (off < 0 || ld < cols || (long) off + (long) (rows - 1) * ld + cols > x.length) {
            throw new IllegalArgumentException("GEMM " + name + ": [" + rows + "x" + cols + "] at offset " + off
                    + " with row stride " + ld + " does not fit in an array of " + x.length);
        }
    }

    /** Convenience: dense C[M,N] = A[M,K]·B[K,N]. */
    public static void sgemm(int M, int N, int K, float[] A, float[] B, float[] C) {
        sgemm(false, false, M, N, K, A, 0, K, B, 0, N, C, 0, N, false);
    }
}
