package minifig.kernels;

/**
 * The reference GEMM: the textbook triple loop, in double accumulation. Slow on purpose; every fast
 * kernel is tested against it. Row-major throughout.
 */
public final class GemmNaive {
    private GemmNaive() {}

    /**
     * C[M,N] = op(A)·op(B) (+ C when accumulate), where op(A) is A[M,K] or, with transA, A stored as [K,M];
     * op(B) is B[K,N] or, with transB, B stored as [N,K]. lda/ldb/ldc are row strides of the stored matrices.
     */
    public static void sgemm(boolean transA, boolean transB, int M, int N, int K,
                             float[] A, int offA, int lda,
                             float[] B, int offB, int ldb,
                             float[] C, int offC, int ldc, boolean accumulate) {
        for (int i = 0; i < M; i++) {
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int k = 0; k < K; k++) {
                    float a = transA ? A[offA + k * lda + i] : A[offA + i * lda + k];
                    float b = transB ? B[offB + j * ldb + k] : B[offB + k * ldb + j];
                    s += (double) a * b;
                }
                int c = offC + i * ldc + j;
                C[c] = accumulate ? (float) (C[c] + s) : (float) s;
            }
        }
    }
}
