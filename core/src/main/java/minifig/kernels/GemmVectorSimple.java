package minifig.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A step between the naive loop and {@link GemmBlocked}, kept to measure what packing and blocking buy
 * (docs/gemm.md): the i-k-j loop with a broadcast of A[i,k] and vector FMAs along a row of B and C.
 * Vectorised but not register-blocked: every FMA loads and stores C. Supports op(B) = B only (B row-major
 * [K, N]); that is all the benchmark needs.
 */
public final class GemmVectorSimple {
    private GemmVectorSimple() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Same contract as {@link Gemm#sgemm} with transB = false. */
    public static void sgemm(boolean transA, int M, int N, int K, float[] A, int offA, int lda,
                             float[] B, int offB, int ldb, float[] C, int offC, int ldc, boolean accumulate) {
        int bound = S.loopBound(N);
        for (int i = 0; i < M; i++) {
            int c = offC + i * ldc;
            if (!accumulate) java.util.Arrays.fill(C, c, c + N, 0f);
            for (int k = 0; k < K; k++) {
                float aik = transA ? A[offA + k * lda + i] : A[offA + i * lda + k];
                FloatVector a = FloatVector.broadcast(S, aik);
                int b = offB + k * ldb, j = 0;
                for (; j < bound; j += S.length()) {
                    a.fma(FloatVector.fromArray(S, B, b + j), FloatVector.fromArray(S, C, c + j)).intoArray(C, c + j);
                }
                for (; j < N; j++) C[c + j] += aik * B[b + j];
            }
        }
    }
}
