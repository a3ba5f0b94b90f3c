package minifig.kernels;

/** The plain loops {@link Elementwise} is tested against: one element at a time, sums in double. */
public final class ElementwiseNaive {
    private ElementwiseNaive() {}

    public static void relu(float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] = x[xOff + i] > 0f ? x[xOff + i] : 0f;
    }

    public static void reluBackward(float[] y, float[] d, float[] dx, int off, int n) {
        for (int i = off; i < off + n; i++) dx[i] = y[i] > 0f ? d[i] : 0f;
    }

    public static void add(float[] a, float[] b, float[] out, int off, int n) {
        for (int i = off; i < off + n; i++) out[i] = a[i] + b[i];
    }

    public static double sum(float[] x, int off, int n) {
        double s = 0;
        for (int i = off; i < off + n; i++) s += x[i];
        return s;
    }

    public static double sumSquaredDeviation(float[] x, int off, int n, float mean) {
        double s = 0;
        for (int i = off; i < off + n; i++) {
            double d = x[i] - mean;
            s += d * d;
        }
        return s;
    }

    public static double dot(float[] a, float[] b, int off, int n) {
        double s = 0;
        for (int i = off; i < off + n; i++) s += (double) a[i] * b[i];
        return s;
    }

    public static void normalize(float[] x, float[] y, int off, int n, float mean, float scale, float g, float b) {
        for (int i = off; i < off + n; i++) {
            float h = (x[i] - mean) * scale;
            y[i] = g * h + b;
        }
    }

    public static void normalizeRelu(float[] x, float[] y, int off, int n, float mean, float scale, float g, float b) {
        normalize(x, y, off, n, mean, scale, g, b);
        relu(y, off, y, off, n);
    }

    /** x-hat of [off, off+n) into a fresh array: h = (x - mean) * scale, what the forward normalised with. */
    private static float[] normalized(float[] x, int off, int n, float mean, float scale) {
        float[] h = new float[x.length];
        for (int i = off; i < off + n; i++) h[i] = (x[i] - mean) * scale;
        return h;
    }

    public static double dotNormalized(float[] d, float[] x, int off, int n, float mean, float scale) {
        return dot(d, normalized(x, off, n, mean, scale), off, n);
    }

    /** The ReLU's gradient (mask recomputed from x-hat as g * h + b > 0), then its sum and its dot with h. */
    public static void reluMaskedSums(float[] d, float[] x, int off, int n, float mean, float scale, float g, float b,
                                      double[] sums) {
        float[] h = normalized(x, off, n, mean, scale), dm = reluMaskedGradient(d, h, off, n, g, b);
        sums[0] = sum(dm, off, n);
        sums[1] = dot(dm, h, off, n);
    }

    public static void normalizeReluBackward(float[] d, float[] x, float[] dx, int off, int n, float mean, float scale,
                                             float k, float meanD, float meanDh, float g, float b, boolean statsFixed) {
        float[] dm = reluMaskedGradient(d, normalized(x, off, n, mean, scale), off, n, g, b);
        if (statsFixed) scale(dm, dx, off, n, k);
        else normalizeBackward(dm, x, dx, off, n, mean, scale, k, meanD, meanDh);
    }

    /** dm = (g * h + b > 0) ? d : 0 on [off, off+n) of a fresh array: the ReLU's backward from its recomputed input. */
    private static float[] reluMaskedGradient(float[] d, float[] h, int off, int n, float g, float b) {
        float[] y = new float[d.length], dm = new float[d.length];
        for (int i = off; i < off + n; i++) y[i] = g * h[i] + b;
        reluBackward(y, d, dm, off, n);
        return dm;
    }

    public static void addTo(float[] src, int srcOff, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] += src[srcOff + i];
    }

    public static void addRelu(float[] a, float[] b, float[] out, int off, int n) {
        add(a, b, out, off, n);
        relu(out, off, out, off, n);
    }

    public static void normalizeBackward(float[] d, float[] x, float[] dx, int off, int n, float mean, float scale,
                                         float k, float meanD, float meanDh) {
        float[] h = normalized(x, off, n, mean, scale);
        for (int i = off; i < off + n; i++) dx[i] = k * (d[i] - meanD - h[i] * meanDh);
    }

    public static void scale(float[] d, float[] dx, int off, int n, float k) {
        for (int i = off; i < off + n; i++) dx[i] = k * d[i];
    }
}
