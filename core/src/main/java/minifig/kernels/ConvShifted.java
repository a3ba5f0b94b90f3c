package minifig.kernels;

import java.util.Arrays;

/**
 * Convolution forward as a GEMM whose B panels are packed from a zero-padded copy of the image by plain
 * contiguous copies. With the image padded to [C, Hp, Wp] (stride 1), output pixel q = oh*Wp + ow (on a grid
 * as wide as the padded image; the last Wp - OW columns of each row are garbage and dropped) reads
 * {@code xpad[off(c, kh, kw) + q]} with {@code off = c*Hp*Wp + kh*Wp + kw}: every row of the col matrix is
 * the padded image shifted by a constant, so a panel row is one run of 24 floats, with none of
 * {@link Im2colPanels}' run, padding and row-boundary logic (that gather was a fifth of a ResNet-18 forward,
 * mostly at layer1/layer2, where only 64-128 weight rows reuse each packed panel). A strided conv gets the same
 * form once the padded image is split into its stride x stride phases ({@link Grid}): the stem's 7x7/2 then
 * packs its 147-row panels as copies too. Reading B unpacked straight from the copy in the micro-kernel was
 * tried and was slower (unaligned loads from scattered rows).
 * The weights (A) are packed once per call ({@link GemmBlocked.PackedA}) and reused by every image.
 * docs/performance.md has the measurements; {@link Im2colNaive} + {@link GemmNaive} are the specification
 * the tests compare against. Since {@link Im2colPanels} packs from a padded copy of the images too (without this
 * grid's extra columns), Conv2d's forward uses this class only behind a test switch ({@code Conv2d.shiftedForward});
 * {@link Grid} still serves the weight gradient ({@link ConvWeightGrad}), and bench ConvForwardAB times both.
 */
public final class ConvShifted {
    private ConvShifted() {}

    private static final int NR = GemmBlocked.NR;

