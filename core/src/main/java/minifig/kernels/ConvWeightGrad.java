package minifig.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A convolution's weight gradient dW += dY · colᵀ without building col and without transposing it. With the
 * image laid out as {@link ConvShifted} does (zero-padded; for stride s split into s x s phase planes) and dY
 * on the same grid (zeros in the extra columns), every row of col is that layout shifted by a constant, so
 *
 * <pre>
 *   dW[o, k] += sum over q of dyp[o, q] * xp[off(k) + q]        stride 1: off(c, kh, kw) = c*Hp*Wp + kh*Wp + kw
 * </pre>
 *
 * is a dot product of two contiguous runs. The usual GEMM would need B = colᵀ packed into NR-wide panels:
 * a transpose, one scalar store per element (the im2col plus that transposed packing were ~10% of a
 * ResNet-18 training step). Here the micro-kernel reads both operands as they lie: per 8 pixels it loads
 * 3 rows of dY and 3 shifted rows of the image and keeps 3 x 3 vectors of partial sums (each lane sums
 * every 8th pixel of every image); the lanes are added up once, at the end of the batch.
 *
 * <p>Blocking: a block of {@link #JB} row triples of the image (3*JB weight columns) runs over the pixels in
 * chunks of {@link #QC}; within a chunk the dY chunk [O, QC] stays in L2 and each image triple's chunk in L1,
 * and the block's partial sums (JB x O/3 x 9 vectors) stay in L2 across chunks. Threads split the blocks (and
 * the dY row triples when there are few blocks), so each partial sum has one owner and the result does not
 * depend on the thread count.
 * <p>With AVX-512 (when O and C*K*K are wide enough, {@link #transposedPays}) the same runs feed the GEMM's 6 x 4 tile
 * instead, as the transposed product dWᵀ = col · dYᵀ ({@link #accumulateTransposed}): six runs of the image are the
 * tile's A rows and dY, transposed once per image, its B panels. That keeps one float per weight instead of a vector of
 * lane sums, and ran the 3x3/2 conv into ResNet's layer2 2.1x faster on one thread.
 * {@link Im2colNaive} + {@link GemmNaive} are the specification the tests compare against.
 */
public final class ConvWeightGrad {
    private ConvWeightGrad() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    /** Pixels per chunk (a multiple of V). */
    static final int QC = 1024;
    /** Image row triples per block. */
    static final int JB = 8;

    /** Shared per call: the phase image and dY on its grid, both rebuilt per image, and the partial sums. */
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[3][0]);

    /**
     * dW[O, C*K*K] (from dwOff) += dY · colᵀ for x [N, C, H, W], dY [N, O, OH, OW], the given stride and zero
     * padding {@code pad}. Runs on up to {@link Parallel#threads()} threads.
     */
    public static void accumulate(float[] x, float[] dy, int N, int C, int H, int W, int O, int K, int stride, int pad,
                                  float[] dW, int dwOff) {
        if (transposedPays(O, C * K * K)) {
            accumulateTransposed(x, dy, N, C, H, W, O, K, stride, pad, dW, dwOff);
            return;
        }
        ConvShifted.Grid g = ConvShifted.Grid.of(C, H, W, K, stride, pad);
        int CKK = C * K * K, OH = g.OH(), OW = g.OW();
        int Q = g.cols(), Qv = (Q + V - 1) / V * V;
        int tilesM = (O + 2) / 3, tilesN = (CKK + 2) / 3;
        // Row offsets of col in the phase image; rows past CKK repeat row 0 (their sums are dropped).
        int[] off = ConvShifted.rowOffsets(g, tilesN * 3);
        float[][] buf = BUFFERS.get();
        if (buf[1].length < tilesM * 3 * Qv) buf[1] = new float[tilesM * 3 * Qv];
        float[] xp = phaseImageBuffer(buf, g), dyp = buf[1];
        Arrays.fill(dyp, 0, tilesM * 3 * Qv, 0f);          // extra columns, tail and rows past O stay zero
        int blocks = (tilesN + JB - 1) / JB;
        // Work items are blocks, each cut into mSplit ranges of dY row triples when there are few blocks (the
        // stem's C*K*K = 147 makes 7, a 1x1/2 downsample's 64 makes 3): 7 or 3 items leave one of two threads idle
        // for a seventh or a third of the time. Every partial sum still has one owner.
        int threads = threads(O, CKK, Q);
        int mSplit = Math.min(tilesM, Math.max(1, (8 * threads + blocks - 1) / blocks)), items = blocks * mSplit;
        int partSize = tilesN * tilesM * 9 * V;
        if (buf[2].length < partSize) buf[2] = new float[partSize];
        float[] part = buf[2];
        Arrays.fill(part, 0, partSize, 0f);
        for (int n = 0; n < N; n++) {
            copyImage(x, n * C * H * W, dy, n * O * OH * OW, g, O, xp, dyp, Qv, threads);
            Parallel.parallelFor(items, threads, (lo, hi) -> {
                for (int it = lo; it < hi; it++) {
                    int b = it / mSplit, m = it % mSplit;
                    sweep(xp, off, b * JB, Math.min(tilesN, (b + 1) * JB), dyp, m * tilesM / mSplit, (m + 1) * tilesM / mSplit,
                            tilesM, Qv, part);
                }
            });
        }
        // Lanes -> dW once per batch, not per image: on 28x28 maps (a few hundred pixels per image) the per-image
        // reduction, a scalar pass over all partial sums, cost a tenth of the time (layer2 1.13x faster without).
        Parallel.parallelFor(blocks, threads, (lo, hi) -> reduce(part, lo * JB, Math.min(tilesN, hi * JB), tilesM, dW, dwOff, O, CKK));
    }

    /**
     * Image n's phase image into xp and its dY onto the same grid (rows ldq apart in dyp, wq cells per output row), split
     * over the threads: done by one thread while the others waited, the copies held two threads to 1.74x one at layer1
     * (1.91x split; docs/performance.md). The planes and the dY rows are two splits: as one list of items they gave the
     * first thread every plane, the heavy part (strided gathers), and the second only dY rows (JFR of a two-thread
     * step: the worker waiting while the main thread copied planes).
     */
    private static void copyImage(float[] x, int xOff, float[] dy, int dyOff, ConvShifted.Grid g, int O, float[] xp,
                                  float[] dyp, int ldq, int threads) {
        int OH = g.OH(), OW = g.OW(), wq = g.wq(), P = g.phases();
        Parallel.parallelFor(g.C() * P * P, threads, (lo, hi) -> ConvShifted.copyPlanes(x, xOff, lo, hi, g, xp));
        Parallel.parallelFor(O, threads, (lo, hi) -> {
            for (int o = lo; o < hi; o++)
                for (int oh = 0; oh < OH; oh++)
                    System.arraycopy(dy, dyOff + (o * OH + oh) * OW, dyp, o * ldq + oh * wq, OW);
        });
    }

    /**
     * This thread's buffer for the phase image of {@code g}, with K + V floats of slack after it: a row of col is read as
     * a run of up to Qv floats from its offset, and the last rows' runs end in the slack. The slack is zeroed, since
     * those reads multiply dY's zero columns and a stale NaN from a larger call would survive that.
     */
    private static float[] phaseImageBuffer(float[][] buf, ConvShifted.Grid g) {
        int size = g.size() + g.K() + V;
        if (buf[0].length < size) buf[0] = new float[size];
        Arrays.fill(buf[0], g.size(), size, 0f);
        return buf[0];
    }

    /** One thread below ~2M multiply-adds (a fork costs more than it saves there), else all of them. */
    private static int threads(int O, int CKK, int Q) {
        return (long) O * CKK * Q < (1L << 21) ? 1 : Parallel.threads();
    }

    /** Image row triples [t0, t1) against dY row triples [i0, i1), all pixels of one image: part += lane-wise sums. */
    private static void sweep(float[] xp, int[] off, int t0, int t1, float[] dyp, int i0, int i1, int tilesM, int Qv,
                              float[] part) {
        for (int q0 = 0; q0 < Qv; q0 += QC) {
            int q1 = Math.min(Qv, q0 + QC);
            for (int t = t0; t < t1; t++) {
                int b0 = off[3 * t], b1 = off[3 * t + 1], b2 = off[3 * t + 2];
                for (int i = i0; i < i1; i++) kernel(dyp, 3 * i * Qv, Qv, xp, b0, b1, b2, q0, q1, part, (t * tilesM + i) * 9 * V);
            }
        }
    }

    /** dW += the lanes of the partial sums of row triples [t0, t1). Partial 3*ri + rj of tile (t, i) is dW[3i + ri, 3t + rj]. */
    private static void reduce(float[] part, int t0, int t1, int tilesM, float[] dW, int dwOff, int O, int CKK) {
        for (int t = t0; t < t1; t++) {
            for (int i = 0; i < tilesM; i++) {
                int p = (t * tilesM + i) * 9 * V;
                for (int ri = 0; ri < 3; ri++) {
                    int o = 3 * i + ri;
                    for (int rj = 0; rj < 3; rj++) {
                        int k = 3 * t + rj, s = p + (3 * ri + rj) * V;
                        if (o >= O || k >= CKK) continue;
                        float sum = 0f;
                        for (int l = 0; l < V; l++) sum += part[s + l];
                        dW[dwOff + o * CKK + k] += sum;
                    }
                }
            }
        }
    }

    /**
     * part[p : p + 9V) += lane-wise sums over q in [q0, q1) of a[aOff + ri*lda + q] * b[bj + q], ri, rj in 0..2
     * (partial 3*ri + rj). 9 accumulators + 3 dY vectors + 1 image vector fit the 16 AVX2 registers.
     */
    static void kernel(float[] a, int aOff, int lda, float[] b, int b0, int b1, int b2, int q0, int q1,
                       float[] part, int p) {
        FloatVector c00 = FloatVector.fromArray(S, part, p), c01 = FloatVector.fromArray(S, part, p + V);
        FloatVector c02 = FloatVector.fromArray(S, part, p + 2 * V), c10 = FloatVector.fromArray(S, part, p + 3 * V);
        FloatVector c11 = FloatVector.fromArray(S, part, p + 4 * V), c12 = FloatVector.fromArray(S, part, p + 5 * V);
        FloatVector c20 = FloatVector.fromArray(S, part, p + 6 * V), c21 = FloatVector.fromArray(S, part, p + 7 * V);
        FloatVector c22 = FloatVector.fromArray(S, part, p + 8 * V);
        int a1 = aOff + lda, a2 = aOff + 2 * lda;
        for (int q = q0; q < q1; q += V) {
            FloatVector x0 = FloatVector.fromArray(S, a, aOff + q);
            FloatVector x1 = FloatVector.fromArray(S, a, a1 + q);
            FloatVector x2 = FloatVector.fromArray(S, a, a2 + q);
            FloatVector y = FloatVector.fromArray(S, b, b0 + q);
            c00 = x0.fma(y, c00);
            c10 = x1.fma(y, c10);
            c20 = x2.fma(y, c20);
            y = FloatVector.fromArray(S, b, b1 + q);
            c01 = x0.fma(y, c01);
            c11 = x1.fma(y, c11);
            c21 = x2.fma(y, c21);
            y = FloatVector.fromArray(S, b, b2 + q);
            c02 = x0.fma(y, c02);
            c12 = x1.fma(y, c12);
            c22 = x2.fma(y, c22);
        }
        c00.intoArray(part, p);
        c01.intoArray(part, p + V);
        c02.intoArray(part, p + 2 * V);
        c10.intoArray(part, p + 3 * V);
        c11.intoArray(part, p + 4 * V);
        c12.intoArray(part, p + 5 * V);
        c20.intoArray(part, p + 6 * V);
        c21.intoArray(part, p + 7 * V);
        c22.intoArray(part, p + 8 * V);
    }

    /**
     * Whether {@link #accumulateTransposed} takes dW: with AVX-512's 6 x 4 tile, when O fills its NR-column panels to at
     * least three quarters (O = 16 and 32 measured 0.48x and 0.83-0.92x of the 3 x 3 tile, 48 1.11-1.13x) and each
     * image's packed dYᵀ serves at least 24 rows of col (a one-channel 3x3 conv, 9 rows, measured 0.79x).
     */
    public static boolean transposedPays(int O, int CKK) {
        return GemmBlocked.MR == 6 && 4 * O >= 3 * GemmBlocked.panelColumns(O) && CKK >= 24;
    }

    /**
     * AVX-512's form of {@link #accumulate}: the transposed product dWᵀ[C*K*K, O] += col · dYᵀ, image by image, through
     * the GEMM's 6 x 4 register tile ({@link GemmBlocked#kernel6x4}). Its six A rows are rows of col, read where they lie in the
     * phase image (six runs at {@link ConvShifted#rowOffsets}); B is dY of the image transposed into the GEMM's
     * NR-column panels ({@link GemmBlocked#packB}), packed once per image and shared by every row tile; dWᵀ (C*K*K
     * rounded up to 6 rows, O to NR columns) stays in L2 across the images and is added into dW at the end. The 3 x 3
     * vector tile of {@link #kernel} keeps one vector of partial sums per weight (16 lanes), 4.7 MB for the 3x3/2 conv
     * into ResNet's layer2, which every image read and wrote back from L3; its one-thread rate there was 36-38
     * GFLOP/s (docs/performance.md). Each element of dWᵀ is one chain over the images in order and over the pixels in
     * order, whichever thread owns its row tile, so the result does not depend on the thread count.
     */
    static void accumulateTransposed(float[] x, float[] dy, int N, int C, int H, int W, int O, int K, int stride, int pad,
                                     float[] dW, int dwOff) {
        ConvShifted.Grid g = ConvShifted.Grid.of(C, H, W, K, stride, pad);
        int CKK = C * K * K, OH = g.OH(), OW = g.OW(), Q = g.cols();
        int MR = GemmBlocked.MR, NR = GemmBlocked.NR, kc = GemmBlocked.DEFAULT.kc;
        int tiles = (CKK + MR - 1) / MR, rows = tiles * MR, Op = GemmBlocked.panelColumns(O), panels = Op / NR;
        int kBlocks = (Q + kc - 1) / kc;
        // Row offsets of col in the phase image; rows past CKK repeat row 0 (their sums are dropped).
        int[] off = ConvShifted.rowOffsets(g, rows);
        float[][] buf = BUFFERS.get();
        if (buf[1].length < O * Q) buf[1] = new float[O * Q];
        if (buf[2].length < Op * Q + rows * Op) buf[2] = new float[Op * Q + rows * Op];
        float[] xp = phaseImageBuffer(buf, g), dyp = buf[1], bpAndC = buf[2];
        int cOff = Op * Q;      // dWᵀ after B's panels: [rows, Op]
        Arrays.fill(dyp, 0, O * Q, 0f);         // the grid's extra columns stay zero
        Arrays.fill(bpAndC, cOff, cOff + rows * Op, 0f);
        int threads = threads(O, CKK, Q);
        for (int n = 0; n < N; n++) {
            copyImage(x, n * C * H * W, dy, n * O * OH * OW, g, O, xp, dyp, Q, threads);
            // B = dYᵀ [Q, O] as panels: k block pc at pc * Op, panel j of it kcb * NR floats after panel j - 1
            Parallel.parallelFor(kBlocks * panels, threads, (lo, hi) -> {
                for (int it = lo; it < hi; it++) {
                    int pc = it / panels * kc, kcb = Math.min(kc, Q - pc), j = it % panels * NR;
                    GemmBlocked.packB(true, dyp, 0, Q, pc, kcb, j, Math.min(NR, O - j), bpAndC, pc * Op + j * kcb);
                }
            });
            // k blocks outermost: a block's panels (kc x NR floats each) stay in L2 while the thread's row tiles use
            // them (the stem's dY of one image is 13 blocks, 3.3 MB)
            Parallel.parallelFor(tiles, threads, (lo, hi) -> {
                for (int pc = 0; pc < Q; pc += kc) {
                    int kcb = Math.min(kc, Q - pc);
                    for (int t = lo; t < hi; t++) {
                        int r = t * MR;
                        for (int j = 0; j < Op; j += NR)
                            GemmBlocked.kernel6x4(kcb, xp, off[r] + pc, off[r + 1] + pc, off[r + 2] + pc, off[r + 3] + pc,
                                    off[r + 4] + pc, off[r + 5] + pc, bpAndC, pc * Op + j * kcb, bpAndC, cOff + r * Op + j, Op, true);
                    }
                }
            });
        }
        addTransposed(bpAndC, cOff, Op, CKK, O, dW, dwOff, threads);
    }

    /**
     * dW[dwOff + o*CKK + k] += t[tOff + k*ldt + o] for k < CKK, o < O: a weight gradient computed transposed, as dWᵀ
     * [CKK, O] with rows ldt apart, added back (here and in Conv2d's transposed col form). In blocks of 32 k, so both
     * sides are read and written in cache-line runs; the out-channels split over up to {@code threads} threads.
     */
    public static void addTransposed(float[] t, int tOff, int ldt, int CKK, int O, float[] dW, int dwOff, int threads) {
        Parallel.parallelFor(O, threads, (lo, hi) -> {
            for (int k0 = 0; k0 < CKK; k0 += 32) {
                int k1 = Math.min(CKK, k0 + 32);
                for (int o = lo; o < hi; o++)
                    for (int k = k0; k < k1; k++) dW[dwOff + o * CKK + k] += t[tOff + k * ldt + o];
            }
        });
    }
}
