package minifig.kernels;

import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;

/**
 * The second reference GEMM: EJML's CommonOps_FDRM (a well-kept library) behind the same contract as
 * {@link Gemm#sgemm}. Used by tests (fast == naive == EJML) and benchmarks. Dense, offset-0 arrays are
 * wrapped without copying; offsets and strides are handled by copying, since this is a reference.
 */
public final class GemmEjml {
    private GemmEjml() {}

    /** Same contract as {@link Gemm#sgemm}. */
    public static void sgemm(boolean transA, boolean transB, int M, int N, int K,
                             float[] A, int offA, int lda, float[] B, int offB, int ldb,
                             float[] C, int offC, int ldc, boolean accumulate) {
        if (M == 0 || N == 0) return;
        if (K == 0) {
            if (!accumulate) for (int i = 0; i < M; i++) java.util.Arrays.fill(C, offC + i * ldc, offC + i * ldc + N, 0f);
            return;
        }
        FMatrixRMaj a = transA ? view(A, offA, lda, K, M) : view(A, offA, lda, M, K);
        FMatrixRMaj b = transB ? view(B, offB, ldb, N, K) : view(B, offB, ldb, K, N);
        FMatrixRMaj c = view(C, offC, ldc, M, N);
        if (accumulate) {
            if (transA && transB) CommonOps_FDRM.multAddTransAB(a, b, c);
            else if (transA) CommonOps_FDRM.multAddTransA(a, b, c);
            else if (transB) CommonOps_FDRM.multAddTransB(a, b, c);
            else CommonOps_FDRM.multAdd(a, b, c);
        } else {
            if (transA && transB) CommonOps_FDRM.multTransAB(a, b, c);
            else if (transA) CommonOps_FDRM.multTransA(a, b, c);
            else if (transB) CommonOps_FDRM.multTransB(a, b, c);
            else CommonOps_FDRM.mult(a, b, c);
        }
        if (c.data != C) {
            for (int i = 0; i < M; i++) System.arraycopy(c.data, i * N, C, offC + i * ldc, N);
        }
    }

    /** The stored [rows, cols] matrix at off with row stride ld: wrapped when dense, else a copy. */
    private static FMatrixRMaj view(float[] x, int off, int ld, int rows, int cols) {
        if (off == 0 && ld == cols && x.length == rows * cols) return FMatrixRMaj.wrap(rows, cols, x);
        FMatrixRMaj m = new FMatrixRMaj(rows, cols);
        for (int i = 0; i < rows; i++) System.arraycopy(x, off + i * ld, m.data, i * cols, cols);
        return m;
    }
}
