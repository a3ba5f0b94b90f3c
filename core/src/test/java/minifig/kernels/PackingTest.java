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

    @Test
    void interleave3EqualsScalar() {
        Random r = new Random(11);
        for (int kcb : DEPTHS) {
            for (int extra : new int[] {0, 1, 5, 40}) {
                int lda = kcb + extra, r0 = 3 + extra, dst = 2 + extra % 7;
                float[] A = random(r, r0 + 3 * lda + 11);
                float[] want = new float[dst + 3 * kcb + 9], got = new float[want.length];
                Arrays.fill(want, -7f);
                Arrays.fill(got, -7f);
                GemmBlocked.interleave3Scalar(A, r0, lda, kcb, want, dst);
                GemmBlocked.interleave3(A, r0, lda, kcb, got, dst);
                assertArrayEquals(want, got, 0f, "kcb " + kcb + " lda " + lda);
            }
        }
    }

    @Test
    void interleave3PutsRowIAtSlotI() {
        // the reference's own layout, independently of it: ap[3p + i] = A[i][p]
        int kcb = 19, lda = 23;
        float[] A = new float[3 * lda], ap = new float[3 * kcb];
        for (int i = 0; i < 3; i++) for (int p = 0; p < kcb; p++) A[i * lda + p] = 100 * i + p;
        GemmBlocked.interleave3(A, 0, lda, kcb, ap, 0);
        for (int p = 0; p < kcb; p++) {
            for (int i = 0; i < 3; i++) {
                if (ap[3 * p + i] != 100 * i + p) throw new AssertionError("ap[" + (3 * p + i) + "] = " + ap[3 * p + i]);
            }
        }
    }

    @Test
    void interleave6EqualsScalar() {
        Random r = new Random(13);
        for (int kcb : DEPTHS) {
            for (int extra : new int[] {0, 1, 5, 40}) {
                int lda = kcb + extra, r0 = 3 + extra, dst = 2 + extra % 7;
                float[] A = random(r, r0 + 6 * lda + 11);
                float[] want = new float[dst + 6 * kcb + 9], got = new float[want.length];
                Arrays.fill(want, -7f);
                Arrays.fill(got, -7f);
                GemmBlocked.interleaveScalar(6, A, r0, lda, kcb, want, dst);
                GemmBlocked.interleave6(A, r0, lda, kcb, got, dst);
                assertArrayEquals(want, got, 0f, "kcb " + kcb + " lda " + lda);
            }
        }
    }

    @Test
    void interleave6PutsRowIAtSlotI() {
        // the layout itself, independently of the reference: ap[6p + i] = A[i][p]
        int kcb = 37, lda = 41;
        float[] A = new float[6 * lda], ap = new float[6 * kcb];
        for (int i = 0; i < 6; i++) for (int p = 0; p < kcb; p++) A[i * lda + p] = 100 * i + p;
        GemmBlocked.interleave6(A, 0, lda, kcb, ap, 0);
        for (int p = 0; p < kcb; p++) {
            for (int i = 0; i < 6; i++) {
                if (ap[6 * p + i] != 100 * i + p) throw new AssertionError("ap[" + (6 * p + i) + "] = " + ap[6 * p + i]);
            }
        }
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
