package minifig.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Implicit im2col: GEMM B panels packed straight from NCHW images, without the col matrix. A convolution's
 * forward GEMM {@code out[O, G*OH*OW] = W[O, C*K*K] · col[C*K*K, G*OH*OW]} otherwise writes col (7 MB per
 * 56x56 image at ResNet's layer1) and reads it back in {@link GemmBlocked#packB}; here each packed panel
 * (NR output pixels x a k block of (c, kh, kw) rows) is gathered from the image rows it needs, which the
 * neighbouring panels reuse while they are still in cache. docs/performance.md has the measurements.
 *
 * <p>Column j of the implicit col is pixel j % (OH*OW) of image j / (OH*OW) (G images side by side, as
 * {@link Im2col#im2col(float[], int, int, int, int, int, int, int, int, float[], int, int)} lays them out);
 * row (c*K + kh)*K + kw, as in {@link Im2col}. The constructor copies the images once into a zero-padded buffer
 * whose rows are split into column phases (input column iw of a padded row goes to phase iw % stride, element
 * iw / stride; stride 1 has one phase, the padded row itself). Then the pixels of one output row read, for every k
 * row, one contiguous stretch of one phase row: element ow + kw / stride of phase kw % stride of padded row
 * oh*stride + kh. A panel's columns split into such runs, and a panel row is one vector copy per run of up to V
 * pixels, with no padding or stride logic left in the per-k-row loop (which, with per-run zero fills and a strided
 * gather, made packing 18% of layer3's batch-8 conv: docs/performance.md).
 */
public final class Im2colPanels implements GemmBlocked.BPanels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> S8 = FloatVector.SPECIES_256, S4 = FloatVector.SPECIES_128;
    private static final int V = S.length();
    private static final int NR = GemmBlocked.NR;

    /**
     * The padded, phase-split images: image i, channel c, padded row h, phase r, element e at
     * ((i*C + c)*Hp + h)*rowLen + r*Wq + e, then V floats of slack, so that a run's whole-vector copy may read past
     * its end. A per-thread buffer: valid until the next Im2colPanels is built on the same thread (a conv builds one
     * per GEMM, and other threads only read it while that GEMM runs).
     */
    private final float[] src;
    private final int images, C, H, W, K, stride, pad, OH, OW;
    /** Padded row length in phases (stride * Wq, Wq = ceil(Wp / stride)), and floats per padded channel plane. */
    private final int Wq, rowLen, plane;
    /**
     * A strided 1x1 without padding (a ResNet downsample) reads only pixels (oh*stride, ow*stride), a quarter of x at
     * stride 2: its runs are gathered straight from x (src is x, planes H*W, rows W), which measured faster than any
     * copy first (the phase split cost the 56x56 downsample 1.3x its time, a subsampled copy 1.2x). At stride 2 a run
     * is V pixels per pair of vectors (their even lanes): the scalar gather had ResNet-18's three downsamples at 61-73%
     * of peak, now 71-77% (ConvForwardAB).
     */
    private final boolean subsampled;
    /** Where src's first image starts: xOff when src is x itself ({@link #subsampled}), else 0. */
    private final int srcOff;
    /**
     * Per k row (c, kh, kw): where it reads relative to a pixel's window, element kw / stride of phase kw % stride of
     * padded row kh of channel c (a strided 1x1 reads x's channel planes). A per-thread buffer, like src's.
     */
    private final int[] kOff;

    /**
     * K rows per block of {@link #pack}'s run loops: 32 panel rows are 8 KB at 16 lanes. Blocks of 16-64 rows measured
     * alike; with 128 rows or a whole k block (1024) layer3's batch-8 conv ran 0.91-0.92x as fast (scratch harness).
     */
    private static final int ROWS = 32;

    private static final FloatVector ZERO = FloatVector.zero(S);

    /** Per thread: the padded images ({@link #src}) and the stride-2 split's row buffer. */
    private static final ThreadLocal<float[][]> BUFFER = ThreadLocal.withInitial(() -> new float[2][0]);
    /** The k-row offsets ({@link #kOff}), per thread with the same lifetime as {@link #src}'s buffer. */
    private static final ThreadLocal<int[][]> INTS = ThreadLocal.withInitial(() -> new int[1][0]);
    /** {@link #pack}'s per-run scratch, per thread (pack runs on the GEMM's threads). */
    private static final ThreadLocal<int[]> RUNS = ThreadLocal.withInitial(() -> new int[4 * NR]);

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
        int Hp = H + 2 * pad, Wp = W + 2 * pad;
        this.subsampled = K == 1 && pad == 0 && stride > 1;
        this.Wq = (Wp + stride - 1) / stride;
        this.rowLen = subsampled ? W : stride * Wq;
        this.plane = subsampled ? H * W : Hp * rowLen;
        this.srcOff = subsampled ? xOff : 0;
        int[][] ints = INTS.get();
        if (ints[0].length < C * K * K) ints[0] = new int[C * K * K];
        this.kOff = ints[0];
        for (int k = 0; k < C * K * K; k++) {
            int c = k / (K * K), kh = k % (K * K) / K, kw = k % K;
            kOff[k] = c * plane + kh * rowLen + kw % stride * Wq + kw / stride;
        }
        if (subsampled) {
            this.src = x;
            return;
        }
        long size = (long) images * C * plane + V;
        if (size > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(images + " padded images of " + C + "x" + Hp + "x" + Wp + " exceed an array");
        float[][] buf = BUFFER.get();
        if (buf[0].length < size) buf[0] = new float[(int) size];
        this.src = buf[0];
        padAndSplit(x, xOff);
    }

    /**
     * Fills {@link #src} from the images: zero rows and columns around each plane, phases split when strided. Rows and
     * phases no k row reads (kernels narrower than the stride) are left as they are: only whole-vector copies past a
     * run's end read them, and those lanes are overwritten.
     */
    private void padAndSplit(float[] x, int xOff) {
        int rows = images * C;
        // stride 2: each padded row is split into its two phases 2V columns at a time, read from x (or, at x's ends,
        // from the row built in tmp, whose padding columns stay zero); the last vector of a phase may spill up to V - 1
        // floats past it, into the next phase (written after it), the next row, the padding rows (filled after the
        // plane's rows) or the slack
        int wqv = (Wq + V - 1) / V * V;
        // phase r, element e is padded column 2e + r: inside the image (not padding) for e in [lo_r, hi_r)
        int lo0 = (pad + 1) / 2, hi0 = (pad + W + 1) / 2, lo1 = pad / 2, hi1 = (pad + W) / 2;
        float[] tmp = null;
        if (stride == 2) {
            float[][] buf = BUFFER.get();
            if (buf[1].length < 2 * wqv) buf[1] = new float[2 * wqv];
            tmp = buf[1];
            java.util.Arrays.fill(tmp, 0f);       // its padding columns; rows write only [pad, pad + W)
        }
        for (int i = 0; i < rows; i++) {
            int dst = i * plane, in = xOff + i * H * W;
            java.util.Arrays.fill(src, dst, dst + pad * rowLen, 0f);                      // top padding rows
            for (int h = 0; h < H; h++, in += W) {
                int d = dst + (h + pad) * rowLen;
                if (stride == 1 && pad <= V && in + W + V <= x.length) {
                    // whole vectors: zeros over the left padding, the row, zeros over the right padding; each spill
                    // past the row lands where later writes (this row's, the next row's, the padding rows', the
                    // slack's) overwrite it
                    ZERO.intoArray(src, d);
                    for (int t = 0; t < W; t += V) FloatVector.fromArray(S, x, in + t).intoArray(src, d + pad + t);
                    ZERO.intoArray(src, d + pad + W);
                } else if (stride == 1) {
                    for (int t = 0; t < pad; t++) src[d + t] = 0f;
                    copy(x, in - pad, src, d, pad, pad + W);
                    for (int t = pad + W; t < rowLen; t++) src[d + t] = 0f;
                } else if (stride == 2 && (K >= 2 || (h + pad) % 2 == 0) && in - pad >= 0 && in - pad + 2 * wqv <= x.length) {
                    // Straight from x: padded column 2e + r is x column 2e + r - pad, so the vectors at in - pad + 2e
                    // hold both phases of elements [e, e + V); lanes outside the row (padding, the rows around it)
                    // are zeroed. Through tmp (below) each load spans two of the copy's shifted stores, presumably a
                    // store-forwarding stall each: the 3x3/2's split at 56x56 took 56-57 us that way, 40-44 this way.
                    // Last block first: phase 0's last vector spills into phase 1's first elements, written after it.
                    for (int e = wqv - V; e >= 0; e -= V) {
                        FloatVector a = FloatVector.fromArray(S, x, in - pad + 2 * e), b = FloatVector.fromArray(S, x, in - pad + 2 * e + V);
                        FloatVector even = Lanes.evens(a, b), odd = Lanes.odds(a, b);
                        if (e < lo0 || e + V > hi0) even = Lanes.within(even, e, lo0, hi0);
                        if (e < lo1 || e + V > hi1) odd = Lanes.within(odd, e, lo1, hi1);
                        even.intoArray(src, d + e);
                        odd.intoArray(src, d + Wq + e);
                    }
                } else if (stride == 2 && (K >= 2 || (h + pad) % 2 == 0)) {
                    // the first or last rows of x, where the vectors above would read outside the array: through tmp
                    copy(x, in - pad, tmp, 0, pad, pad + W);
                    for (int e = 0; e < Wq; e += V) {
                        FloatVector a = FloatVector.fromArray(S, tmp, 2 * e), b = FloatVector.fromArray(S, tmp, 2 * e + V);
                        Lanes.evens(a, b).intoArray(src, d + e);
                    }
                    for (int e = 0; e < Wq; e += V) {
                        FloatVector a = FloatVector.fromArray(S, tmp, 2 * e), b = FloatVector.fromArray(S, tmp, 2 * e + V);
                        Lanes.odds(a, b).intoArray(src, d + Wq + e);
                    }
                } else if (K >= stride || (h + pad) % stride < K) {
                    // padded column iw goes to phase iw % stride, element iw / stride; a kernel narrower than the
                    // stride (a 1x1/2 downsample) reads only the first K phases of every stride-th row
                    for (int r = 0; r < Math.min(K, stride); r++) {
                        for (int e = 0, iw = r - pad; e < Wq; e++, iw += stride) {
                            src[d + r * Wq + e] = iw >= 0 && iw < W ? x[in + iw] : 0f;
                        }
                    }
                }
            }
            java.util.Arrays.fill(src, dst + (H + pad) * rowLen, dst + plane, 0f);       // bottom padding rows
        }
        java.util.Arrays.fill(src, rows * plane, rows * plane + V, 0f);
    }

    /** Rows of the implicit col matrix (the GEMM's K). */
    public int rows() { return C * K * K; }

    /** Columns of the implicit col matrix (the GEMM's N). */
    public int cols() { return images * OH * OW; }

    @Override
    public void pack(int pc, int kcb, int jc, int ncb, float[] bp, int bpOff) {
        // Per run r of a panel: first panel column, length, where its first pixel's window starts in src for k row 0,
        // and whether whole-vector copies stay inside the panel row (the spill past the run is overwritten by the runs
        // after it, or, past nr, by the zeros below); in this thread's scratch, not new arrays per call.
        int[] runInfo = RUNS.get();     // start, len, at and whole (0/1) of up to NR runs, NR ints apart
        int ohw = OH * OW;
        for (int jr = 0; jr < ncb; jr += NR) {
            int nr = Math.min(NR, ncb - jr), panel = bpOff + jr * kcb, runs = 0;
            for (int j = 0; j < nr; ) {
                int col = jc + jr + j, img = col / ohw, q = col % ohw, oh = q / OW, ow = q % OW;
                int n = Math.min(nr - j, OW - ow);
                runInfo[runs] = j;
                runInfo[NR + runs] = n;
                runInfo[2 * NR + runs] = subsampled ? srcOff + img * C * plane + oh * stride * rowLen + ow * stride
                        : img * C * plane + oh * stride * rowLen + ow;
                runInfo[3 * NR + runs] = j + (n + V - 1) / V * V <= NR ? 1 : 0;
                runs++;
                j += n;
            }
            // Run by run, each over a block of k rows: a tight loop of one copy per k row, on panel rows that stay in L1
            // (a pass over all 1024 rows of a k block went through L2 once per run). Runs go left to right, so a
            // whole-vector copy's spill past its run is overwritten by the runs after it, then by the zeros past nr.
            for (int p0 = 0; p0 < kcb; p0 += ROWS) {
                int p1 = Math.min(kcb, p0 + ROWS);
                for (int r = 0; r < runs; r++) {
                    int a = runInfo[2 * NR + r], d = panel + runInfo[r], n = runInfo[NR + r];
                    boolean spill = runInfo[3 * NR + r] != 0;
                    if (subsampled && stride == 2 && (spill
                            ? kOff[pc + p1 - 1] + a + 2 * ((n + V - 1) / V * V) <= src.length
                            : n >= 4 && kOff[pc + p1 - 1] + a + 2 * n <= src.length)) {
                        // Every other pixel: the even lanes of vector pairs (k offsets grow with k: one bounds check). A
                        // run that may spill is copied in whole vectors past its end; one that may not (the panel's
                        // last) in vectors of 16, 8 or 4 lanes, the last ending where the run ends (it rewrites values
                        // the one before wrote). The lane moves are written out rather than called through Lanes.evens:
                        // C2 compiles pack on whichever convs ran first, and a small call in a branch it has rarely
                        // seen stays out of line and boxes every vector (a downsample after a 3x3 conv packed at 39%
                        // of peak instead of 72%; docs/performance.md).
                        if (spill || n >= V) {
                            for (int t = 0; t < n; t += V) {
                                int u = spill ? t : Math.min(t, n - V);
                                for (int p = p0; p < p1; p++) {
                                    int s0 = kOff[pc + p] + a + 2 * u;
                                    FloatVector lo = FloatVector.fromArray(S, src, s0), hi = FloatVector.fromArray(S, src, s0 + V);
                                    lo.rearrange(Lanes.EVEN).blend(hi.rearrange(Lanes.EVEN), Lanes.UPPER).intoArray(bp, d + u + p * NR);
                                }
                            }
                        } else if (n >= 8) {
                            // this branch and the next differ in their species only: a species picked at run time is
                            // not a constant to C2, and the Vector API's intrinsics need one (duplicates D1)
                            for (int p = p0; p < p1; p++) {
                                int s0 = kOff[pc + p] + a, s1 = s0 + 2 * (n - 8), o = d + p * NR;
                                FloatVector lo = FloatVector.fromArray(S8, src, s0), hi = FloatVector.fromArray(S8, src, s0 + 8);
                                lo.rearrange(Lanes.EVEN8).blend(hi.rearrange(Lanes.EVEN8), Lanes.UPPER8).intoArray(bp, o);
                                lo = FloatVector.fromArray(S8, src, s1);
                                hi = FloatVector.fromArray(S8, src, s1 + 8);
                                lo.rearrange(Lanes.EVEN8).blend(hi.rearrange(Lanes.EVEN8), Lanes.UPPER8).intoArray(bp, o + n - 8);
                            }
                        } else {
                            for (int p = p0; p < p1; p++) {
                                int s0 = kOff[pc + p] + a, s1 = s0 + 2 * (n - 4), o = d + p * NR;
                                FloatVector lo = FloatVector.fromArray(S4, src, s0), hi = FloatVector.fromArray(S4, src, s0 + 4);
                                lo.rearrange(Lanes.EVEN4).blend(hi.rearrange(Lanes.EVEN4), Lanes.UPPER4).intoArray(bp, o);
                                lo = FloatVector.fromArray(S4, src, s1);
                                hi = FloatVector.fromArray(S4, src, s1 + 4);
                                lo.rearrange(Lanes.EVEN4).blend(hi.rearrange(Lanes.EVEN4), Lanes.UPPER4).intoArray(bp, o + n - 4);
                            }
                        }
                    } else if (subsampled) {
                        for (int p = p0; p < p1; p++) {
                            int s = kOff[pc + p] + a, o = d + p * NR;
                            for (int t = 0; t < n; t++) bp[o + t] = src[s + t * stride];
                        }
                    } else if (spill) {
                        for (int t = 0; t < n; t += V) {
                            for (int p = p0; p < p1; p++) FloatVector.fromArray(S, src, kOff[pc + p] + a + t).intoArray(bp, d + t + p * NR);
                        }
                    } else {
                        copyRows(src, kOff, pc + p0, pc + p1, a, bp, d + p0 * NR, n);
                    }
                }
            }
            if (nr < NR) {
                for (int p = 0; p < kcb; p++) java.util.Arrays.fill(bp, panel + p * NR + nr, panel + (p + 1) * NR, 0f);
            }
        }
    }

    /**
     * The run of n pixels at offset a of k rows [k0, k1) into panel rows NR apart from d, each as {@link #copy} would
     * copy it. The case is chosen once, outside the loop over rows: with {@link #copy}'s tests on n inside that loop,
     * C2 hoisted the range checks of one case's loads out of it, another run length then failed the guard (JIT log:
     * "profile_predicate" traps in pack), and the method was recompiled without them (the same trap cost
     * {@link GemmBlocked}'s B packing half its speed).
     */
    private static void copyRows(float[] src, int[] kOff, int k0, int k1, int a, float[] bp, int d, int n) {
        if (n >= V) {
            for (int k = k0; k < k1; k++, d += NR) {
                int s = kOff[k] + a;
                for (int t = 0; t < n - V; t += V) FloatVector.fromArray(S, src, s + t).intoArray(bp, d + t);
                FloatVector.fromArray(S, src, s + n - V).intoArray(bp, d + n - V);
            }
        } else if (n >= 8) {
            for (int k = k0; k < k1; k++, d += NR) {
                int s = kOff[k] + a;
                FloatVector.fromArray(S8, src, s).intoArray(bp, d);
                FloatVector.fromArray(S8, src, s + n - 8).intoArray(bp, d + n - 8);
            }
        } else if (n >= 4) {
            for (int k = k0; k < k1; k++, d += NR) {
                int s = kOff[k] + a;
                FloatVector.fromArray(S4, src, s).intoArray(bp, d);
                FloatVector.fromArray(S4, src, s + n - 4).intoArray(bp, d + n - 4);
            }
        } else {
            for (int k = k0; k < k1; k++, d += NR) {
                int s = kOff[k] + a;
                for (int t = 0; t < n; t++) bp[d + t] = src[s + t];
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
}
