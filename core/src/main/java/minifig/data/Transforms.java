package minifig.data;

import java.util.random.RandomGenerator;

/**
 * Pixel transforms used by training augmentation: random resized crop, rotation, colour jitter. Each
 * draws its random numbers only from the generator it is given, so a seed fixes the result.
 */
public final class Transforms {
    private Transforms() {}

    /**
     * torchvision's RandomResizedCrop: up to 10 tries to pick a box covering {@code scale} of the area with
     * aspect ratio (w/h) log-uniform in {@code ratio}; if none fits, the largest centred box with the ratio
     * clamped into range. The box is then resized to {@code size x size}.
     */
    public static RgbImage randomResizedCrop(RgbImage src, int size, double scaleMin, double scaleMax,
                                             double ratioMin, double ratioMax, Resize.Filter f, RandomGenerator rng) {
        int W = src.width, H = src.height;
        double area = (double) W * H;
        double logLo = Math.log(ratioMin), logHi = Math.log(ratioMax);
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * uniform(rng, scaleMin, scaleMax);
            double aspect = Math.exp(uniform(rng, logLo, logHi));
            int w = (int) Math.round(Math.sqrt(target * aspect));
            int h = (int) Math.round(Math.sqrt(target / aspect));
            if (w > 0 && h > 0 && w <= W && h <= H) {
                int y = rng.nextInt(H - h + 1), x = rng.nextInt(W - w + 1);
                return Resize.resize(src.crop(x, y, w, h), size, size, f);
            }
        }
        double ratio = (double) W / H;
        int w, h;
        if (ratio < ratioMin) {
            w = W;
            h = (int) Math.round(w / ratioMin);
        } else if (ratio > ratioMax) {
            h = H;
            w = (int) Math.round(h * ratioMax);
        } else {
            w = W;
            h = H;
        }
        return Resize.resize(src.centerCrop(Math.min(w, W), Math.min(h, H)), size, size, f);
    }

    /**
     * Rotates by {@code degrees} (counter-clockwise) about the image centre, same size, bilinear sampling;
     * points that fall outside take the nearest edge pixel (no black corners for the net to learn).
     */
    public static RgbImage rotate(RgbImage src, double degrees) {
        if (degrees == 0) return new RgbImage(src.width, src.height, src.data.clone());
        int W = src.width, H = src.height;
        double rad = Math.toRadians(degrees), cos = Math.cos(rad), sin = Math.sin(rad);
        double cx = W / 2.0, cy = H / 2.0;
        RgbImage out = new RgbImage(W, H);
        byte[] s = src.data, d = out.data;
        for (int y = 0; y < H; y++) {
            double dy = y + 0.5 - cy;
            for (int x = 0; x < W; x++) {
                double dx = x + 0.5 - cx;
                // Inverse map: which source point lands on this output pixel (y grows downwards, so a
                // counter-clockwise turn on screen is a clockwise one in these coordinates).
                double sx = cos * dx - sin * dy + cx - 0.5;
                double sy = sin * dx + cos * dy + cy - 0.5;
                sx = Math.max(0, Math.min(W - 1, sx));
                sy = Math.max(0, Math.min(H - 1, sy));
                int x0 = (int) sx, y0 = (int) sy;
                int x1 = Math.min(x0 + 1, W - 1), y1 = Math.min(y0 + 1, H - 1);
                double fx = sx - x0, fy = sy - y0;
                int p00 = (y0 * W + x0) * 3, p01 = (y0 * W + x1) * 3, p10 = (y1 * W + x0) * 3, p11 = (y1 * W + x1) * 3;
                int o = (y * W + x) * 3;
                for (int c = 0; c < 3; c++) {
                    double top = (s[p00 + c] & 0xff) * (1 - fx) + (s[p01 + c] & 0xff) * fx;
                    double bot = (s[p10 + c] & 0xff) * (1 - fx) + (s[p11 + c] & 0xff) * fx;
                    d[o + c] = (byte) Math.round(top * (1 - fy) + bot * fy);
                }
            }
        }
        return out;
    }

    /** ITU-R 601 luma, the grey torchvision's colour jitter blends towards. */
    private static double luma(double r, double g, double b) {
        return 0.299 * r + 0.587 * g + 0.114 * b;
    }

    /**
     * torchvision-style colour jitter with explicit factors (1 = unchanged), applied in the order
     * brightness (scale), contrast (blend with the mean grey of the image), saturation (blend with each
     * pixel's grey), clamping to 0..255 after each step as torchvision does.
     */
    public static RgbImage colorJitter(RgbImage src, double brightness, double contrast, double saturation) {
        int n = src.width * src.height;
        double[] v = new double[n * 3];
        for (int i = 0; i < v.length; i++) v[i] = clamp(brightness * (src.data[i] & 0xff));
        if (contrast != 1) {
            double mean = 0;
            for (int p = 0; p < n; p++) mean += luma(v[3 * p], v[3 * p + 1], v[3 * p + 2]);
            mean /= n;
            for (int i = 0; i < v.length; i++) v[i] = clamp(contrast * v[i] + (1 - contrast) * mean);
        }
        if (saturation != 1) {
            for (int p = 0; p < n; p++) {
                double g = luma(v[3 * p], v[3 * p + 1], v[3 * p + 2]);
                for (int c = 0; c < 3; c++) v[3 * p + c] = clamp(saturation * v[3 * p + c] + (1 - saturation) * g);
            }
        }
        RgbImage out = new RgbImage(src.width, src.height);
        for (int i = 0; i < v.length; i++) out.data[i] = (byte) Math.round(v[i]);
        return out;
    }

    private static double clamp(double x) {
        return x < 0 ? 0 : Math.min(x, 255);
    }

    static double uniform(RandomGenerator rng, double lo, double hi) {
        return lo == hi ? lo : lo + (hi - lo) * rng.nextDouble();
    }
}
