package minifig.train;

import minifig.BadInputException;
import minifig.nn.Linear;

/**
 * Per-feature standardisation of the head's input, z = (x - mean) / std, for training a new head on cached
 * ResNet features. Pooled ResNet-50 features differ in scale (on the LEGO photos the per-feature standard
 * deviation runs from 0.13 to 1.5 between the 1st and 99th percentile), which conditions plain SGD badly; standardising the inputs is the textbook remedy, and the recipe's
 * learning rate and decay were cross-validated with it (on the LEGO test photos it measured no difference:
 * docs/results.md). The transform is affine, so it folds into the head once trained, and the saved network
 * runs on raw features like any other:
 * <pre>
 *   W z + b = W ((x - mean) / std) + b = (W / std) x + (b - (W / std) mean)
 *   W'[o][i] = W[o][i] / std[i]        b'[o] = b[o] - sum_i W'[o][i] mean[i]
 * </pre>
 *
 * @param mean per-feature mean over every cached training view
 * @param std  per-feature standard deviation (population), floored at {@link #MIN_STD} so a dead feature
 *             (always 0 after ReLU) neither divides by zero nor gets amplified
 */
public record Standardizer(float[] mean, float[] std) {
    public static final float MIN_STD = 1e-3f;

    /** Moments over all views and samples of a cache of 1-D features (the "pool" stage), in double. */
    public static Standardizer of(FeatureCache cache) {
        if (cache.featureShape.length != 1) {
            throw new IllegalArgumentException("standardisation needs 1-D features, found " + java.util.Arrays.toString(cache.featureShape));
        }
        int d = cache.featureShape[0];
        double[] s = new double[d], ss = new double[d];
        long n = 0;
        for (float[][] view : cache.rows()) {
            for (float[] row : view) {
                for (int i = 0; i < d; i++) {
                    s[i] += row[i];
                    ss[i] += (double) row[i] * row[i];
                }
                n++;
            }
        }
        float[] mean = new float[d], std = new float[d];
        for (int i = 0; i < d; i++) {
            double m = s[i] / n;
            mean[i] = (float) m;
            std[i] = (float) Math.max(MIN_STD, Math.sqrt(Math.max(0, ss[i] / n - m * m)));
        }
        return new Standardizer(mean, std);
    }

    /** {@code x} standardised, as a new array. */
    public float[] apply(float[] x) {
        float[] z = new float[x.length];
        for (int i = 0; i < x.length; i++) z[i] = (x[i] - mean[i]) / std[i];
        return z;
    }

    /** Rewrites {@code fc} (trained on standardised input) to take raw features: see the class comment. */
    public void fold(Linear fc) {
        check(fc);
        float[] w = fc.weight.value.data;
        int in = fc.inFeatures;
        for (int o = 0; o < fc.outFeatures; o++) {
            double shift = 0;
            for (int i = 0; i < in; i++) {
                w[o * in + i] /= std[i];
                shift += (double) w[o * in + i] * mean[i];
            }
            fc.bias.value.data[o] -= (float) shift;
        }
    }

    /** The inverse of {@link #fold} (up to rounding): a saved head back into standardised coordinates, to resume. */
    public void unfold(Linear fc) {
        check(fc);
        float[] w = fc.weight.value.data;
        int in = fc.inFeatures;
        for (int o = 0; o < fc.outFeatures; o++) {
            double shift = 0;
            for (int i = 0; i < in; i++) shift += (double) w[o * in + i] * mean[i];
            fc.bias.value.data[o] += (float) shift;
            for (int i = 0; i < in; i++) w[o * in + i] *= std[i];
        }
    }

    /** Runs {@code action} with {@code fc} folded, then puts the exact trained values back. */
    public void whileFolded(Linear fc, Runnable action) {
        ParamValues.restoringAfter(java.util.List.of(fc.weight, fc.bias), () -> {
            fold(fc);
            action.run();
        });
    }

    private void check(Linear fc) {
        if (fc.inFeatures != mean.length || fc.bias == null) {
            throw new BadInputException("head: expected a linear layer with bias over " + mean.length + " features, found "
                    + fc.inFeatures + (fc.bias == null ? " without bias" : ""));
        }
    }
}
