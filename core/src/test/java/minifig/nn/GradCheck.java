package minifig.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleSupplier;
import minifig.tensor.Param;
import minifig.tensor.Tensor;

/**
 * Finite-difference gradient checker for layers, blocks, whole nets and losses.
 *
 * <p>Scheme. A layer y = f(x) is reduced to the scalar L = sum(y * R) for a fixed random R ~ N(0, 1), so
 * backward(R) must return dL/dx and add dL/dparam into the grads. L is summed in double from the float
 * outputs. Each sampled entry's derivative is estimated by central differences with Richardson
 * extrapolation, D = (4*D(h/2) - D(h)) / 3 with D(h) = (L(v+h) - L(v-h)) / 2h, whose truncation error is
 * O(h^4) instead of O(h^2). That lets h be large (1e-2 for O(1) inputs), which keeps the float32
 * rounding noise in L, amplified by ~1.5/h, around 1e-5 relative.
 *
 * <p>Tolerance. |numeric - analytic| <= tol * (|analytic| + rms(analytic over the tensor)), tol = 1e-3
 * by default. The rms term stops tiny entries (a gradient near 0 among entries of order 1) from demanding
 * an impossible relative precision; 1e-3 sits ~3-10x above the worst float noise observed for single
 * layers (1e-4 to 3e-4) and far below the size of any real error (a wrong index, a missing term or a
 * factor), which shows up as O(1) relative.
 *
 * <p>Kinks. ReLU and max pooling are not differentiable everywhere. Layer tests keep inputs away from kinks
 * (a margin larger than h). In a small block, a sample whose two estimates D(h) and D(h/2) disagree by more
 * than the tolerance has a kink in [v-h, v+h]: it is re-checked at a tenfold smaller h, or skipped, and the
 * caller bounds how many may be. A whole 64-channel net crosses a kink for most entries at any h float32
 * allows, so its test replays the net with the base point's activation pattern frozen (a smooth function
 * with the same gradient; see CustomNetTest) and passes maxKinks = -1 (smooth: no kink detection).
 */
public final class GradCheck {
    public static final double H = 1e-2;
    public static final double TOL = 1e-3;
    /**
     * For stacks (a block, a whole net) the float32 rounding of every layer on the way reaches L; measured
     * noise is up to ~1.4e-3 of the gradient scale (a BasicBlock at h = 1e-3, the custom net at h = 1e-2),
     * so the tolerance is 5e-3; real errors remain O(1). DEEP_H is small so that few samples of a block with
     * ReLUs cross a kink.
     */
    public static final double DEEP_H = 1e-3, DEEP_TOL = 5e-3;

    private GradCheck() {}

    /** The outcome for one tensor: how many entries were compared, skipped at kinks, and the worst error. */
    public record Report(String name, int checked, int kinks, double maxRelError) {}

    /** Checks dL/dx and dL/dparam for every param of {@code params} (default h, tolerance, no kinks). */
    public static List<Report> checkLayer(Layer layer, Tensor x, List<Param> params, long seed, int samples) {
        return checkLayer(layer, x, params, seed, samples, H, TOL, 0);
    }

    /**
     * Runs forward(x, true) and backward(R) once for the analytic gradients, then compares up to
     * {@code samples} random entries of x and of each param with finite differences of L = sum(y * R).
     */
    public static List<Report> checkLayer(Layer layer, Tensor x, List<Param> params, long seed, int samples,
                                          double h, double tol, int maxKinks) {
        Random rng = new Random(seed);
        for (Param p : params) p.zeroGrad();
        Tensor y = layer.forward(x, true);
        Tensor r = new Tensor(y.shape).randn(rng, 1.0);
        Tensor dx = layer.backward(r.copy());
        List<Tensor> analytic = new ArrayList<>();
        for (Param p : params) analytic.add(p.grad.copy());
        DoubleSupplier loss = () -> dot(layer.forward(x, true), r);
        List<Report> reports = new ArrayList<>();
        reports.add(checkTensor("input", x, dx, loss, samples, rng, h, tol, maxKinks));
        for (int i = 0; i < params.size(); i++) {
            reports.add(checkTensor("param " + i + " " + params.get(i).value.shapeString(), params.get(i).value,
                    analytic.get(i), loss, samples, rng, h, tol, maxKinks));
        }
        return reports;
    }

    /**
     * The step for losses: their value comes back as a float (rounding ~1e-7 absolute), while their gradients
     * are small (1/N per sample), so a larger step keeps the quotient's noise down; losses are smooth, and
     * Richardson's O(h^4) truncation error at h = 0.05 is ~1e-7.
     */
    public static final double LOSS_H = 0.05;

    /** Checks a loss's backward() against finite differences of its forward value. */
    public static Report checkLoss(Loss lossFn, Tensor x, int[] targets, long seed, int samples) {
        lossFn.forward(x, targets);
        Tensor dx = lossFn.backward();
        return checkTensor("loss input", x, dx, () -> lossFn.forward(x, targets), samples, new Random(seed), LOSS_H,
                TOL, 0);
    }

