package minifig.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of the elementwise loops of ReLU, the residual add and BatchNorm; {@link ElementwiseNaive}
 * holds the plain loops they are tested against. Elementwise results are bit-identical to the plain loops
 * (same operations in the same order, no fused multiply-add); the sums accumulate 256-element blocks in
 * float lanes and the blocks in double, so they differ from a plain double loop only in the last bits.
 * <p>A block's lanes are added by {@link #laneSum}'s fixed tree, not by {@code reduceLanes(ADD)}, whose order is
 * unspecified: C2's intrinsic and the library's Java fallback (which the interpreter and C1 run) add them in
 * different orders. A training run's first steps, before C2 compiles these loops, then rounded BatchNorm's statistics
 * differently from later ones, and when that switch came depended on the JIT's timing: four processes training
 * ResNet-18 from one seed gave four different losses by the second step (docs/performance.md).
 */
public final class Elementwise {
    private Elementwise() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    /** Elements summed in float lanes before the partial sum moves to a double. */
    private static final int BLOCK = 256;

    /** {@link #laneSum}'s folds: lane l takes lane (l + h) mod V, for h = V/2, V/4, ..., 1. */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] FOLDS = new VectorShuffle[Integer.numberOfTrailingZeros(V)];

    static {
        for (int k = 0; k < FOLDS.length; k++) FOLDS[k] = VectorShuffle.iota(S, V >> (k + 1), 1, true);
    }

    /**
     * The sum of v's lanes by a fixed tree (lane l + h added onto lane l, h = V/2, ..., 1; the result in lane 0): lanewise
     * adds and a rearrange round the same way whether C2's intrinsics or the library's Java code run them.
     */
    private static float laneSum(FloatVector v) {
        for (VectorShuffle<Float> f : FOLDS) v = v.add(v.rearrange(f));
        return v.lane(0);
    }

    /** Below this many elements a loop runs on the calling thread: a fork costs more than the work. */
    public static final int PARALLEL_MIN = 1 << 16;

    /** Runs body over [0, n) in {@link Parallel} slices when n is large, else in one call. */
    public static void split(int n, Parallel.RangeBody body) {
        splitItems(n, n, body);
    }

    /**
     * Runs body over [0, items) (channels, planes: whole items per slice) in {@link Parallel} slices when the items
     * hold at least {@link #PARALLEL_MIN} elements in all, else in one call.
     */
    public static void splitItems(int items, long elements, Parallel.RangeBody body) {
        if (elements >= PARALLEL_MIN) Parallel.parallelFor(items, body);
        else body.run(0, items);
    }

    /** y[0, n) = x > 0 ? x : 0 (NaN gives 0, as the plain loop). */
    public static void relu(float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            zero.blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] = x[xOff + i] > 0f ? x[xOff + i] : 0f;
    }

    /** dx[0, n) = y > 0 ? d : 0, the ReLU gradient from its output y. */
    public static void reluBackward(float[] y, float[] d, float[] dx, int off, int n) {
        FloatVector zero = FloatVector.zero(S);
        int i = off, end = off + n;
        for (int bound = off + S.loopBound(n); i < bound; i += V) {
            FloatVector yv = FloatVector.fromArray(S, y, i);
            zero.blend(FloatVector.fromArray(S, d, i), yv.compare(VectorOperators.GT, 0f)).intoArray(dx, i);
        }
        for (; i < end; i++) dx[i] = y[i] > 0f ? d[i] : 0f;
    }

    /** out[0, n) = a + b. */
    public static void add(float[] a, float[] b, float[] out, int off, int n) {
        int i = off, end = off + n;
        for (int bound = off + S.loopBound(n); i < bound; i += V) {
            FloatVector.fromArray(S, a, i).add(FloatVector.fromArray(S, b, i)).intoArray(out, i);
        }
        for (; i < end; i++) out[i] = a[i] + b[i];
    }

    /** dst[dstOff, dstOff+n) += src[srcOff, srcOff+n) (partial sums added into a total). */
    public static void addTo(float[] src, int srcOff, float[] dst, int dstOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector.fromArray(S, dst, dstOff + i).add(FloatVector.fromArray(S, src, srcOff + i)).intoArray(dst, dstOff + i);
        }
        for (; i < n; i++) dst[dstOff + i] += src[srcOff + i];
    }

    /** out[0, n) = max(a + b, 0): a residual add and the ReLU after it, as {@link #add} then {@link #relu}. */
    public static void addRelu(float[] a, float[] b, float[] out, int off, int n) {
        FloatVector zero = FloatVector.zero(S);
        int i = off, end = off + n;
        for (int bound = off + S.loopBound(n); i < bound; i += V) {
            FloatVector v = FloatVector.fromArray(S, a, i).add(FloatVector.fromArray(S, b, i));
            zero.blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(out, i);
        }
        for (; i < end; i++) {
            float v = a[i] + b[i];
            out[i] = v > 0f ? v : 0f;
        }
    }

    /** sum of x[off, off+n). */
    public static double sum(float[] x, int off, int n) {
        double s = 0;
        int i = 0;
        while (i + BLOCK <= n) {
            FloatVector acc = FloatVector.zero(S);
            for (int j = 0; j < BLOCK; j += V) acc = acc.add(FloatVector.fromArray(S, x, off + i + j));
            s += laneSum(acc);
            i += BLOCK;
        }
        for (; i < n; i++) s += x[off + i];
        return s;
    }

    /** sum of (x - mean)^2 over x[off, off+n), the deviations taken in float. */
    public static double sumSquaredDeviation(float[] x, int off, int n, float mean) {
        double s = 0;
        int i = 0;
        while (i + BLOCK <= n) {
            FloatVector acc = FloatVector.zero(S);
            for (int j = 0; j < BLOCK; j += V) {
                FloatVector d = FloatVector.fromArray(S, x, off + i + j).sub(mean);
                acc = d.fma(d, acc);
            }
            s += laneSum(acc);
            i += BLOCK;
        }
        for (; i < n; i++) {
            double d = x[off + i] - mean;
            s += d * d;
        }
        return s;
    }

    /** sum of a*b over [off, off+n). */
    public static double dot(float[] a, float[] b, int off, int n) {
        double s = 0;
        int i = 0;
        while (i + BLOCK <= n) {
            FloatVector acc = FloatVector.zero(S);
            for (int j = 0; j < BLOCK; j += V) {
                acc = FloatVector.fromArray(S, a, off + i + j).fma(FloatVector.fromArray(S, b, off + i + j), acc);
            }
            s += laneSum(acc);
            i += BLOCK;
        }
        for (; i < n; i++) s += (double) a[off + i] * b[off + i];
        return s;
    }

    /** BatchNorm's normalisation of one channel run: y = g * ((x - mean) * scale) + b over [off, off+n). */
    public static void normalize(float[] x, float[] y, int off, int n, float mean, float scale, float g, float b) {
        int i = off, end = off + n;
        for (int bound = off + S.loopBound(n); i < bound; i += V) {
            FloatVector.fromArray(S, x, i).sub(mean).mul(scale).mul(g).add(b).intoArray(y, i);
        }
        for (; i < end; i++) y[i] = g * ((x[i] - mean) * scale) + b;
    }

    /**
     * BatchNorm and the ReLU after it in one pass: y = max(g * ((x - mean) * scale) + b, 0) over [off, off+n);
     * bit-identical to {@link #normalize} followed by {@link #relu}.
     */
    public static void normalizeRelu(float[] x, float[] y, int off, int n, float mean, float scale, float g, float b) {
        FloatVector zero = FloatVector.zero(S);
        int i = off, end = off + n;
        for (int bound = off + S.loopBound(n); i < bound; i += V) {
            FloatVector v = FloatVector.fromArray(S, x, i).sub(mean).mul(scale).mul(g).add(b);
            zero.blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(y, i);
        }
        for (; i < end; i++) {
            float v = g * ((x[i] - mean) * scale) + b;
            y[i] = v > 0f ? v : 0f;
        }
    }

    /**
     * sum of d * h over [off, off+n) with x-hat h = (x - mean) * scale recomputed in registers from BatchNorm's
     * cached input (the same float operations as the forward's, so the forward's h exactly); blocks as {@link #dot}.
     */
    public static double dotNormalized(float[] d, float[] x, int off, int n, float mean, float scale) {
        double s = 0;
        int i = 0;
        while (i + BLOCK <= n) {
            FloatVector acc = FloatVector.zero(S);
            for (int j = 0; j < BLOCK; j += V) {
                FloatVector h = FloatVector.fromArray(S, x, off + i + j).sub(mean).mul(scale);
                acc = FloatVector.fromArray(S, d, off + i + j).fma(h, acc);
            }
            s += laneSum(acc);
            i += BLOCK;
        }
        for (; i < n; i++) s += (double) d[off + i] * ((x[off + i] - mean) * scale);
        return s;
    }

    /**
     * The backward sums of a BatchNorm whose ReLU ran in the same forward pass ({@link #normalizeRelu}), over one
     * channel run [off, off+n): with x-hat h = (x - mean) * scale recomputed from the cached input and the ReLU's
     * gradient dm = (g * h + b > 0) ? d : 0, sums[0] = sum of dm and sums[1] = sum of dm * h, the same sums as
     * {@link #sum} / {@link #dotNormalized} of {@link #reluBackward}'s output (same blocks, lanes and order). One read
     * of d and x instead of a ReLU pass plus two sum passes.
     */
    public static void reluMaskedSums(float[] d, float[] x, int off, int n, float mean, float scale, float g, float b,
                                      double[] sums) {
        FloatVector zero = FloatVector.zero(S);
        double s = 0, t = 0;
        int i = 0;
        while (i + BLOCK <= n) {
            FloatVector accS = FloatVector.zero(S), accT = FloatVector.zero(S);
            for (int j = 0; j < BLOCK; j += V) {
                FloatVector hv = FloatVector.fromArray(S, x, off + i + j).sub(mean).mul(scale);
                FloatVector dm = zero.blend(FloatVector.fromArray(S, d, off + i + j), hv.mul(g).add(b).compare(VectorOperators.GT, 0f));
                accS = accS.add(dm);
                accT = dm.fma(hv, accT);
            }
            s += laneSum(accS);
            t += laneSum(accT);
            i += BLOCK;
        }
        for (; i < n; i++) {
            float hi = (x[off + i] - mean) * scale, dm = g * hi + b > 0f ? d[off + i] : 0f;
            s += dm;
            t += (double) dm * hi;
        }
        sums[0] = s;
        sums[1] = t;
    }

    /**
     * BatchNorm's input gradient through the ReLU fused after it: dx = k * (dm - meanD - h * meanDh) with
     * h = (x - mean) * scale and dm = (g * h + b > 0) ? d : 0, over [off, off+n); bit-identical to
     * {@link #reluBackward} then {@link #normalizeBackward}. With {@code statsFixed} (running statistics),
     * dx = k * dm, as {@link #scale}.
     */
    public static void normalizeReluBackward(float[] d, float[] x, float[] dx, int off, int n, float mean, float scale,
                                             float k, float meanD, float meanDh, float g, float b, boolean statsFixed) {
        FloatVector zero = FloatVector.zero(S);
        int i = off, end = off + n;
        for (int bound = off + S.loopBound(n); i < bound; i += V) {
            FloatVector hv = FloatVector.fromArray(S, x, i).sub(mean).mul(scale);
            FloatVector dm = zero.blend(FloatVector.fromArray(S, d, i), hv.mul(g).add(b).compare(VectorOperators.GT, 0f));
            (statsFixed ? dm : dm.sub(meanD).sub(hv.mul(meanDh))).mul(k).intoArray(dx, i);
        }
        for (; i < end; i++) {
            float h = (x[i] - mean) * scale, dm = g * h + b > 0f ? d[i] : 0f;
            dx[i] = statsFixed ? k * dm : k * (dm - meanD - h * meanDh);
        }
    }

    /**
     * BatchNorm's input gradient for one channel run: dx = k * (d - meanD - h * meanDh) with h = (x - mean) * scale,
     * over [off, off+n).
     */
    public static void normalizeBackward(float[] d, float[] x, float[] dx, int off, int n, float mean, float scale,
                                         float k, float meanD, float meanDh) {
        int i = off, end = off + n;
        for (int bound = off + S.loopBound(n); i < bound; i += V) {
            FloatVector hv = FloatVector.fromArray(S, x, i).sub(mean).mul(scale);
            FloatVector.fromArray(S, d, i).sub(meanD).sub(hv.mul(meanDh)).mul(k).intoArray(dx, i);
        }
        for (; i < end; i++) dx[i] = k * (d[i] - meanD - (x[i] - mean) * scale * meanDh);
    }

    /** dx = k * d over [off, off+n) (BatchNorm backward with frozen statistics). */
    public static void scale(float[] d, float[] dx, int off, int n, float k) {
        int i = off, end = off + n;
        for (int bound = off + S.loopBound(n); i < bound; i += V) FloatVector.fromArray(S, d, i).mul(k).intoArray(dx, i);
        for (; i < end; i++) dx[i] = k * d[i];
    }
}
