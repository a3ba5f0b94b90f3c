package minifig.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * im2col / col2im: turn a convolution into one GEMM. Each column of {@code col} holds the KH*KW*C input
 * values one output pixel sees, so  out[O, OH*OW] = W[O, C*KH*KW] · col[C*KH*KW, OH*OW].
 * Row r = (c*KH + kh)*KW + kw of col matches the OIHW weight's flat [i][kh][kw] index; padding reads as 0.
 *
 * <p>These are the fast versions (whole row runs copied at once, channels split over {@link Parallel} when
 * big); {@link Im2colNaive} is the reference they are tested against.
 *
 * <p>A 1x1, stride-1, pad-0 convolution needs no im2col at all: {@link #isIdentity} is true and the image
 * [C, H*W] at xOff already IS the col matrix, so a layer can pass x itself to GEMM as B (ldb = H*W), and pass
 * dx as the output of the dCol GEMM (accumulate = true gives col2im's "adds into dx").
 */
public final class Im2col {
    private Im2col() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Below this many col elements one thread does it: copying is cheap next to a fork. */
    static final long PARALLEL_MIN_ELEMENTS = 1L << 18;

    /** Output size of a convolution or pooling window along one axis. */
    public static int outSize(int in, int k, int stride, int pad) {
        return (in + 2 * pad - k) / stride + 1;
    }

    /** True when im2col is the identity (1x1 kernel, stride 1, no padding): col == x viewed as [C, H*W]. */
    public static boolean isIdentity(int KH, int KW, int stride, int pad) {
        return KH == 1 && KW == 1 && stride == 1 && pad == 0;
    }

    /** x: one image [C,H,W] at xOff  ->  col: [C*KH*KW, OH*OW] at colOff (overwritten). */
    public static void im2col(float[] x, int xOff, int C, int H, int W, int KH, int KW, int stride, int pad,
                              float[] col, int colOff) {
        im2col(x, xOff, C, H, W, KH, KW, stride, pad, col, colOff, outSize(H, KH, stride, pad) * outSize(W, KW, stride, pad));
    }

    /**
     * As above with col rows ldCol apart (ldCol >= OH*OW): image g of a batch can fill columns
     * [g*OH*OW, (g+1)*OH*OW) of one col matrix [C*KH*KW, G*OH*OW], so one GEMM covers G images.
     */
    public static void im2col(float[] x, int xOff, int C, int H, int W, int KH, int KW, int stride, int pad,
                              float[] col, int colOff, int ldCol) {
        long work = (long) C * KH * KW * checkLd(ldCol, 1, H, W, KH, KW, stride, pad);
        forImageChannels(1, C, work, (i, c0, c1) -> im2colChannels(c0, c1, x, xOff, H, W, KH, KW, stride, pad, col, colOff, ldCol));
    }

    /**
     * im2col of g images side by side, image i (at xOff + i*C*H*W) into columns [i*OH*OW, (i+1)*OH*OW) of col, rows
     * ldCol apart (ldCol >= g*OH*OW): the col matrix of a group of images for one GEMM. The split over the threads is by
     * (image, channel), so a group of small maps, each image below the fork threshold on its own, still runs on every
     * thread (layer3's and layer4's strided convs in backward: the worker waited while the main thread copied).
     */
    public static void im2colImages(float[] x, int xOff, int g, int C, int H, int W, int KH, int KW, int stride, int pad,
                                    float[] col, int ldCol) {
        int OHW = checkLd(ldCol, g, H, W, KH, KW, stride, pad);
        forImageChannels(g, C, (long) g * C * KH * KW * OHW, (i, c0, c1) ->
                im2colChannels(c0, c1, x, xOff + i * C * H * W, H, W, KH, KW, stride, pad, col, i * OHW, ldCol));
    }

    /** The adjoint of {@link #im2colImages}: image i's columns of dCol ADDED into dx at dxOff + i*C*H*W. */
    public static void col2imImages(float[] col, int g, int C, int H, int W, int KH, int KW, int stride, int pad,
                                    float[] dx, int dxOff, int ldCol) {
        int OHW = checkLd(ldCol, g, H, W, KH, KW, stride, pad);
        // (image, channel) pairs own disjoint slices of dx, so the adds never race
        forImageChannels(g, C, (long) g * C * KH * KW * OHW, (i, c0, c1) ->
                col2imChannels(c0, c1, col, i * OHW, H, W, KH, KW, stride, pad, dx, dxOff + i * C * H * W, ldCol));
    }

    private interface ImageChannels {
        void run(int image, int c0, int c1);
    }

    /**
     * body over the g*C (image, channel) pairs, split over the threads when {@code work} col elements pay for a fork: the
     * one split of im2col and col2im, for a group of images and (g = 1) for one.
     */
    private static void forImageChannels(int g, int C, long work, ImageChannels body) {
        Parallel.RangeBody pairs = (lo, hi) -> {
            for (int i = lo / C; i * C < hi; i++) body.run(i, Math.max(lo - i * C, 0), Math.min(hi - i * C, C));
        };
        if (work >= PARALLEL_MIN_ELEMENTS && (long) g * C > 1) Parallel.parallelFor(g * C, pairs);
        else pairs.run(0, g * C);
    }

    /** OH*OW, after checking that col rows ldCol apart hold {@code images} images side by side. */
    private static int checkLd(int ldCol, int images, int H, int W, int KH, int KW, int stride, int pad) {
        int ohw = outSize(H, KH, stride, pad) * outSize(W, KW, stride, pad);
        if (ldCol < (long) images * ohw) {
            throw new IllegalArgumentException("col row stride " + ldCol + " < "
                    + (images == 1 ? "" : images + " images x ") + "OH*OW = " + (long) images * ohw);
        }
        return ohw;
    }

    /**
     * The adjoint of im2col: dCol [C*KH*KW, OH*OW] at colOff  ->  dx [C,H,W] at dxOff, ADDED (+=), because
     * one input pixel feeds several output pixels and its gradient is the sum over them.
     */
    public static void col2im(float[] col, int colOff, int C, int H, int W, int KH, int KW, int stride, int pad,
                              float[] dx, int dxOff) {
        col2im(col, colOff, C, H, W, KH, KW, stride, pad, dx, dxOff, outSize(H, KH, stride, pad) * outSize(W, KW, stride, pad));
    }

    /** As above with dCol rows ldCol apart (ldCol >= OH*OW), the adjoint of the strided im2col. */
    public static void col2im(float[] col, int colOff, int C, int H, int W, int KH, int KW, int stride, int pad,
                              float[] dx, int dxOff, int ldCol) {
        long work = (long) C * KH * KW * checkLd(ldCol, 1, H, W, KH, KW, stride, pad);
        // channels own disjoint slices of dx, so the adds never race
        forImageChannels(1, C, work, (i, c0, c1) -> col2imChannels(c0, c1, col, colOff, H, W, KH, KW, stride, pad, dx, dxOff, ldCol));
    }

    /** First output column whose input column ow*stride - pad + kw is >= 0. */
    private static int firstValid(int kw, int stride, int pad, int OW) {
        int need = pad - kw;
        return need <= 0 ? 0 : Math.min(OW, (need + stride - 1) / stride);
    }

    /** One past the last output column whose input column is < W. */
    private static int endValid(int kw, int stride, int pad, int W, int OW) {
        int last = W - 1 + pad - kw;
        return last < 0 ? 0 : Math.min(OW, last / stride + 1);
    }

    /**
     * rows [R, W] (from xOff) -> xs [R, s, ceil(W/s)] (returned): phase r of row i holds the row's columns r,
     * r + s, r + 2s, ..., so reading every s-th column of a row becomes reading a contiguous stretch of one
     * phase (for strided im2col, which can then copy runs instead of gathering element by element). Entries
     * past a phase's last column are left as they were.
     */
    static float[] splitPhases(float[] x, int xOff, int R, int W, int s, float[] xs) {
        int Wq = (W + s - 1) / s;
        for (int i = 0; i < R; i++) {
            int row = xOff + i * W;
            for (int r = 0; r < s; r++) {
                int d = (i * s + r) * Wq;
                for (int w = r, q = 0; w < W; w += s, q++) xs[d + q] = x[row + w];
            }
        }
        return xs;
    }

    /**
     * Whether a strided im2col should read column phases ({@link #splitPhases}) rather than gather every
     * stride-th element: the split is one more pass over the input, so it pays only when each input element
     * is read often, i.e. for large kernels (each input value lands in KH*KW/stride² col entries). Measured
     * per image, one thread (best of 200): the stem's 7x7/2 im2col 2.0 → 0.87 ms; a 3x3/2 (reuse 2.25) was
     * slower with the split (28x28: 0.28 → 0.36 ms), hence the threshold.
     */
    static boolean usesPhases(int KH, int KW, int stride) {
        return stride > 1 && KH * KW >= 4 * stride * stride;
    }

    /** Per-thread buffer for one channel's column phases (strided im2col). */
    private static final ThreadLocal<float[][]> PHASES = ThreadLocal.withInitial(() -> new float[1][0]);

    private static void im2colChannels(int c0, int c1, float[] x, int xOff, int H, int W, int KH, int KW,
                                       int stride, int pad, float[] col, int colOff, int ldCol) {
        int OH = outSize(H, KH, stride, pad), OW = outSize(W, KW, stride, pad);
        int Wq = (W + stride - 1) / stride;
        float[] phases = null;
        if (usesPhases(KH, KW, stride)) {
            float[][] buf = PHASES.get();
            if (buf[0].length < H * stride * Wq) buf[0] = new float[H * stride * Wq];
            phases = buf[0];
        }
        for (int c = c0; c < c1; c++) {
            // A strided conv reads every stride-th input column: split the channel's rows into column phases once,
            // so each run below is one contiguous copy (the element-by-element gather was the stem's im2col cost).
            if (phases != null) splitPhases(x, xOff + c * H * W, H, W, stride, phases);
            for (int kh = 0; kh < KH; kh++) {
                for (int kw = 0; kw < KW; kw++) {
                    int row = colOff + ((c * KH + kh) * KW + kw) * ldCol;
                    int lo = firstValid(kw, stride, pad, OW), hi = Math.max(lo, endValid(kw, stride, pad, W, OW));
                    for (int oh = 0; oh < OH; oh++) {
                        int ih = oh * stride - pad + kh, d = row + oh * OW;
                        if (ih < 0 || ih >= H) {
                            java.util.Arrays.fill(col, d, d + OW, 0f);
                            continue;
                        }
                        java.util.Arrays.fill(col, d, d + lo, 0f);
                        java.util.Arrays.fill(col, d + hi, d + OW, 0f);
                        int iw = lo * stride - pad + kw;       // >= 0: the run's first input column
                        if (stride == 1) {
                            System.arraycopy(x, xOff + (c * H + ih) * W + iw, col, d + lo, hi - lo);
                        } else if (phases != null) {
                            System.arraycopy(phases, (ih * stride + iw % stride) * Wq + iw / stride, col, d + lo, hi - lo);
                        } else {
                            for (int ow = lo, src = xOff + (c * H + ih) * W + iw; ow < hi; ow++, src += stride) col[d + ow] = x[src];
                        }
                    }
                }
            }
        }
    }

    private static void col2imChannels(int c0, int c1, float[] col, int colOff, int H, int W, int KH, int KW,
                                       int stride, int pad, float[] dx, int dxOff, int ldCol) {
        int OH = outSize(H, KH, stride, pad), OW = outSize(W, KW, stride, pad);
        for (int c = c0; c < c1; c++) {
            for (int kh = 0; kh < KH; kh++) {
                for (int kw = 0; kw < KW; kw++) {
                    int row = colOff + ((c * KH + kh) * KW + kw) * ldCol;
                    int lo = firstValid(kw, stride, pad, OW), hi = Math.max(lo, endValid(kw, stride, pad, W, OW));
                    for (int oh = 0; oh < OH; oh++) {
                        int ih = oh * stride - pad + kh;
                        if (ih < 0 || ih >= H) continue;
                        int d = row + oh * OW + lo, dst = dxOff + (c * H + ih) * W + lo * stride - pad + kw;
                        if (stride == 1) {
                            addInto(col, d, dx, dst, hi - lo);
                        } else {
                            for (int ow = lo; ow < hi; ow++, dst += stride) dx[dst] += col[d++];
                        }
                    }
                }
            }
        }
    }

    /** y[yOff, yOff+n) += x[xOff, xOff+n), vectorised. */
    static void addInto(float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, y, yOff + i).add(FloatVector.fromArray(S, x, xOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] += x[xOff + i];
    }
}
