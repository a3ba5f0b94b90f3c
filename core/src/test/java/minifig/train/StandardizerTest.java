package minifig.train;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import minifig.nn.Linear;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Folding the standardisation into the head: the same logits on raw features as before on standardised ones. */
class StandardizerTest {
    static float[][] features(int n, int d, long seed) {
        Random r = new Random(seed);
        float[][] x = new float[n][d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) x[i][j] = j == 3 ? 0f : (float) (Math.abs(r.nextGaussian()) * Math.pow(10, j % 4 - 2) + j);
        }
        return x;
    }

    static Standardizer moments(float[][] x) {
        int d = x[0].length;
        float[] mean = new float[d], std = new float[d];
        for (int j = 0; j < d; j++) {
            double s = 0, ss = 0;
            for (float[] row : x) s += row[j];
            double m = s / x.length;
            for (float[] row : x) ss += (row[j] - m) * (row[j] - m);
            mean[j] = (float) m;
            std[j] = (float) Math.max(Standardizer.MIN_STD, Math.sqrt(ss / x.length));
        }
        return new Standardizer(mean, std);
    }

    @Test
    void foldedHeadOnRawFeaturesEqualsHeadOnStandardisedFeatures() {
        int n = 6, d = 9, k = 4;
        float[][] x = features(n, d, 1);
        Standardizer st = moments(x);
        Linear fc = new Linear(d, k, true, new Random(2));
        for (int i = 0; i < k; i++) fc.bias.value.data[i] = 0.1f * i;
        Tensor raw = new Tensor(n, d), z = new Tensor(n, d);
        for (int i = 0; i < n; i++) {
            System.arraycopy(x[i], 0, raw.data, i * d, d);
            System.arraycopy(st.apply(x[i]), 0, z.data, i * d, d);
        }
        float[] expected = fc.forward(z, false).data.clone();
        float[] w = fc.weight.value.data.clone(), b = fc.bias.value.data.clone();
        st.fold(fc);
        float[] got = fc.forward(raw, false).data;
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], got[i], 1e-4 * (1 + Math.abs(expected[i])), "logit " + i);
        st.unfold(fc);
        for (int i = 0; i < w.length; i++) assertEquals(w[i], fc.weight.value.data[i], 1e-5 * (1 + Math.abs(w[i])), "weight " + i);
        for (int i = 0; i < b.length; i++) assertEquals(b[i], fc.bias.value.data[i], 1e-4, "bias " + i);
    }

    @Test
    void whileFoldedRestoresTheExactTrainedValues() {
        float[][] x = features(5, 7, 3);
        Standardizer st = moments(x);
        Linear fc = new Linear(7, 3, true, new Random(4));
        float[] w = fc.weight.value.data.clone(), b = fc.bias.value.data.clone();
        float[][] seen = new float[1][];
        st.whileFolded(fc, () -> seen[0] = fc.weight.value.data.clone());
        assertFalse(java.util.Arrays.equals(w, seen[0]), "the action must see the folded head");
        assertArrayEquals(w, fc.weight.value.data, 0f);
        assertArrayEquals(b, fc.bias.value.data, 0f);
    }

    @Test
    void momentsComeFromEveryViewAndDeadFeaturesAreNotAmplified() {
        float[][] v0 = features(4, 5, 5), v1 = features(4, 5, 6);
        float[][] both = new float[8][];
        System.arraycopy(v0, 0, both, 0, 4);
        System.arraycopy(v1, 0, both, 4, 4);
        Standardizer expected = moments(both);
        java.util.List<minifig.data.Sample> samples = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) samples.add(new minifig.data.Sample("p" + i + ".jpg", 1, java.nio.file.Path.of("p" + i + ".jpg")));
        Standardizer got = Standardizer.of(FeatureCache.of("pool", new int[] {5}, new float[][][] {v0, v1}, new int[4], samples));
        assertArrayEquals(expected.mean(), got.mean(), 1e-5f);
        assertArrayEquals(expected.std(), got.std(), 1e-5f);
        assertEquals(Standardizer.MIN_STD, got.std()[3], 0f); // feature 3 is always 0
        assertEquals(0f, got.apply(v0[0])[3], 0f);
    }
}