    /**
     * Compares {@code analytic} with finite differences of {@code objective} in up to {@code samples} random
     * entries of {@code t} (all entries if fewer), perturbing t.data in place and restoring it. maxKinks < 0
     * declares the objective smooth: no kink detection, every sample is compared.
     */
    public static Report checkTensor(String name, Tensor t, Tensor analytic, DoubleSupplier objective, int samples,
                                     Random rng, double h, double tol, int maxKinks) {
        assertTrue(t.sameShape(analytic), name + ": gradient shape " + analytic.shapeString() + " != " + t.shapeString());
        double scale = rms(analytic);
        assertTrue(scale > 0, name + ": analytic gradient is all zeros, so the check would prove nothing");
        int[] idx = sample(t.size(), samples, rng);
        int kinks = 0;
        double worst = 0;
        for (int i : idx) {
            double d1 = central(t, i, h, objective), d2 = central(t, i, h / 2, objective);
            double allowed = tol * (Math.abs(analytic.data[i]) + scale);
            double a = analytic.data[i];
            double num = (4 * d2 - d1) / 3;
            if (maxKinks >= 0 && Math.abs(d1 - d2) > allowed) {
                // A kink between v-h and v+h: retry much closer to v, where a kink is ten times less likely.
                kinks++;
                if (kinks > maxKinks) {
                    fail(String.format("%s[%d]: finite differences disagree between h=%g (%.6g) and h/2 (%.6g); "
                            + "analytic %.6g (non-smooth point or wrong forward?)", name, i, h, d1, d2, a));
                }
                double e1 = central(t, i, h / 10, objective), e2 = central(t, i, h / 20, objective);
                if (Math.abs(e1 - e2) > allowed) continue;    // still at a kink: skip this entry
                num = (4 * e2 - e1) / 3;
            }
            double err = Math.abs(num - a) / (Math.abs(a) + scale);
            worst = Math.max(worst, err);
            if (err > tol) {
                fail(String.format("%s[%d]: analytic %.7g vs numeric %.7g (rel error %.3g > %.1g, grad rms %.3g)",
                        name, i, a, num, err, tol, scale));
            }
        }
        if (System.getenv("GRADCHECK_VERBOSE") != null) {
            System.out.printf("gradcheck %-28s checked %4d kinks %d max rel error %.2e%n", name, idx.length, kinks, worst);
        }
        return new Report(name, idx.length, kinks, worst);
    }

    private static double central(Tensor t, int i, double h, DoubleSupplier f) {
        float v = t.data[i];
        // Perturb by the float-representable step actually taken, so the quotient uses the true distance.
        float up = (float) (v + h), down = (float) (v - h);
        t.data[i] = up;
        double fu = f.getAsDouble();
        t.data[i] = down;
        double fd = f.getAsDouble();
        t.data[i] = v;
        return (fu - fd) / ((double) up - (double) down);
    }

    private static int[] sample(int size, int samples, Random rng) {
        if (samples >= size) {
            int[] all = new int[size];
            for (int i = 0; i < size; i++) all[i] = i;
            return all;
        }
        int[] perm = new int[size];
        for (int i = 0; i < size; i++) perm[i] = i;
        for (int i = 0; i < samples; i++) {
            int j = i + rng.nextInt(size - i);
            int tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        return java.util.Arrays.copyOf(perm, samples);
    }

    /** sum(a * b) in double. */
    public static double dot(Tensor a, Tensor b) {
        double s = 0;
        for (int i = 0; i < a.data.length; i++) s += (double) a.data[i] * b.data[i];
        return s;
    }

    static double rms(Tensor t) {
        double s = 0;
        for (float v : t.data) s += (double) v * v;
        return Math.sqrt(s / Math.max(t.size(), 1));
    }

    /**
     * want and got agree within 1e-4 of want's largest magnitude (at least 1e-7): two runs of the same float operations
     * whose compiled code may add a sum's vector lanes in another order (the whole-step comparisons of
     * ResidualSequentialTest and RecyclerTest).
     */
    public static void assertSameUpToLaneOrder(float[] want, float[] got, String what) {
        float scale = 0;
        for (float v : want) scale = Math.max(scale, Math.abs(v));
        assertArrayEquals(want, got, 1e-4f * Math.max(scale, 1e-3f), what);
    }

    /** A tensor of N(0, 1) values from {@code rng}. */
    public static Tensor randn(Random rng, int... shape) { return new Tensor(shape).randn(rng, 1.0); }

    /** N(0,1) values pushed at least {@code margin} away from 0, so ReLU kinks are never crossed by h. */
    public static Tensor awayFromZero(Random rng, double margin, int... shape) {
        Tensor t = new Tensor(shape);
        for (int i = 0; i < t.size(); i++) {
            double v = rng.nextGaussian();
            t.data[i] = (float) (v + Math.copySign(margin, v));
        }
        return t;
    }

    /** A random permutation of evenly spaced values (spacing {@code gap}, centred on 0): no two entries tie. */
    public static Tensor distinct(Random rng, double gap, int... shape) {
        Tensor t = new Tensor(shape);
        int n = t.size();
        for (int i = 0; i < n; i++) t.data[i] = (float) ((i - n / 2.0) * gap);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            float tmp = t.data[i];
            t.data[i] = t.data[j];
            t.data[j] = tmp;
        }
        return t;
    }
}
