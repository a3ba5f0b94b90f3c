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
        // TODO(kernels): dispatch to the blocked Vector API kernel.
        GemmNaive.sgemm(transA, transB, M, N, K, A, offA, lda, B, offB, ldb, C, offC, ldc, accumulate);
    }

    /** Convenience: dense C[M,N] = A[M,K]·B[K,N]. */
    public static void sgemm(int M, int N, int K, float[] A, float[] B, float[] C) {
        sgemm(false, false, M, N, K, A, 0, K, B, 0, N, C, 0, N, false);
    }
}
