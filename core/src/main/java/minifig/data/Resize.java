package minifig.data;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Antialiased separable resampling of {@link RgbImage}s, the same scheme as PIL's {@code Image.resize}
 * (which torchvision's Resize uses for PIL images): when downscaling by a factor s the filter is stretched by
 * s, so every source pixel contributes and nothing aliases; when upscaling it is plain interpolation.
 *
 * <pre>
 * out[i] = sum_j in[j] * f((j + 0.5 - centre) / max(s, 1)) / (sum of those weights),  centre = (i + 0.5) * s
 * </pre>
 * TRIANGLE (f(t) = max(0, 1 - |t|)) is PIL's BILINEAR; BOX (f = 1 on [-0.5, 0.5)) averages whole blocks for
 * integer factors (a 2x downscale is the mean of each 2x2 block). Rows are filtered first into a float buffer,
 * then columns; the result is rounded once.
 */
public final class Resize {
    public enum Filter {
        @JsonProperty("triangle") TRIANGLE(1.0),
        @JsonProperty("box") BOX(0.5);

        final double support;

        Filter(double support) { this.support = support; }

        double weight(double t) {
            return this == TRIANGLE ? Math.max(0, 1 - Math.abs(t)) : (t >= -0.5 && t < 0.5 ? 1 : 0);
        }
    }

    private Resize() {}

    /** Resizes so the shorter side is {@code s} (aspect kept, the longer side rounded); a copy-free no-op when it already is. */
    public static RgbImage shorterSide(RgbImage src, int s, Filter f) {
        if (src.shorterSide() == s) return src;
        int w, h;
        if (src.width <= src.height) {
            w = s;
            h = (int) Math.max(1, Math.round((double) src.height * s / src.width));
        } else {
            h = s;
            w = (int) Math.max(1, Math.round((double) src.width * s / src.height));
        }
        return resize(src, w, h, f);
    }

    /** Per output index along one axis: the first source index, the tap count and the normalised weights. */
    record Taps(int[] start, int[] count, float[] weights, int maxCount) {}

    static Taps taps(int in, int out, Filter f) {
        double scale = (double) in / out;
        double stretch = Math.max(scale, 1.0);
        double support = f.support * stretch;
        int maxCount = (int) Math.ceil(support) * 2 + 2;
        int[] start = new int[out], count = new int[out];
        float[] weights = new float[out * maxCount];
        for (int i = 0; i < out; i++) {
            double centre = (i + 0.5) * scale;
            int lo = Math.max(0, (int) Math.floor(centre - support + 0.5));
            int hi = Math.min(in, (int) Math.floor(centre + support + 0.5));
            double sum = 0;
            double[] w = new double[hi - lo];
            for (int j = lo; j < hi; j++) sum += w[j - lo] = f.weight((j + 0.5 - centre) / stretch);
            // Trim zero-weight taps at both ends so inner loops only touch contributing pixels.
            int a = 0, b = w.length;
            while (a < b && w[a] == 0) a++;
            while (b > a && w[b - 1] == 0) b--;
            if (a == b) { // cannot happen for in, out >= 1, but never divide by zero
                a = 0;
                b = 1;
                w = new double[]{1};
                sum = 1;
            }
            start[i] = lo + a;
            count[i] = b - a;
            for (int k = a; k < b; k++) weights[i * maxCount + k - a] = (float) (w[k] / sum);
        }
        return new Taps(start, count, weights, maxCount);
    }

    /** Resamples {@code src} to exactly {@code w x h}. */
    public static RgbImage resize(RgbImage src, int w, int h, Filter f) {
        if (w < 1 || h < 1) throw new IllegalArgumentException("resize to " + w + "x" + h);
        if (w == src.width && h == src.height) return new RgbImage(w, h, src.data.clone());
        Taps tx = taps(src.width, w, f), ty = taps(src.height, h, f);
        // Horizontal pass: src.height rows of w pixels, kept in float to round only once.
        float[] tmp = new float[src.height * w * 3];
        byte[] s = src.data;
        for (int y = 0; y < src.height; y++) {
            int rowIn = y * src.width * 3, rowOut = y * w * 3;
            for (int x = 0; x < w; x++) {
                float r = 0, g = 0, b = 0;
                int base = tx.start[x], n = tx.count[x], wo = x * tx.maxCount;
                for (int k = 0; k < n; k++) {
                    float wt = tx.weights[wo + k];
                    int p = rowIn + (base + k) * 3;
                    r += wt * (s[p] & 0xff);
                    g += wt * (s[p + 1] & 0xff);
                    b += wt * (s[p + 2] & 0xff);
                }
                int o = rowOut + x * 3;
                tmp[o] = r;
                tmp[o + 1] = g;
                tmp[o + 2] = b;
            }
        }
        // Vertical pass.
        RgbImage out = new RgbImage(w, h);
        byte[] d = out.data;
        int stride = w * 3;
        float[] acc = new float[stride];
        for (int y = 0; y < h; y++) {
            java.util.Arrays.fill(acc, 0);
            int base = ty.start[y], n = ty.count[y], wo = y * ty.maxCount;
            for (int k = 0; k < n; k++) {
                float wt = ty.weights[wo + k];
                int row = (base + k) * stride;
                for (int i = 0; i < stride; i++) acc[i] += wt * tmp[row + i];
            }
            int o = y * stride;
            for (int i = 0; i < stride; i++) {
                int v = Math.round(acc[i]);
                d[o + i] = (byte) (v < 0 ? 0 : Math.min(v, 255));
            }
        }
        return out;
    }
}
