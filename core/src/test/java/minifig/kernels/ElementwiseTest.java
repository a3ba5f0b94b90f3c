package minifig.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The vectorised elementwise kernels == the plain loops: bit-identical elementwise, sums within rounding. */
class ElementwiseTest {
    private static final int[] SIZES = {0, 1, 7, 8, 9, 255, 256, 257, 1000, 3136, 4099};

    private static float[] random(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = r.nextFloat() * 4 - 2;
        return x;
    }

    /** Naive and fast kernel each write into a copy of the same random array; the results must be bit-identical. */
    private static void sameOutput(Random r, int len, String what, Consumer<float[]> naive, Consumer<float[]> fast) {
        float[] want = random(r, len), got = want.clone();
        naive.accept(want);
        fast.accept(got);
        assertArrayEquals(want, got, what);
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
            sameOutput(r, a.length, what,
                    o -> ElementwiseNaive.relu(a, off, o, 1, n),
                    o -> Elementwise.relu(a, off, o, 1, n));
            sameOutput(r, a.length, what,
                    o -> ElementwiseNaive.reluBackward(a, b, o, off, n),
                    o -> Elementwise.reluBackward(a, b, o, off, n));
            sameOutput(r, a.length, what,
                    o -> ElementwiseNaive.add(a, b, o, off, n),
                    o -> Elementwise.add(a, b, o, off, n));
            sameOutput(r, a.length, what,
                    o -> ElementwiseNaive.addTo(b, off + 1, o, 2, n),
                    o -> Elementwise.addTo(b, off + 1, o, 2, n));

            float[] c = random(r, a.length);
            sameOutput(r, a.length, what,
                    o -> ElementwiseNaive.normalize(c, o, off, n, 0.3f, 1.7f, 0.9f, -0.2f),
                    o -> Elementwise.normalize(c, o, off, n, 0.3f, 1.7f, 0.9f, -0.2f));

            // The fused eval-mode passes == the two plain loops one after the other (NaN, 0 and -0 in a).
            sameOutput(r, a.length, what,
                    o -> ElementwiseNaive.normalizeRelu(a, o, off, n, 0.3f, 1.7f, -0.9f, 0.2f),
                    o -> Elementwise.normalizeRelu(a, o, off, n, 0.3f, 1.7f, -0.9f, 0.2f));
            // The fused training backward, x-hat h = (c - 0.3) * 1.7 recomputed from the input c (values on both
            // sides of the mask's edge -b/g)
            for (boolean fixed : new boolean[] {false, true}) {
                sameOutput(r, a.length, what + " fixed=" + fixed,
                        o -> ElementwiseNaive.normalizeReluBackward(b, c, o, off, n, 0.3f, 1.7f, 1.3f, 0.05f, -0.2f, 0.8f, -0.1f, fixed),
                        o -> Elementwise.normalizeReluBackward(b, c, o, off, n, 0.3f, 1.7f, 1.3f, 0.05f, -0.2f, 0.8f, -0.1f, fixed));
            }
            double[] sW = new double[2], sG = new double[2];
            ElementwiseNaive.reluMaskedSums(b, c, off, n, 0.3f, 1.7f, 0.8f, -0.1f, sW);
            Elementwise.reluMaskedSums(b, c, off, n, 0.3f, 1.7f, 0.8f, -0.1f, sG);
            assertEquals(sW[0], sG[0], 1e-5 * (1 + n), what + " masked sum");
            assertEquals(sW[1], sG[1], 1e-4 * (1 + n), what + " masked dot");
            // the same sums as the unfused kernels on the ReLU's output gradient, up to the order in which
            // reduceLanes adds the lanes (unspecified: the interpreter and C2 differ in the last float bit)
            float[] y = new float[a.length], dm = new float[a.length];
            for (int i = off; i < off + n; i++) y[i] = 0.8f * ((c[i] - 0.3f) * 1.7f) - 0.1f;
            Elementwise.reluBackward(y, b, dm, off, n);
            assertEquals(Elementwise.sum(dm, off, n), sG[0], 1e-7 * (1 + n), what + " masked sum == sum(reluBackward)");
            assertEquals(Elementwise.dotNormalized(dm, c, off, n, 0.3f, 1.7f), sG[1], 1e-6 * (1 + n),
                    what + " masked dot == dotNormalized(reluBackward)");
            if (n >= 255) assertTrue(sG[0] != 0.0 && sG[0] != Elementwise.sum(b, off, n), what + ": the mask must drop some");
            sameOutput(r, a.length, what,
                    o -> ElementwiseNaive.addRelu(a, b, o, off, n),
                    o -> Elementwise.addRelu(a, b, o, off, n));

            sameOutput(r, a.length, what,
                    o -> ElementwiseNaive.normalizeBackward(b, c, o, off, n, 0.3f, 1.7f, 1.3f, 0.05f, -0.2f),
                    o -> Elementwise.normalizeBackward(b, c, o, off, n, 0.3f, 1.7f, 1.3f, 0.05f, -0.2f));

            sameOutput(r, a.length, what,
                    o -> ElementwiseNaive.scale(b, o, off, n, 0.6f),
                    o -> Elementwise.scale(b, o, off, n, 0.6f));
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
            assertEquals(ElementwiseNaive.dotNormalized(a, b, off, n, 0.25f, 1.5f),
                    Elementwise.dotNormalized(a, b, off, n, 0.25f, 1.5f), 1.5 * tol, "dotNormalized n=" + n);
            assertEquals(ElementwiseNaive.sumSquaredDeviation(a, off, n, 0.25f),
                    Elementwise.sumSquaredDeviation(a, off, n, 0.25f), tol, "ssd n=" + n);
        }
        // a large offset mean: sums of 256-element blocks in float stay accurate to ~1e-7 relative
        float[] big = new float[12544];
        for (int i = 0; i < big.length; i++) big[i] = 1000f + r.nextFloat();
        double want = ElementwiseNaive.sum(big, 0, big.length);
        assertEquals(want, Elementwise.sum(big, 0, big.length), 1e-6 * want);
    }

    /**
     * The sums' exact order, in scalar Java: 256-element blocks, each summed per lane in float (fma for dot), the V lanes
     * folded as a tree (lane l + h onto lane l, h = V/2 .. 1), the blocks and a scalar tail added in double.
     */
    private static double blockedSum(float[] a, float[] b, int off, int n, int V) {
        double s = 0;
        int i = 0;
        for (; i + 256 <= n; i += 256) {
            float[] lane = new float[V];
            for (int j = 0; j < 256; j++) {
                float x = a[off + i + j];
                lane[j % V] = b == null ? lane[j % V] + x : Math.fma(x, b[off + i + j], lane[j % V]);
            }
            for (int h = V / 2; h >= 1; h /= 2) {
                float[] folded = new float[V];
                for (int l = 0; l < V; l++) folded[l] = lane[l] + lane[(l + h) % V];
                lane = folded;
            }
            s += lane[0];
        }
        for (; i < n; i++) s += b == null ? a[off + i] : (double) a[off + i] * b[off + i];
        return s;
    }

    @Test
    void sumsAddTheirLanesInOneOrderWhicheverCompilerRunsThem() {
        // reduceLanes(ADD) leaves the order to the implementation: C2's intrinsic and the Java fallback that runs
        // before C2 compiles a loop rounded differently, so a training run's BatchNorm statistics depended on the JIT's
        // timing. The first calls run interpreted or in C1, the later ones in C2: every one must give the same bits.
        Random r = new Random(8);
        int V = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length(), n = 256 * 5 + 37, off = 3;
        float[] a = random(r, n + off), b = random(r, n + off);
        double wantSum = blockedSum(a, null, off, n, V), wantDot = blockedSum(a, b, off, n, V);
        for (int call = 0; call < 30_000; call++) {
            double sum = Elementwise.sum(a, off, n), dot = Elementwise.dot(a, b, off, n);
            if (sum != wantSum || dot != wantDot) {
                assertEquals(wantSum, sum, 0.0, "sum at call " + call);
                assertEquals(wantDot, dot, 0.0, "dot at call " + call);
            }
        }
        double[] sums = new double[2];
        Elementwise.reluMaskedSums(a, b, off, n, 0f, 1f, 1f, 1e9f, sums); // mask all-pass: the plain sum and dot
        assertEquals(wantSum, sums[0], 0.0, "reluMaskedSums' sum");
        assertEquals(wantDot, sums[1], 0.0, "reluMaskedSums' dot");
    }
}
