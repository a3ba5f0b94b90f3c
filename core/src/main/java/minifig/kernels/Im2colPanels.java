package minifig.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Implicit im2col: GEMM B panels packed straight from NCHW images, without the col matrix. A convolution's
 * forward GEMM {@code out[O, G*OH*OW] = W[O, C*K*K] · col[C*K*K, G*OH*OW]} otherwise writes col (7 MB per
 * 56x56 image at ResNet's layer1) and reads it back in {@link GemmBlocked#packB}; here each packed panel
 * (24 output pixels x a k block of (c, kh, kw) rows) is gathered from the image rows it needs, which the
 * neighbouring panels reuse while they are still in cache. docs/performance.md has the measurement.
 *
 * <p>Column j of the implicit col is pixel j % (OH*OW) of image j / (OH*OW) (G images side by side, as
 * {@link Im2col#im2col(float[], int, int, int, int, int, int, int, int, float[], int, int)} lays them out);
 * row (c*K + kh)*K + kw, as in {@link Im2col}. A panel's columns split into runs along one output row; per
 * k row each run is one contiguous (stride 1) or strided stretch of an input row, padded with zeros. For a
 * large strided kernel (the ResNet stem's 7x7/2, {@link Im2col#usesPhases}) the images are first split into
 * column phases (each input row stored as columns r, r + s, r + 2s, ... for each phase r), so a run that
 * reads every s-th input column is a contiguous stretch of one phase, packed with vector copies like a
 * stride-1 run (the element-by-element gather was ~40% of the stem's time in a JFR profile;
 * docs/performance.md has the measurement).
 */
public final class Im2colPanels implements GemmBlocked.BPanels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> S8 = FloatVector.SPECIES_256, S4 = FloatVector.SPECIES_128;
    private static final int V = S.length();
    private static final int NR = GemmBlocked.NR;

    /**
     * Whether runs read column phases (large strided kernels, {@link Im2col#usesPhases}). Then src holds the
     * images' column phases ({@link Im2col#splitPhases}): input row i (image-major, then c, h), phase r starts
     * at (i*stride + r)*Wq; else src is x and input row i starts at srcOff + i*W (Wq = W).
     */
    private final boolean phases;
    private final float[] src;
    private final int srcOff, Wq, images, C, H, W, K, stride, pad, OH, OW;

    /**
     * The implicit col [C*K*K, images*OH*OW] of {@code images} consecutive images [C, H, W] starting at
     * {@code x[xOff]}, for a square K x K kernel.
     */
    public Im2colPanels(float[] x, int xOff, int images, int C, int H, int W, int K, int stride, int pad) {
        this.images = images;
        this.C = C;
        this.H = H;
        this.W = W;
        this.K = K;
        this.stride = stride;
        this.pad = pad;
        this.OH = Im2col.outSize(H, K, stride, pad);
        this.OW = Im2col.outSize(W, K, stride, pad);
        if (OH <= 0 || OW <= 0) throw new IllegalArgumentException("kernel " + K + " larger than the padded " + H + "x" + W + " image");
        long end = (long) xOff + (long) images * C * H * W;
        if (xOff < 0 || end > x.length) throw new IllegalArgumentException(images + " images of " + C + "x" + H + "x" + W
                + " at offset " + xOff + " exceed the array of " + x.length);
        this.phases = Im2col.usesPhases(K, K, stride);
        this.Wq = phases ? (W + stride - 1) / stride : W;
        this.src = phases ? Im2col.splitPhases(x, xOff, images * C * H, W, stride, new float[images * C * H * stride * Wq]) : x;
        this.srcOff = phases ? 0 : xOff;
    }

    /** Rows of the implicit col matrix (the GEMM's K). */
    public int rows() { return C * K * K; }

    /** Columns of the implicit col matrix (the GEMM's N). */
    public int cols() { return images * OH * OW; }

    @Override
    public void pack(int pc, int kcb, int jc, int ncb, float[] bp, int bpOff) {
        // Per run r of a panel: first panel column, length, index of the image's first input row (row c*H + ih of
        // the image is input row base + c*H + ih), and the window's top-left corner (ih, iw), maybe in the padding.
        int[] start = new int[NR], len = new int[NR], base = new int[NR], ih0 = new int[NR], iw0 = new int[NR];
        // Per run and kw: the run's columns [lo, hi) whose input column lies inside the image, and (column
        // phases only) where input column iw0 + kw sits within an input row's phases: phase floorMod(iw, stride),
        // element floorDiv(iw, stride), precomputed here to keep integer divisions out of the per-k-row loop.
        int[] lo = new int[NR * K], hi = new int[NR * K], inRow = new int[NR * K];
        int ohw = OH * OW, kk = K * K;
        for (int jr = 0; jr < ncb; jr += NR) {
            int nr = Math.min(NR, ncb - jr), panel = bpOff + jr * kcb, runs = 0;
            for (int j = 0; j < nr; ) {
                int col = jc + jr + j, img = col / ohw, q = col % ohw, oh = q / OW, ow = q % OW;
                int n = Math.min(nr - j, OW - ow);
                start[runs] = j;
                len[runs] = n;
                base[runs] = img * C * H;
                ih0[runs] = oh * stride - pad;
                iw0[runs] = ow * stride - pad;
                for (int kw = 0; kw < K; kw++) {
                    int iw = iw0[runs] + kw;      // column t of the run reads iw + t*stride
                    lo[runs * K + kw] = Math.min(n, iw >= 0 ? 0 : ceilDiv(-iw, stride));
                    hi[runs * K + kw] = Math.max(lo[runs * K + kw], Math.min(n, ceilDiv(W - iw, stride)));
                    if (phases) inRow[runs * K + kw] = Math.floorMod(iw, stride) * Wq + Math.floorDiv(iw, stride);
                }
                runs++;
                j += n;
            }
            int k = pc, c = k / kk, kh = k % kk / K, kw = k % K;
            for (int p = 0; p < kcb; p++) {
                int dst = panel + p * NR;
                for (int r = 0; r < runs; r++) {
                    int d = dst + start[r], n = len[r], ih = ih0[r] + kh;
                    if (ih < 0 || ih >= H) {
                        java.util.Arrays.fill(bp, d, d + n, 0f);
                        continue;
                    }
                    int a = lo[r * K + kw], b = hi[r * K + kw], iw = iw0[r] + kw, row = base[r] + c * H + ih;
                    for (int t = 0; t < a; t++) bp[d + t] = 0f;
                    if (phases) {
                        // Column t reads input column iw + t*stride: element floorDiv(iw, stride) + t of phase floorMod(iw, stride).
                        copy(src, row * stride * Wq + inRow[r * K + kw], bp, d, a, b);
                    } else if (stride == 1) {
                        copy(src, srcOff + row * W + iw, bp, d, a, b);
                    } else {
                        for (int t = a, s = srcOff + row * W + iw + a * stride; t < b; t++, s += stride) bp[d + t] = src[s];
                    }
                    for (int t = b; t < n; t++) bp[d + t] = 0f;
                }
                for (int j = nr; j < NR; j++) bp[dst + j] = 0f;
                if (++kw == K) {
                    kw = 0;
                    if (++kh == K) {
                        kh = 0;
                        c++;
                    }
                }
            }
        }
    }

    /**
     * dst[d + t] = src[s + t] for t in [a, b). Runs of V or more are copied in whole vectors, the last one
     * overlapping the previous (it rewrites the same values), so there is no scalar tail. Shorter runs (a row of a
     * 14x14 or 7x7 map is shorter than AVX-512's 16 lanes) take two overlapping 8- or 4-lane copies: with 16 lanes
     * the scalar loop they took before made layer3's and layer4's panels (runs of 14 and 7) the slow part of the conv.
     */
    private static void copy(float[] src, int s, float[] dst, int d, int a, int b) {
        int n = b - a;
        if (n >= V) {
            for (int t = a; t < b - V; t += V) FloatVector.fromArray(S, src, s + t).intoArray(dst, d + t);
            FloatVector.fromArray(S, src, s + b - V).intoArray(dst, d + b - V);
        } else if (n >= 8) {
            FloatVector.fromArray(S8, src, s + a).intoArray(dst, d + a);
            FloatVector.fromArray(S8, src, s + b - 8).intoArray(dst, d + b - 8);
        } else if (n >= 4) {
            FloatVector.fromArray(S4, src, s + a).intoArray(dst, d + a);
            FloatVector.fromArray(S4, src, s + b - 4).intoArray(dst, d + b - 4);
        } else {
            for (int t = a; t < b; t++) dst[d + t] = src[s + t];
        }
    }

    private static int ceilDiv(int a, int b) {
        return a <= 0 ? -((-a) / b) : (a + b - 1) / b;
    }
}
