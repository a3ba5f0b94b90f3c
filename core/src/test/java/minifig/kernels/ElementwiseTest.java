package minifig.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The vectorised elementwise kernels == the plain loops: bit-identical elementwise, sums within rounding. */
class ElementwiseTest {
    private static final int[] SIZES = {0, 1, 7, 8, 9, 255, 256, 257, 1000, 3136, 4099};

    private static float[] random(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = r.nextFloat() * 4 - 2;
        return x;
    }

    @Test
    void elementwiseKernelsAreBitIdentical() {
        Random r = new Random(5);
        for (int n : SIZES) {
            int off = 3;
            float[] a = random(r, n + off + 5), b = random(r, n + off + 5);
            if (n > 2) {
                a[off] = Float.NaN;         // ReLU of NaN is 0 in both
                a[off + 1] = 0f;
                a[off + 2] = -0f;
            }
            String what = "n=" + n;
            float[] want = random(r, a.length), got = want.clone();
            ElementwiseNaive.relu(a, off, want, 1, n);
            Elementwise.relu(a, off, got, 1, n);
            assertArrayEquals(want, got, what);

            want = random(r, a.length);
            got = want.clone();
            ElementwiseNaive.reluBackward(a, b, want, off, n);
            Elementwise.reluBackward(a, b, got, off, n);
            assertArrayEquals(want, got, what);

            want = random(r, a.length);
            got = want.clone();
            ElementwiseNaive.add(a, b, want, off, n);
            Elementwise.add(a, b, got, off, n);
            assertArrayEquals(want, got, what);

            float[] c = random(r, a.length);
            float[] xhW = random(r, a.length), xhG = xhW.clone(), yW = random(r, a.length), yG = yW.clone();
            ElementwiseNaive.normalize(c, xhW, yW, off, n, 0.3f, 1.7f, 0.9f, -0.2f);
            Elementwise.normalize(c, xhG, yG, off, n, 0.3f, 1.7f, 0.9f, -0.2f);
            assertArrayEquals(xhW, xhG, what);
            assertArrayEquals(yW, yG, what);
            ElementwiseNaive.normalize(c, null, yW, off, n, -0.1f, 0.7f, 1.1f, 0.4f);
            Elementwise.normalize(c, null, yG, off, n, -0.1f, 0.7f, 1.1f, 0.4f);
            assertArrayEquals(yW, yG, what);

            // The fused eval-mode passes == the two plain loops one after the other (NaN, 0 and -0 in a).
            want = random(r, a.length);
            got = want.clone();
            ElementwiseNaive.normalizeRelu(a, want, off, n, 0.3f, 1.7f, -0.9f, 0.2f);
            Elementwise.normalizeRelu(a, got, off, n, 0.3f, 1.7f, -0.9f, 0.2f);
            assertArrayEquals(want, got, what);
            want = random(r, a.length);
            got = want.clone();
            ElementwiseNaive.addRelu(a, b, want, off, n);
            Elementwise.addRelu(a, b, got, off, n);
            assertArrayEquals(want, got, what);

            want = random(r, a.length);
            got = want.clone();
            ElementwiseNaive.normalizeBackward(b, c, want, off, n, 1.3f, 0.05f, -0.2f);
            Elementwise.normalizeBackward(b, c, got, off, n, 1.3f, 0.05f, -0.2f);
            assertArrayEquals(want, got, what);

            want = random(r, a.length);
            got = want.clone();
            ElementwiseNaive.scale(b, want, off, n, 0.6f);
            Elementwise.scale(b, got, off, n, 0.6f);
            assertArrayEquals(want, got, what);
        }
    }

    @Test
    void sumsMatchDoubleLoops() {
        Random r = new Random(6);
        for (int n : SIZES) {
            int off = 2;
            float[] a = random(r, n + off + 1), b = random(r, n + off + 1);
            double tol = 1e-5 * (1 + n);
            assertEquals(ElementwiseNaive.sum(a, off, n), Elementwise.sum(a, off, n), tol, "sum n=" + n);
            assertEquals(ElementwiseNaive.dot(a, b, off, n), Elementwise.dot(a, b, off, n), tol, "dot n=" + n);
            assertEquals(ElementwiseNaive.sumSquaredDeviation(a, off, n, 0.25f),
                    Elementwise.sumSquaredDeviation(a, off, n, 0.25f), tol, "ssd n=" + n);
        }
        // a large offset mean: sums of 256-element blocks in float stay accurate to ~1e-7 relative
        float[] big = new float[12544];
        for (int i = 0; i < big.length; i++) big[i] = 1000f + r.nextFloat();
        double want = ElementwiseNaive.sum(big, 0, big.length);
        assertEquals(want, Elementwise.sum(big, 0, big.length), 1e-6 * want);
    }
}