    /** Per-thread padded image and GEMM output, grown on demand and reused across calls. */
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[2][0]);

    /**
     * Where a convolution's input lies for the shifted panels: the zero-padded image split into stride x stride
     * phase planes, plane (c, a, b)[i][j] = xpad[c][i*s + a][j*s + b] (only phases a, b < min(s, K), the ones a
     * kernel tap reads), each {@code hq} x {@code wq}. Tap (c, kh, kw) of output pixel (oh, ow) then reads
     * plane (c, kh % s, kw % s) at row oh + kh / s, column ow + kw / s: with output pixels numbered on the
     * planes' grid, q = oh*wq + ow, every row of the col matrix is one plane shifted by a constant
     * ({@link #rowOffsets}), as for stride 1, where the single phase is the padded image itself. The last
     * wq - OW columns of each grid row read past the image's edge: computed, then dropped.
     */
    record Grid(int C, int H, int W, int K, int stride, int pad, int OH, int OW, int phases, int hq, int wq) {
        static Grid of(int C, int H, int W, int K, int stride, int pad) {
            int OH = Im2col.outSize(H, K, stride, pad), OW = Im2col.outSize(W, K, stride, pad);
            if (OH <= 0 || OW <= 0) throw new IllegalArgumentException("kernel " + K + " larger than the padded " + H + "x" + W + " image");
            int reach = (K - 1) / stride;       // how far a tap reaches past its output pixel, in plane cells
            return new Grid(C, H, W, K, stride, pad, OH, OW, Math.min(stride, K), OH + reach, OW + reach);
        }

        /** Floats per plane. */
        int plane() { return hq * wq; }

        /** Floats of the whole phase image [C, phases, phases, hq, wq]. */
        int size() { return C * phases * phases * plane(); }

        /** Output pixels on the grid (OH rows of wq, the extra columns included). */
        int cols() { return OH * wq; }

        /** How many real output pixels (not garbage columns) the grid columns [0, q) hold. */
        int valid(int q) { return q / wq * OW + Math.min(q % wq, OW); }
    }

    /**
     * y[N, O, OH, OW] = conv(x[N, C, H, W], w[O, C, K, K]) with the given stride and zero padding {@code pad};
     * y (from yOff) is overwritten, no bias. Runs on up to {@link Parallel#threads()} threads.
     */
    public static void forward(float[] w, int O, float[] x, int N, int C, int H, int W, int K, int stride, int pad,
                               float[] y, int yOff) {
        forward(w, O, x, N, C, H, W, K, stride, pad, y, yOff, null);
    }

    /** {@link #forward}, each output plane then put through {@code epi} (null: none) right after it is copied into y. */
    public static void forward(float[] w, int O, float[] x, int N, int C, int H, int W, int K, int stride, int pad,
                               float[] y, int yOff, Epilogue epi) {
        forward(w, O, x, N, C, H, W, K, stride, pad, y, yOff, epi, 0);
    }

    /**
     * An image whose output grid (O x grid columns) is larger than this many floats (512 KB, Zen 3's L2) is computed
     * in chunks of about {@link #chunkFloats}: the micro-kernels' stores and the copy into y then stay in L2. The
     * stem's grid is 64 x 12880 floats (3.3 MB), which went out to memory and was read back by the copy; layer2's
     * strided conv (128 x 812) fits and gained nothing from chunks. docs/performance.md has the numbers.
     */
    static int wholeMaxFloats = 128 * 1024;

    /** Output floats (O x columns) per chunk: ~192 KB. */
    static int chunkFloats = 48 * 1024;

    /** Grid columns per GEMM: all of them, or whole NR-column panels of about {@link #chunkFloats} floats. */
    static int chunkColumns(int O, int cols) {
        if ((long) O * cols <= wholeMaxFloats) return cols;
        return Math.max(NR, chunkFloats / O / NR * NR);
    }

    /**
     * {@link #forward} with the grid of each image computed {@code columns} columns (output pixels, garbage columns
     * included; 0: {@link #chunkColumns}) at a time: GEMM into a buffer of O x chunk, then its valid columns copied
     * into y and put through {@code epi}. Every output is the same dot product whatever the chunk (package-private
     * for tests).
     */
    static void forward(float[] w, int O, float[] x, int N, int C, int H, int W, int K, int stride, int pad,
                        float[] y, int yOff, Epilogue epi, int columns) {
        Grid g = Grid.of(C, H, W, K, stride, pad);
        int CKK = C * K * K, cols = g.cols(), OH = g.OH, OW = g.OW;
        int chunk = columns > 0 ? columns : chunkColumns(O, cols), chunks = Math.ceilDiv(cols, chunk);
        int[] off = rowOffsets(g, CKK);
        GemmBlocked.PackedA a = GemmBlocked.DEFAULT.pack(false, O, CKK, w, 0, CKK);     // once for all images
        // The (image, chunk) pairs split over the threads: each thread keeps its own phase copy (made again when its
        // range enters a new image) and output buffer, so the copies run in parallel too and the GEMMs stay serial.
        Parallel.parallelFor(N * chunks, (lo, hi) -> {
            float[][] buf = BUFFERS.get();
            // The last panel reads up to NR - 1 columns past the grid; the slack keeps those reads inside the array.
            int padSize = g.size() + NR + K;
            if (buf[0].length < padSize) buf[0] = new float[padSize];
            if (buf[1].length < O * chunk) buf[1] = new float[O * chunk];
            float[] xp = buf[0], out = buf[1];
            int image = -1;
            for (int u = lo; u < hi; u++) {
                int n = u / chunks, q0 = u % chunks * chunk, q1 = Math.min(cols, q0 + chunk), nq = q1 - q0;
                if (n != image) copyChannels(x, n * C * H * W, 0, C, g, xp);
                image = n;
                GemmBlocked.DEFAULT.sgemm(a, nq, new Panels(xp, off, q0), out, 0, nq, false);
                // Grid column q is output pixel (q / wq, q % wq) when q % wq < OW; the chunk's valid pixels are one
                // run of each output plane, [valid(q0), valid(q1)).
                int p0 = g.valid(q0), p1 = g.valid(q1), yn = yOff + n * O * OH * OW;
                for (int o = 0; o < O; o++) {
                    int plane = yn + o * OH * OW;
                    for (int q = q0; q < q1; ) {
                        int oh = q / g.wq, ow = q % g.wq, end = Math.min(q1, oh * g.wq + OW);
                        if (ow < OW) System.arraycopy(out, o * nq + q - q0, y, plane + oh * OW + ow, end - q);
                        q = (oh + 1) * g.wq;
                    }
                    if (epi != null && p1 > p0) epi.apply(y, plane + p0, p1 - p0, o);   // just copied, still in L1
                }
            }
        });
    }

    /**
     * Where each row (c, kh, kw) of the col matrix starts in the phase image of {@code g}: plane
     * (c, kh % s, kw % s), shifted by kh / s rows and kw / s columns (for stride 1: c*Hp*Wp + kh*Wp + kw).
     * Entries from C*K*K up to {@code length} stay 0 (row 0).
     */
    static int[] rowOffsets(Grid g, int length) {
        int[] off = new int[length];
        int s = g.stride, P = g.phases;
        for (int c = 0, k = 0; c < g.C; c++)
            for (int kh = 0; kh < g.K; kh++)
                for (int kw = 0; kw < g.K; kw++)
                    off[k++] = ((c * P + kh % s) * P + kw % s) * g.plane() + kh / s * g.wq + kw / s;
        return off;
    }

    /**
     * Channels [c0, c1) of the phase image of {@code g} (planes of those channels only) from the image at
     * x[xOff], zeros wherever a cell falls in the padding or past the image. Stride 1 is the padded copy.
     */
    static void copyChannels(float[] x, int xOff, int c0, int c1, Grid g, float[] xp) {
        int P = g.phases;
        copyPlanes(x, xOff, c0 * P * P, c1 * P * P, g, xp);
    }

    /**
     * Planes [p0, p1) of the phase image of {@code g}, plane (c * P + a) * P + b holding channel c's rows a, a + s, ...
     * and columns b, b + s, ... (with stride 1 the one plane per channel is the padded copy): {@link #copyChannels} by
     * plane, for callers that split a few channels (the stem's 3) over threads.
     */
    static void copyPlanes(float[] x, int xOff, int p0, int p1, Grid g, float[] xp) {
        int s = g.stride, pad = g.pad, H = g.H, W = g.W, hq = g.hq, wq = g.wq, P = g.phases;
        if (s == 1) {
            padChannels(x, xOff, p0, p1, H, W, pad, xp);
            return;
        }
        for (int pl = p0; pl < p1; pl++) {
            int c = pl / (P * P), a = pl / P % P, b = pl % P, base = pl * g.plane();
            // cells j with input column j*s + b - pad inside [0, W)
            int j0 = Math.min(wq, Math.max(0, Math.ceilDiv(pad - b, s))), j1 = Math.max(j0, Math.min(wq, Math.ceilDiv(W + pad - b, s)));
            for (int i = 0; i < hq; i++) {
                int d = base + i * wq, r = i * s + a - pad;
                if (r < 0 || r >= H) {
                    Arrays.fill(xp, d, d + wq, 0f);
                    continue;
                }
                Arrays.fill(xp, d, d + j0, 0f);
                for (int j = j0, src = xOff + (c * H + r) * W + j0 * s + b - pad; j < j1; j++, src += s) xp[d + j] = x[src];
                Arrays.fill(xp, d + j1, d + wq, 0f);
            }
        }
    }

    /** The stride-1 layout: xp's planes [c0, c1) of [C, H + 2 pad, W + 2 pad] = x's planes with a zero border. */
    private static void padChannels(float[] x, int xOff, int c0, int c1, int H, int W, int pad, float[] xp) {
        int Wp = W + 2 * pad, Hp = H + 2 * pad;
        for (int c = c0; c < c1; c++) {
            int p = c * Hp * Wp;
            Arrays.fill(xp, p, p + pad * Wp + pad, 0f);                          // top rows, left pad of row 0
            for (int h = 0; h < H; h++) {
                int d = p + (h + pad) * Wp + pad;
                System.arraycopy(x, xOff + (c * H + h) * W, xp, d, W);
                Arrays.fill(xp, d + W, d + W + 2 * pad, 0f);                     // right pad, next row's left pad
            }
            Arrays.fill(xp, p + (H + pad) * Wp + pad, p + Hp * Wp, 0f);          // rest of the bottom rows
        }
    }

    /**
     * B panels of the shifted col matrix from grid column q0 on: panel row p of columns [q, q + NR) is the
     * contiguous run xp[off[k] + q0 + q, + NR) (k = pc + p), so packing is one {@link GemmBlocked#fullRow} copy per
     * row with no padding logic. Columns past the GEMM's N are packed as zeros. The ragged last panel has a loop of
     * its own, as in {@link GemmBlocked#packB} (one loop testing the row length took C2's "profile_predicate" traps).
     */
    private record Panels(float[] xp, int[] off, int q0) implements GemmBlocked.BPanels {
        @Override
        public void pack(int pc, int kcb, int jc, int ncb, float[] bp, int bpOff) {
            int jr = 0;
            for (; jr + NR <= ncb; jr += NR) {
                int panel = bpOff + jr * kcb, q = q0 + jc + jr;
                for (int p = 0; p < kcb; p++) GemmBlocked.fullRow(xp, off[pc + p] + q, bp, panel + p * NR);
            }
            if (jr < ncb) {
                int panel = bpOff + jr * kcb, q = q0 + jc + jr;
                for (int p = 0; p < kcb; p++) GemmBlocked.partialRow(xp, off[pc + p] + q, ncb - jr, bp, panel + p * NR);
            }
        }
    }
}
