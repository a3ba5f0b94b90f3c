package minifig.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * GemmBlocked's vector packers against their scalar references, element for element: the interleaves of three and six
 * A rows and the transpose of NR B rows, over depths with and without a ragged tail, row strides wider than the depth, and
 * offsets into larger arrays. Every slot of the output is checked, including those either side of the packed range,
 * which neither may touch.
 */
class PackingTest extends KernelTestBase {
    private static final int[] DEPTHS = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 64, 77, 784};

    /** An interleave of {@code rows} A rows: ap[dst + rows*p + i] = A[r0 + i*lda + p]. */
    private interface Interleave {
        void pack(float[] A, int r0, int lda, int kcb, float[] ap, int dst);
    }

    /** The vector interleave == its reference over DEPTHS and row strides, every output slot checked. */
    private static void interleaveEqualsReference(int rows, Interleave vector, Interleave reference, long seed) {
        Random r = new Random(seed);
        for (int kcb : DEPTHS) {
            for (int extra : new int[] {0, 1, 5, 40}) {
                int lda = kcb + extra, r0 = 3 + extra, dst = 2 + extra % 7;
                float[] A = random(r, r0 + rows * lda + 11);
                float[] want = new float[dst + rows * kcb + 9], got = new float[want.length];
                Arrays.fill(want, -7f);
                Arrays.fill(got, -7f);
                reference.pack(A, r0, lda, kcb, want, dst);
                vector.pack(A, r0, lda, kcb, got, dst);
                assertArrayEquals(want, got, 0f, rows + " rows, kcb " + kcb + " lda " + lda);
            }
        }
    }

    /** The layout itself, independently of the reference: ap[rows*p + i] = A[i][p]. */
    private static void interleavePutsRowIAtSlotI(int rows, Interleave vector, int kcb, int lda) {
        float[] A = new float[rows * lda], ap = new float[rows * kcb];
        for (int i = 0; i < rows; i++) for (int p = 0; p < kcb; p++) A[i * lda + p] = 100 * i + p;
        vector.pack(A, 0, lda, kcb, ap, 0);
        for (int p = 0; p < kcb; p++) {
            for (int i = 0; i < rows; i++) {
                if (ap[rows * p + i] != 100 * i + p) throw new AssertionError(rows + " rows: ap[" + (rows * p + i) + "] = " + ap[rows * p + i]);
            }
        }
    }

    @Test
    void interleave3EqualsScalar() {
        interleaveEqualsReference(3, GemmBlocked::interleave3, GemmBlocked::interleave3Scalar, 11);
    }

    @Test
    void interleave3PutsRowIAtSlotI() {
        interleavePutsRowIAtSlotI(3, GemmBlocked::interleave3, 19, 23);
    }

    @Test
    void transposePanelEqualsScalar() {
        Random r = new Random(12);
        int nr = GemmBlocked.NR;
        for (int kcb : DEPTHS) {
            for (int extra : new int[] {0, 1, 8, 13}) {
                int ldb = kcb + extra, src = 5 + extra, dst = 1 + extra % 5;
                float[] B = random(r, src + nr * ldb + 3);
                float[] want = new float[dst + kcb * nr + 6], got = new float[want.length];
                Arrays.fill(want, -7f);
                Arrays.fill(got, -7f);
                GemmBlocked.transposePanelScalar(B, src, ldb, kcb, want, dst, nr);
                GemmBlocked.transposePanel(B, src, ldb, kcb, got, dst);
                assertArrayEquals(want, got, 0f, "kcb " + kcb + " ldb " + ldb);
            }
        }
    }

    @Test
    void transposePanelPutsColumnJOfRowPAtPTimesNrPlusJ() {
        int nr = GemmBlocked.NR, kcb = 21, ldb = 25;
        float[] B = new float[nr * ldb], bp = new float[kcb * nr];
        for (int j = 0; j < nr; j++) for (int p = 0; p < kcb; p++) B[j * ldb + p] = 1000 * j + p;
        GemmBlocked.transposePanel(B, 0, ldb, kcb, bp, 0);
        for (int p = 0; p < kcb; p++) {
            for (int j = 0; j < nr; j++) {
                if (bp[p * nr + j] != 1000 * j + p) throw new AssertionError("bp[" + (p * nr + j) + "] = " + bp[p * nr + j]);
            }
        }
    }
}
