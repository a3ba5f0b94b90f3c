package minifig.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast GEMM: Goto/BLIS-style packing and cache blocking around a register-blocked Vector API
 * micro-kernel. docs/gemm.md explains each step and what it measured; {@link GemmNaive} is the specification.
 *
 * <pre>
 * for jc in N step NC         pack B[0:K, jc:jc+NC] -> bp   (op(B) read here, so Bᵀ costs nothing later)
 *   for ic in M step MC                                    C block MC x NC stays in L2 over the k loop
 *     for pc in K step KC     pack A -> ap                 A block MC x KC in L2 (a K of at most 1.25 KC is one block,
 *                                                          {@link #kBlock}; op(A) read here; with AVX-512 an
 *                                                          A stored [M, K] is read in place, and only the rows
 *                                                          after the last full six-row tile are packed)
 *       for jr in NC step NR                               B micro-panel KC x NR (in L2 at KC = 1024: DEFAULT)
 *         for ir in MC step MR                             A micro-panel KC x MR streams from L2 (a block of
 *                                                          6k + 2 rows ends in two four-row tiles)
 *           micro-kernel: C[MR, NR] (+)= ap-panel · bp-panel, MR x NR accumulators in registers
 * </pre>
 *
 * Packing zero-pads partial panels, so the micro-kernel always runs full size; a ragged edge tile is
 * computed into a small buffer and only its valid part is added to C (no masks in the inner loop).
 */
public final class GemmBlocked {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Floats per vector: 8 with AVX2, 16 with AVX-512. */
    static final int V = S.length();
    /**
     * Micro-tile rows: MR broadcasts of A per k step. The tile is as large as the vector registers allow without
     * C2 spilling an accumulator: 3 x 3 vectors in AVX2's 16 registers, 6 x 4 in AVX-512's 32 (docs/gemm.md).
     */
    public static final int MR = V >= 16 ? 6 : 3;
    /** Vectors of B per k step: the micro-tile holds MR x NV accumulators. */
    static final int NV = V >= 16 ? 4 : 3;
    /** Micro-tile columns. */
    public static final int NR = NV * V;

    /**
     * The default blocking, measured on Zen 3 (32 KB L1d, 512 KB L2 per core, docs/gemm.md): a long k block
     * (KC = 1024) matters most, because every k block re-reads and re-writes the C tile, and those C
     * accesses, not the FMAs, were the bottleneck with KC = 256. The B micro-panel (KC x NR, 96 KB) then
     * lives in L2 and the A micro-panel streams from L2/L3; both keep up with 9 FMAs per 6 loads. On Zen 5 with
     * AVX-512 (48 KB L1d, 1 MB L2) KC 256-2304 and NC 1008-4096 measured within 2-4% of this, and MC is 1032: the
     * 6 x 4 tile reads only 24 bytes of A per k step, which its L3 supplies, so an A block past L2 costs nothing,
     * while every row block after the first re-reads all of B's packed panels. One row block for up to 1032 rows
     * also packs B panel by panel, hot, and splits a 1024-row product into two one-block slabs on two threads
     * (docs/performance.md: layer4's 512 x 392 x 4608 1.04-1.05x in `Tune`, 1024³ on two threads 1.06-1.07x).
     */
    public static final GemmBlocked DEFAULT = new GemmBlocked(V >= 16 ? 1032 : 480, 1024, 1008);

    /** Below this many multiply-adds (M*N*K) one thread does the whole product: a fork costs ~10-50 µs. */
    static final long PARALLEL_MIN_WORK = 1L << 21;

    final int mc, kc, nc;

    /**
     * The depth of the k block that starts at row pc of a K-deep product: KC, except that a product at most KC + KC/4
     * deep is one block. Split, it would re-read and re-write every C tile for a few k steps and pack its panels in a
     * pass of their own: 128 x 6272 x 1152 (layer2's conv GEMM at batch 8) ran as 1024 + 128 (docs/performance.md, "One
     * k block for products up to 1.25 KC deep"). With AVX-512's tile the bounds change no result: every element of C is
     * one FMA chain over all of K, carried through C from one block to the next. AVX2's 3 x 3 tile adds each block's
     * chain to C, so there a K of 1025-1280 now rounds once where it rounded twice.
     */
    public int kBlock(int K, int pc) {
        return K <= kc + kc / 4 ? K - pc : Math.min(kc, K - pc);
    }

    /** The column block (NC): how many columns of B one pass over the row blocks covers. */
    public int nBlock() { return nc; }

    /**
     * A kernel with explicit cache blocking, for experiments and benchmarks. mc is rounded up to a
     * multiple of MR and nc to a multiple of NR.
     */
    public GemmBlocked(int mc, int kc, int nc) {
        if (mc < 1 || kc < 1 || nc < 1) throw new IllegalArgumentException("block sizes must be >= 1");
        this.mc = roundUp(mc, MR);
        this.kc = kc;
        this.nc = roundUp(nc, NR);
    }

    private static int roundUp(int x, int m) {
        return (x + m - 1) / m * m;
    }

    /** Per-thread packing buffers (ap, bp, edge tile), grown on demand and reused across calls. */
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[3][0]);

    /**
     * Buffers for a K-deep product over at most nCols columns, B packed one k block at a time (perPanel) or all of K
     * at once; grown on demand, never shrunk.
     */
    private float[][] buffers(int K, boolean perPanel, int nCols) {
        float[][] b = BUFFERS.get();
        int deepest = kBlock(K, 0);     // the first k block is the deepest: all of K, or KC
        int bSize = (perPanel ? deepest : K) * Math.min(nc, roundUp(nCols, NR));
        if (b[0].length < mc * deepest) b[0] = new float[mc * deepest];
        if (b[1].length < bSize) b[1] = new float[bSize];
        if (b[2].length < 2 * MR * NR) b[2] = new float[2 * MR * NR];
        return b;
    }

    /**
     * Where B's packed panels come from. The GEMM only ever reads B through its packer, so a B that is never
     * stored as a matrix (the implicit col matrix of a convolution, {@link Im2colPanels}) can be packed
     * straight from its source. Called concurrently from several threads, on disjoint column ranges.
     */
    public interface BPanels {
        /**
         * Packs op(B)[pc:pc+kcb, jc:jc+ncb] into NR-column panels exactly as {@link GemmBlocked#packB} does:
         * bp[bpOff + (jr/NR)*kcb*NR + p*NR + j], columns past ncb zero.
         */
        void pack(int pc, int kcb, int jc, int ncb, float[] bp, int bpOff);
    }

    /** The packer of a stored matrix op(B): B [K, N], or [N, K] with transB, rows ldb apart from offB. */
    public static BPanels matrix(boolean transB, float[] B, int offB, int ldb) {
        return (pc, kcb, jc, ncb, bp, bpOff) -> packB(transB, B, offB, ldb, pc, kcb, jc, ncb, bp, bpOff);
    }

    /**
     * A B [K, N] that its producer already wrote as this kernel's panels: panel j (columns j*NR ..) at b[off + j*K*NR ..],
     * its row p NR floats after row p - 1 ({@link #panelIndex}). The micro-kernel reads the panels where they are, with no copy (Winograd's
     * transformed input, written panel by panel as it is computed). A last partial panel still holds NR columns: the
     * ones past N are read and their results dropped, so they may hold anything.
     */
    public static BPanels inPlace(float[] b, int off, int K) {
        if (K < 1 || off < 0 || off + (long) K * NR > b.length)
            throw new IllegalArgumentException("in-place B panels: " + K + " rows of " + NR + " from " + off + " do not fit in "
                    + b.length + " floats");
        return new InPlace(b, off, K);
    }

    /** Where element (row p, column j) of a K-row B sits in {@link #inPlace}'s panel layout, from its offset. */
    public static int panelIndex(int K, int p, int j) {
        return j / NR * K * NR + p * NR + j % NR;
    }

    /** The columns a B of n columns takes in {@link #inPlace}'s panel layout: n rounded up to whole panels. */
    public static int panelColumns(int n) {
        return roundUp(n, NR);
    }

    /** See {@link #inPlace}; {@link #pack} copies whole panels, for callers other than this kernel. */
    private record InPlace(float[] b, int off, int K) implements BPanels {
        /** Where row pc of the panel holding column j (a multiple of NR) starts. */
        int at(int pc, int j) {
            return off + panelIndex(K, pc, j);
        }

        @Override
        public void pack(int pc, int kcb, int jc, int ncb, float[] bp, int bpOff) {
            for (int jr = 0; jr < ncb; jr += NR) System.arraycopy(b, at(pc, jc + jr), bp, bpOff + jr * kcb, kcb * NR);
        }
    }

    /**
     * op(A)[M, K] packed once into this kernel's MR-row panels, for a product repeated with one A and many
     * Bs: a convolution's weight over the images (or image groups) of a batch, which would otherwise be
     * re-packed by every GEMM (and, per GEMM, once per NC-column block) when the kernel packs A: with AVX2, or a
     * transposed A (with AVX-512 an A stored [M, K] is read in place, and this copies it into k blocks). Layout: k
     * block pc (where {@link #kBlock} starts one) starts at pc * roundUp(M, MR) and holds {@link #packA}'s panels of all M rows, so
     * the block of any row range starting at a multiple of MR is a contiguous slice. Read-only once built; threads
     * share it.
     */
    public static final class PackedA {
        final float[] panels;
        final int M, K, kc, mPadded;

        private PackedA(float[] panels, int M, int K, int kc, int mPadded) {
            this.panels = panels;
            this.M = M;
            this.K = K;
            this.kc = kc;
            this.mPadded = mPadded;
        }

        /** Rows of op(A) (the product's M). */
        public int rows() { return M; }

        /** Columns of op(A) (the product's K). */
        public int depth() { return K; }
    }

    /** Packs op(A)[M, K] (A stored as [M, K], or [K, M] with transA) for {@link #sgemm(PackedA, int, BPanels, float[], int, int, boolean)}. */
    public PackedA pack(boolean transA, int M, int K, float[] A, int offA, int lda) {
        return pack(transA, M, K, A, offA, lda, null);
    }

    /** The floats a packed M x K op(A) takes: the size of a buffer for {@link #pack(boolean, int, int, float[], int, int, float[])}. */
    public static int packedSize(int M, int K) {
        return roundUp(M, MR) * K;
    }

    /**
     * {@link #pack(boolean, int, int, float[], int, int)} into {@code into} when it holds at least {@link #packedSize}
     * floats (all of them overwritten; a new array otherwise): for a caller that keeps a workspace, such as a conv
     * packing its weight on every forward. The result reads {@code into}, so it is valid until into is written again.
     */
    public PackedA pack(boolean transA, int M, int K, float[] A, int offA, int lda, float[] into) {
        if (M < 1 || K < 1) throw new IllegalArgumentException("empty A " + M + "x" + K);
        int mPadded = roundUp(M, MR);
        float[] panels = into != null && into.length >= mPadded * K ? into : new float[mPadded * K];
        for (int pc = 0, kcb; pc < K; pc += kcb) {
            kcb = kBlock(K, pc);
            packA(transA, A, offA, lda, 0, M, pc, kcb, panels, pc * mPadded);
        }
        return new PackedA(panels, M, K, kc, mPadded);
    }

    /**
     * C[M,N] (+)= A · B[K,N] with A packed by {@link #pack} of this blocking and B given by its packer (N >= 1;
     * C's arguments are assumed checked). Uses {@link Parallel#threads()}.
     */
    public void sgemm(PackedA A, int N, BPanels B, float[] C, int offC, int ldc, boolean accumulate) {
        if (A.kc != kc) throw new IllegalArgumentException("A was packed with k block " + A.kc + ", this kernel uses " + kc);
        if (N == 0) throw new IllegalArgumentException("empty product " + A.M + "x0x" + A.K);
        run(false, A.M, N, A.K, null, 0, 0, A, B, C, offC, ldc, accumulate, Parallel.threads());
    }

    /** Same contract as {@link Gemm#sgemm}; arguments are assumed checked. Uses {@link Parallel#threads()}. */
    public void sgemm(boolean transA, boolean transB, int M, int N, int K,
                      float[] A, int offA, int lda, float[] B, int offB, int ldb,
                      float[] C, int offC, int ldc, boolean accumulate) {
        sgemm(transA, transB, M, N, K, A, offA, lda, B, offB, ldb, C, offC, ldc, accumulate, Parallel.threads());
    }

    /** As above with an explicit upper bound on threads (1 = on the calling thread only). */
    public void sgemm(boolean transA, boolean transB, int M, int N, int K,
                      float[] A, int offA, int lda, float[] B, int offB, int ldb,
                      float[] C, int offC, int ldc, boolean accumulate, int threads) {
        if (M == 0 || N == 0) return;
        if (K == 0) {
            if (!accumulate) for (int i = 0; i < M; i++) java.util.Arrays.fill(C, offC + i * ldc, offC + i * ldc + N, 0f);
            return;
        }
        run(transA, M, N, K, A, offA, lda, null, matrix(transB, B, offB, ldb), C, offC, ldc, accumulate, threads);
    }

    /**
     * C[M,N] (+)= op(A)[M,K] · B[K,N] with B given by its packer (K, M, N >= 1; arguments are assumed checked).
     * Uses {@link Parallel#threads()}.
     */
    public void sgemm(boolean transA, int M, int N, int K, float[] A, int offA, int lda, BPanels B,
                      float[] C, int offC, int ldc, boolean accumulate) {
        if (M == 0 || N == 0 || K == 0) throw new IllegalArgumentException("empty product " + M + "x" + N + "x" + K);
        run(transA, M, N, K, A, offA, lda, null, B, C, offC, ldc, accumulate, Parallel.threads());
    }

    /** Splits the product over threads. A is read from {@code packed} when it is not null, else packed per block. */
    private void run(boolean transA, int M, int N, int K, float[] A, int offA, int lda, PackedA packed, BPanels B,
                     float[] C, int offC, int ldc, boolean accumulate, int threads) {
        long work = (long) M * N * K;
        int tilesM = (M + MR - 1) / MR, tilesN = (N + NR - 1) / NR;
        int t = work < PARALLEL_MIN_WORK ? 1 : Math.min(threads, Math.max(tilesM, tilesN));
        if (t <= 1 || Parallel.inParallelRegion()) {
            block(transA, 0, M, 0, N, K, A, offA, lda, packed, B, C, offC, ldc, accumulate);
            return;
        }
        // Split the larger tile count into t slabs of whole micro-tiles; each thread packs its own panels.
        if (tilesN >= tilesM) {
            Parallel.parallelFor(tilesN, t, (lo, hi) -> block(transA, 0, M, lo * NR, Math.min(N, hi * NR), K,
                    A, offA, lda, packed, B, C, offC, ldc, accumulate));
        } else {
            Parallel.parallelFor(tilesM, t, (lo, hi) -> block(transA, lo * MR, Math.min(M, hi * MR), 0, N, K,
                    A, offA, lda, packed, B, C, offC, ldc, accumulate));
        }
    }

    /** C[m0:m1, n0:n1] on the calling thread. */
    private void block(boolean transA, int m0, int m1, int n0, int n1, int K, float[] A, int offA, int lda,
                       PackedA packed, BPanels B, float[] C, int offC, int ldc, boolean accumulate) {
        boolean packPerPanel = m1 - m0 <= mc;
        float[][] buf = buffers(K, packPerPanel, packPerPanel ? NR : n1 - n0);
        float[] ap = buf[0], bp = buf[1], edge = buf[2];
        InPlace direct = B instanceof InPlace d ? d : null;
        // With AVX-512's 6 x 4 tile an A stored [M, K] is read where it lies by the full-height tiles (six rows, lda
        // apart, one float of each per k step): only the rows after the last of them are packed (fewer than six, or
        // the eight of a 6k + 2-row block's two four-row tiles). Packing all of A
        // cost a one-call GEMM 2-5% of its time (512 x 392 x 4608: A is 2.4M floats, each used by only 392 columns).
        // AVX2's 3 x 3 tile reads interleaved panels and packs A.
        boolean directA = MR == 6 && packed == null && !transA;
        for (int jc = n0; jc < n1; jc += nc) {
            int ncb = Math.min(nc, n1 - jc), ncPadded = roundUp(ncb, NR);
            // All of K at once: B[0:K, jc:jc+ncb] is packed once and reused by every row block below. With a
            // single row block there is no reuse to win, so each panel is packed right before its use
            // instead, while it is hot in L1/L2 (small-M conv GEMMs: 64 x 3136 x 576 and the like).
            if (!packPerPanel && direct == null) {
                for (int pc = 0, kcb; pc < K; pc += kcb) {
                    kcb = kBlock(K, pc);
                    B.pack(pc, kcb, jc, ncb, bp, pc * ncPadded);
                }
            }
            for (int ic = m0; ic < m1; ic += mc) {
                int mcb = Math.min(mc, m1 - ic);
                // Rows [0, full) run as full-height tiles. Six-row tiles leave 2 rows of a block of 6k + 2 rows (128,
                // 512) to a three-row kernel at about half a full tile's cost; its last 8 rows run instead as two
                // four-row tiles, two thirds of a full tile's cost each at the same rate.
                int full = MR == 6 && mcb % MR == 2 && mcb >= 8 ? mcb - 8 : mcb / MR * MR;
                // The k blocks run innermost over a fixed C block (mc x nc, sized to stay in L2), so the
                // micro-kernels' C reads and writes hit L2 instead of missing to L3 or memory.
                for (int pc = 0, kcb; pc < K; pc += kcb) {
                    kcb = kBlock(K, pc);
                    boolean add = accumulate || pc > 0;
                    float[] a = ap;
                    int aBase = 0;
                    if (directA) {
                        if (full < mcb) packA(false, A, offA, lda, ic + full, mcb - full, pc, kcb, ap, full * kcb);
                    } else if (packed == null) {
                        packA(transA, A, offA, lda, ic, mcb, pc, kcb, ap, 0);
                    } else {
                        a = packed.panels;
                        aBase = pc * packed.mPadded + ic * kcb;
                    }
                    for (int jr = 0; jr < ncb; jr += NR) {
                        int nr = Math.min(NR, ncb - jr);
                        float[] b = bp;
                        int bOff = pc * ncPadded + jr * kcb;
                        if (direct != null) {
                            b = direct.b;
                            bOff = direct.at(pc, jc + jr);
                        } else if (packPerPanel) {
                            B.pack(pc, kcb, jc + jr, nr, bp, 0);
                            bOff = 0;
                        }
                        for (int ir = 0, mr; ir < mcb; ir += mr) {
                            mr = ir < full ? MR : mcb - full > MR ? 4 : mcb - ir;
                            int aOff = aBase + ir * kcb;
                            int cOff = offC + (ic + ir) * ldc + jc + jr;
                            if (MR == 6) {
                                // the tile's six rows of A: in A itself, or in the packed block (rows kcb apart)
                                boolean inA = directA && ir < full;
                                float[] aa = inA ? A : a;
                                int a0 = inA ? offA + (ic + ir) * lda + pc : aOff, as = inA ? lda : kcb;
                                if (mr == MR && nr == NR) {
                                    kernel6x4(kcb, aa, a0, a0 + as, a0 + 2 * as, a0 + 3 * as, a0 + 4 * as, a0 + 5 * as, b, bOff, C, cOff, ldc, add);
                                    continue;
                                }
                                // A narrow panel takes two full row tiles at once where it can: its kernels are bound by
                                // one broadcast per FMA and the FMA latency, and twelve rows give them twice the chains.
                                int rows = nr <= 2 * V && ir + 2 * MR <= full ? 2 * MR : mr;
                                // An edge tile runs in edge, starting from its values: C's when the k block adds, as
                                // kernel6x4 starts from C, else zeros. Then every element of C is one FMA chain over all
                                // of K whichever tile computes it, and an image's outputs do not depend on whether its
                                // columns fall in an edge panel, i.e. on its batch (C + a chain from zero differs in the
                                // last bits once K spans two k blocks).
                                if (add) for (int i = 0; i < rows; i++) System.arraycopy(C, cOff + i * ldc, edge, i * NR, nr);
                                else java.util.Arrays.fill(edge, 0, rows * NR, 0f);
                                if (rows == 2 * MR) narrowKernel12(nr <= V, kcb, aa, a0, as, b, bOff, edge);
                                else if (nr <= 2 * V) narrowKernel(nr <= V, kcb, aa, a0, as, b, bOff, edge);
                                else if (mr <= 3) shortKernel(kcb, aa, a0, as, b, bOff, edge);
                                else if (mr == 4) fourKernel(kcb, aa, a0, as, b, bOff, edge);
                                else kernel6x4(kcb, aa, a0, a0 + as, a0 + 2 * as, a0 + 3 * as, a0 + 4 * as, a0 + 5 * as, b, bOff, edge, 0, NR, true);
                                for (int i = 0; i < rows; i++) System.arraycopy(edge, i * NR, C, cOff + i * ldc, nr);
                                ir += rows - mr;        // the second row tile is done too
                                continue;
                            }
                            if (mr == MR && nr == NR) {
                                kernel3x3(kcb, a, aOff, b, bOff, C, cOff, ldc, add);
                                continue;
                            }
                            // AVX2's edge tile: kernel3x3 adds C after its chain (full tiles too), so C += edge matches it
                            kernel3x3(kcb, a, aOff, b, bOff, edge, 0, NR, false);
                            for (int i = 0; i < mr; i++) {
                                int c = cOff + i * ldc, e = i * NR;
                                if (add) for (int j = 0; j < nr; j++) C[c + j] += edge[e + j];
                                else System.arraycopy(edge, e, C, c, nr);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Packs op(A)[ic:ic+mcb, pc:pc+kcb] into MR-row panels, rows past the edge zero. AVX-512's 6 x 4 tile reads the rows
     * of A as six streams ({@link #kernel6x4}), so its panels are rows: row i at ap[apOff + i*kcb + p], the block of A
     * with row stride kcb. AVX2's 3 x 3 tile reads interleaved panels: ap[apOff + (ir/MR)*kcb*MR + p*MR + i]. With
     * transA, A is stored [K, M], so each k step is a contiguous run of rows.
     */
    static void packA(boolean transA, float[] A, int offA, int lda, int ic, int mcb, int pc, int kcb, float[] ap, int apOff) {
        if (MR == 6) {
            packRows(transA, A, offA, lda, ic, mcb, pc, kcb, ap, apOff);
            return;
        }
        for (int ir = 0; ir < mcb; ir += MR) {
            int mr = Math.min(MR, mcb - ir);
            int base = apOff + ir * kcb;
            if (transA) {
                for (int p = 0; p < kcb; p++) {
                    int src = offA + (pc + p) * lda + ic + ir, dst = base + p * MR;
                    for (int i = 0; i < mr; i++) ap[dst + i] = A[src + i];
                    for (int i = mr; i < MR; i++) ap[dst + i] = 0f;
                }
            } else if (mr == MR && MR == 3) {
                interleave3(A, offA + (ic + ir) * lda + pc, lda, kcb, ap, base);
            } else {
                for (int i = 0; i < mr; i++) {
                    int src = offA + (ic + ir + i) * lda + pc, dst = base + i;
                    for (int p = 0; p < kcb; p++) ap[dst + p * MR] = A[src + p];
                }
                for (int i = mr; i < MR; i++) {
                    for (int p = 0; p < kcb; p++) ap[base + i + p * MR] = 0f;
                }
            }
        }
    }

    /** {@link #packA} for the 6 x 4 tile: op(A)'s rows [ic, ic + mcb), columns [pc, pc + kcb), kcb apart, zero rows after. */
    private static void packRows(boolean transA, float[] A, int offA, int lda, int ic, int mcb, int pc, int kcb, float[] ap, int apOff) {
        if (!transA) {
            for (int i = 0; i < mcb; i++) System.arraycopy(A, offA + (ic + i) * lda + pc, ap, apOff + i * kcb, kcb);
        } else {
            // a transpose, six rows at a time: per k step six contiguous floats of A in, six row streams out
            for (int ir = 0; ir < mcb; ir += MR) {
                int mr = Math.min(MR, mcb - ir), base = apOff + ir * kcb;
                for (int p = 0; p < kcb; p++) {
                    int src = offA + (pc + p) * lda + ic + ir;
                    for (int i = 0; i < mr; i++) ap[base + i * kcb + p] = A[src + i];
                }
            }
        }
        int padded = roundUp(mcb, MR);
        if (padded > mcb) java.util.Arrays.fill(ap, apOff + mcb * kcb, apOff + padded * kcb, 0f);
    }

    /**
     * Packs op(B)[pc:pc+kcb, jc:jc+ncb] into NR-column panels: bp[bpOff + (jr/NR)*kcb*NR + p*NR + j], columns past
     * the edge zero. Without transB each k step is NV vector copies; with transB (B stored [N, K]) a full
     * panel is a transpose ({@link #transposePanel}) and a partial one is copied column by column.
     * <p>The full panels' loop holds nothing but their copies, and the last, partial panel goes to its own method:
     * when one loop served both (a row copy that tested nr == NR), C2 hoisted the full copies' range checks out of the
     * k loop, a partial panel then failed that guard, and the method was recompiled without any hoisted checks. That
     * code packed at 10-11 GB/s instead of 21 (JIT log: "predicate" traps in packB), which made a 128 x 6272 x 1152 GEMM
     * 1.13-1.17x slower in processes that also ran GEMMs with ragged N (docs/performance.md).
     */
    static void packB(boolean transB, float[] B, int offB, int ldb, int pc, int kcb, int jc, int ncb, float[] bp, int bpOff) {
        int jr = 0;
        for (; jr + NR <= ncb; jr += NR) {
            if (transB) transposePanel(B, offB + (jc + jr) * ldb + pc, ldb, kcb, bp, bpOff + jr * kcb);
            else copyPanel(B, offB + pc * ldb + jc + jr, ldb, kcb, bp, bpOff + jr * kcb);
        }
        if (jr < ncb) partialPanel(transB, B, offB, ldb, pc, kcb, jc + jr, ncb - jr, bp, bpOff + jr * kcb);
    }

    /** A full panel of a stored B [K, N]: kcb rows of NR floats, ldb apart from src. */
    private static void copyPanel(float[] B, int src, int ldb, int kcb, float[] bp, int dst) {
        for (int p = 0; p < kcb; p++) fullRow(B, src + p * ldb, bp, dst + p * NR);
    }

    /** packB's last panel, of nr < NR columns from column j, zero-padded. */
    private static void partialPanel(boolean transB, float[] B, int offB, int ldb, int pc, int kcb, int j, int nr, float[] bp, int base) {
        if (transB) {
            transposePanelScalar(B, offB + j * ldb + pc, ldb, kcb, bp, base, nr);
            for (int c = nr; c < NR; c++) {
                for (int p = 0; p < kcb; p++) bp[base + c + p * NR] = 0f;
            }
        } else {
            for (int p = 0; p < kcb; p++) partialRow(B, offB + (pc + p) * ldb + j, nr, bp, base + p * NR);
        }
    }

    /**
     * One row of a full NR-column panel from a contiguous run, bp[dst, + NR) = src[s, + NR): NV vector copies. For
     * packB and the other packers whose panel rows are runs of their source (ConvShifted); a ragged last panel's rows
     * go through {@link #partialRow}, from a loop of their own (see packB).
     */
    static void fullRow(float[] src, int s, float[] bp, int dst) {
        for (int v = 0; v < NR; v += V) FloatVector.fromArray(S, src, s + v).intoArray(bp, dst + v);
    }

    /** One row of a ragged panel: bp[dst, + nr) = src[s, + nr), zeros up to NR. */
    static void partialRow(float[] src, int s, int nr, float[] bp, int dst) {
        System.arraycopy(src, s, bp, dst, nr);
        java.util.Arrays.fill(bp, dst + nr, dst + NR, 0f);
    }

    // Packing is the GEMM's memory-bound part: each element of A and B is packed once and used only N/NR or M/MR
    // times, so on short products (Winograd's weight gradient: 64 x 64 x 784 at layer1, each element used 64 times)
    // it is a large share of the time: packA + packB were 9% of a resnet18 b32 training step's samples (JFR), most
    // of it there. Their inner loops below are vector shuffles, each with its scalar reference kept next to it
    // (PackingTest checks them equal; bench PackBench times both; public for that bench).

    /** Lane l of interleaved vector k takes element s = kV + l of a0 b0 c0 a1 b1 c1 ...: row s mod 3, column s / 3. */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] AB = new VectorShuffle[3], CC = new VectorShuffle[3];
    /** The lanes of interleaved vector k that come from the third row. */
    @SuppressWarnings("unchecked")
    private static final VectorMask<Float>[] FROM_C = new VectorMask[3];

    static {
        for (int k = 0; k < 3; k++) {
            int first = k * V;
            // a two-vector rearrange indexes the second vector (row b) as V + column; row-c lanes are filled in after
            AB[k] = VectorShuffle.fromOp(S, l -> (first + l) % 3 == 1 ? V + (first + l) / 3 : (first + l) / 3);
            CC[k] = VectorShuffle.fromOp(S, l -> (first + l) / 3);
            boolean[] c = new boolean[V];
            for (int l = 0; l < V; l++) c[l] = (first + l) % 3 == 2;
            FROM_C[k] = VectorMask.fromArray(S, c, 0);
        }
    }

    /**
     * ap[dst + 3p + i] = A[r0 + i*lda + p] for i < 3, p < kcb: three rows of A interleaved into one MR = 3 panel
     * (the AVX2 tile; the AVX-512 tile reads rows as they are, {@link #packA}).
     * V columns of the three rows (three vector loads) become three interleaved vectors: 1.9x faster than
     * {@link #interleave3Scalar} at 480 x 1024, 63 x 784 and 510 x 490 (0.55 -> 0.29 ns per element, scratch
     * harness, one thread; bench PackBench).
     */
    public static void interleave3(float[] A, int r0, int lda, int kcb, float[] ap, int dst) {
        int r1 = r0 + lda, r2 = r1 + lda, p = 0;
        for (; p + V <= kcb; p += V) {
            FloatVector a = FloatVector.fromArray(S, A, r0 + p), b = FloatVector.fromArray(S, A, r1 + p),
                    c = FloatVector.fromArray(S, A, r2 + p);
            int o = dst + p * 3;
            a.rearrange(AB[0], b).blend(c.rearrange(CC[0]), FROM_C[0]).intoArray(ap, o);
            a.rearrange(AB[1], b).blend(c.rearrange(CC[1]), FROM_C[1]).intoArray(ap, o + V);
            a.rearrange(AB[2], b).blend(c.rearrange(CC[2]), FROM_C[2]).intoArray(ap, o + 2 * V);
        }
        interleave3Scalar(A, r0 + p, lda, kcb - p, ap, dst + p * 3);
    }

    /** {@link #interleave3}'s reference: three row streams in, one sequential stream out. */
    public static void interleave3Scalar(float[] A, int r0, int lda, int kcb, float[] ap, int dst) {
        int r1 = r0 + lda, r2 = r1 + lda;
        for (int p = 0; p < kcb; p++) {
            int o = dst + p * 3;
            ap[o] = A[r0 + p];
            ap[o + 1] = A[r1 + p];
            ap[o + 2] = A[r2 + p];
        }
    }

    /**
     * The transpose works on 8 x 8 blocks in 256-bit vectors whatever the preferred width: with 512-bit vectors a
     * 16 x 16 block would need 16 live vectors and four rounds. Used with 256-bit vectors or wider (AVX2, AVX-512).
     */
    private static final VectorSpecies<Float> S8 = FloatVector.SPECIES_256;
    private static final boolean TRANSPOSE_8X8 = V >= 8 && NR % 8 == 0;

    /**
     * Lane moves of an 8 x 8 transpose in three rounds: round h (h = 4, 2, 1) swaps the h x h off-diagonal blocks of
     * each 2h x 2h block, between rows x (row i) and y (row i + h). Lanes with bit h set (M) take the other row's lanes
     * moved by h: the new row i is x.blend(y.rearrange(DOWN), M), the new row i + h is x.rearrange(UP).blend(y, M).
     * Each is one single-vector rearrange and a blend, not a two-vector rearrange: with that one (a shuffle-validity
     * check, two rearranges and a blend inside the library), in some processes the transpose ran the library's Java
     * fallback for good after C2 compiled it (JFR: allocations in rearrangeTemplate and blendTemplate under
     * transposePanel), boxing every vector: a resnet18 b32 training step then allocated 1.8 GB instead of 0.8 GB, in
     * 8 of 13 processes; 0 of 9 with this form (docs/performance.md).
     */
    private static final VectorShuffle<Float> DOWN4 = move(4, -4), DOWN2 = move(2, -2), DOWN1 = move(1, -1),
            UP4 = move(4, 4), UP2 = move(2, 2), UP1 = move(1, 1);
    private static final VectorMask<Float> M4 = bitSet(4), M2 = bitSet(2), M1 = bitSet(1);

    /** Lane l takes lane l + by of its source when bit h of l is set (by < 0) or clear (by > 0), else lane l. */
    private static VectorShuffle<Float> move(int h, int by) {
        return VectorShuffle.fromOp(S8, l -> ((l & h) != 0) == (by < 0) ? l + by : l);
    }

    private static VectorMask<Float> bitSet(int h) {
        boolean[] m = new boolean[8];
        for (int l = 0; l < 8; l++) m[l] = (l & h) != 0;
        return VectorMask.fromArray(S8, m, 0);
    }

    /**
     * bp[dst + p*NR + j] = B[src + j*ldb + p] for j < NR, p < kcb: NR rows of B transposed into one panel (the Bᵀ
     * of dW = dY · colᵀ and of Winograd's weight gradient). Each 8 x 8 block is eight 256-bit vector loads, three
     * rounds of shuffles and eight vector stores: 1.0-1.7x faster than {@link #transposePanelScalar} with AVX2
     * (scratch harness, panels of 784 and 490 rows); narrower vectors take the reference.
     */
    public static void transposePanel(float[] B, int src, int ldb, int kcb, float[] bp, int dst) {
        if (!TRANSPOSE_8X8) {
            transposePanelScalar(B, src, ldb, kcb, bp, dst, NR);
            return;
        }
        int p = 0;
        for (; p + 8 <= kcb; p += 8) {
            for (int jg = 0; jg < NR; jg += 8) {
                int s = src + jg * ldb + p;
                FloatVector r0 = FloatVector.fromArray(S8, B, s), r1 = FloatVector.fromArray(S8, B, s + ldb),
                        r2 = FloatVector.fromArray(S8, B, s + 2 * ldb), r3 = FloatVector.fromArray(S8, B, s + 3 * ldb),
                        r4 = FloatVector.fromArray(S8, B, s + 4 * ldb), r5 = FloatVector.fromArray(S8, B, s + 5 * ldb),
                        r6 = FloatVector.fromArray(S8, B, s + 6 * ldb), r7 = FloatVector.fromArray(S8, B, s + 7 * ldb);
                FloatVector t0 = r0.blend(r4.rearrange(DOWN4), M4), t4 = r0.rearrange(UP4).blend(r4, M4),
                        t1 = r1.blend(r5.rearrange(DOWN4), M4), t5 = r1.rearrange(UP4).blend(r5, M4),
                        t2 = r2.blend(r6.rearrange(DOWN4), M4), t6 = r2.rearrange(UP4).blend(r6, M4),
                        t3 = r3.blend(r7.rearrange(DOWN4), M4), t7 = r3.rearrange(UP4).blend(r7, M4);
                FloatVector u0 = t0.blend(t2.rearrange(DOWN2), M2), u2 = t0.rearrange(UP2).blend(t2, M2),
                        u1 = t1.blend(t3.rearrange(DOWN2), M2), u3 = t1.rearrange(UP2).blend(t3, M2),
                        u4 = t4.blend(t6.rearrange(DOWN2), M2), u6 = t4.rearrange(UP2).blend(t6, M2),
                        u5 = t5.blend(t7.rearrange(DOWN2), M2), u7 = t5.rearrange(UP2).blend(t7, M2);
                int o = dst + p * NR + jg;
                u0.blend(u1.rearrange(DOWN1), M1).intoArray(bp, o);
                u0.rearrange(UP1).blend(u1, M1).intoArray(bp, o + NR);
                u2.blend(u3.rearrange(DOWN1), M1).intoArray(bp, o + 2 * NR);
                u2.rearrange(UP1).blend(u3, M1).intoArray(bp, o + 3 * NR);
                u4.blend(u5.rearrange(DOWN1), M1).intoArray(bp, o + 4 * NR);
                u4.rearrange(UP1).blend(u5, M1).intoArray(bp, o + 5 * NR);
                u6.blend(u7.rearrange(DOWN1), M1).intoArray(bp, o + 6 * NR);
                u6.rearrange(UP1).blend(u7, M1).intoArray(bp, o + 7 * NR);
            }
        }
        transposePanelScalar(B, src + p, ldb, kcb - p, bp, dst + p * NR, NR);
    }

    /** {@link #transposePanel}'s reference, for the first nr rows of B: each panel column is a contiguous run of B's row. */
    public static void transposePanelScalar(float[] B, int src, int ldb, int kcb, float[] bp, int dst, int nr) {
        for (int j = 0; j < nr; j++) {
            int from = src + j * ldb, to = dst + j;
            for (int p = 0; p < kcb; p++) bp[to + p * NR] = B[from + p];
        }
    }

    // The micro-kernels: C[MR, NR] at cOff (row stride ldc) = (add ? C : 0) + sum_p A[0:MR, p] x bp[p, 0:NR]. Per k
    // step: NV vector loads of B, MR broadcasts of A, MR x NV independent FMAs into register accumulators. The tile is
    // fixed by the vector width (a constant, so C2 keeps one branch); indices are computed from p in a counted loop so
    // C2 removes the bounds checks.

    /**
     * AVX2's tile: 3 x 3 vectors is what C2 keeps in 16 registers without spilling (9 accumulators + 3 B +
     * broadcasts); a 6 x 2 tile spills an accumulator to the stack every k step and runs at half speed, and
     * unrolling the k loop by hand makes C2 spill too (docs/gemm.md).
     */
    private static void kernel3x3(int kcb, float[] ap, int aOff, float[] bp, int bOff, float[] C, int cOff, int ldc, boolean add) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S), c12 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c22 = FloatVector.zero(S);
        for (int p = 0; p < kcb; p++) {
            int ao = aOff + p * 3, bo = bOff + p * 3 * V;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + V);
            FloatVector b2 = FloatVector.fromArray(S, bp, bo + 2 * V);
            FloatVector a = FloatVector.broadcast(S, ap[ao]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            c02 = a.fma(b2, c02);
            a = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            c12 = a.fma(b2, c12);
            a = FloatVector.broadcast(S, ap[ao + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            c22 = a.fma(b2, c22);
        }
        store(C, cOff, c00, c01, c02, add);
        store(C, cOff + ldc, c10, c11, c12, add);
        store(C, cOff + 2 * ldc, c20, c21, c22, add);
    }

    /**
     * AVX-512's tile: 6 x 4 vectors, 24 accumulators + 4 B + a broadcast in the 32 registers. On L1 data (scratch
     * harness, one Zen 5 core, peak 274 GFLOP/s) it ran at 268-272 GFLOP/s, the 3 x 3 tile at 237-246 and 8 x 3 at
     * 202. C starts in the accumulators instead of being added at the end: a store helper taking vectors is not
     * inlined into a method this large (C2's node-count cutoff), and the boxed vectors then cost 20x.
     * <p>Row i of the tile's A is read at A[ai + p] for k step p: six sequential streams, one float of each per step,
     * from A itself (rows lda apart) or from a packed block (kcb apart), or, for {@link ConvWeightGrad}, six runs of a
     * phase image at the offsets of six rows of col. Until 2026-11-30 the panels were interleaved (ap[6p + i], one
     * stream); the streams measured no slower and need no shuffle to pack (docs/gemm.md).
     */
    static void kernel6x4(int kcb, float[] A, int a0, int a1, int a2, int a3, int a4, int a5, float[] bp, int bOff,
                          float[] C, int cOff, int ldc, boolean add) {
        int r0 = cOff, r1 = r0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc, r5 = r4 + ldc;
        FloatVector c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23;
        FloatVector c30, c31, c32, c33, c40, c41, c42, c43, c50, c51, c52, c53;
        if (add) {
            c00 = FloatVector.fromArray(S, C, r0); c01 = FloatVector.fromArray(S, C, r0 + V);
            c02 = FloatVector.fromArray(S, C, r0 + 2 * V); c03 = FloatVector.fromArray(S, C, r0 + 3 * V);
            c10 = FloatVector.fromArray(S, C, r1); c11 = FloatVector.fromArray(S, C, r1 + V);
            c12 = FloatVector.fromArray(S, C, r1 + 2 * V); c13 = FloatVector.fromArray(S, C, r1 + 3 * V);
            c20 = FloatVector.fromArray(S, C, r2); c21 = FloatVector.fromArray(S, C, r2 + V);
            c22 = FloatVector.fromArray(S, C, r2 + 2 * V); c23 = FloatVector.fromArray(S, C, r2 + 3 * V);
            c30 = FloatVector.fromArray(S, C, r3); c31 = FloatVector.fromArray(S, C, r3 + V);
            c32 = FloatVector.fromArray(S, C, r3 + 2 * V); c33 = FloatVector.fromArray(S, C, r3 + 3 * V);
            c40 = FloatVector.fromArray(S, C, r4); c41 = FloatVector.fromArray(S, C, r4 + V);
            c42 = FloatVector.fromArray(S, C, r4 + 2 * V); c43 = FloatVector.fromArray(S, C, r4 + 3 * V);
            c50 = FloatVector.fromArray(S, C, r5); c51 = FloatVector.fromArray(S, C, r5 + V);
            c52 = FloatVector.fromArray(S, C, r5 + 2 * V); c53 = FloatVector.fromArray(S, C, r5 + 3 * V);
        } else {
            c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = c20 = c21 = c22 = c23 = FloatVector.zero(S);
            c30 = c31 = c32 = c33 = c40 = c41 = c42 = c43 = c50 = c51 = c52 = c53 = FloatVector.zero(S);
        }
        for (int p = 0; p < kcb; p++) {
            int bo = bOff + p * 4 * V;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo), b1 = FloatVector.fromArray(S, bp, bo + V),
                    b2 = FloatVector.fromArray(S, bp, bo + 2 * V), b3 = FloatVector.fromArray(S, bp, bo + 3 * V);
            FloatVector a = FloatVector.broadcast(S, A[a0 + p]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01); c02 = a.fma(b2, c02); c03 = a.fma(b3, c03);
            a = FloatVector.broadcast(S, A[a1 + p]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11); c12 = a.fma(b2, c12); c13 = a.fma(b3, c13);
            a = FloatVector.broadcast(S, A[a2 + p]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21); c22 = a.fma(b2, c22); c23 = a.fma(b3, c23);
            a = FloatVector.broadcast(S, A[a3 + p]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31); c32 = a.fma(b2, c32); c33 = a.fma(b3, c33);
            a = FloatVector.broadcast(S, A[a4 + p]);
            c40 = a.fma(b0, c40); c41 = a.fma(b1, c41); c42 = a.fma(b2, c42); c43 = a.fma(b3, c43);
            a = FloatVector.broadcast(S, A[a5 + p]);
            c50 = a.fma(b0, c50); c51 = a.fma(b1, c51); c52 = a.fma(b2, c52); c53 = a.fma(b3, c53);
        }
        c00.intoArray(C, r0); c01.intoArray(C, r0 + V); c02.intoArray(C, r0 + 2 * V); c03.intoArray(C, r0 + 3 * V);
        c10.intoArray(C, r1); c11.intoArray(C, r1 + V); c12.intoArray(C, r1 + 2 * V); c13.intoArray(C, r1 + 3 * V);
        c20.intoArray(C, r2); c21.intoArray(C, r2 + V); c22.intoArray(C, r2 + 2 * V); c23.intoArray(C, r2 + 3 * V);
        c30.intoArray(C, r3); c31.intoArray(C, r3 + V); c32.intoArray(C, r3 + 2 * V); c33.intoArray(C, r3 + 3 * V);
        c40.intoArray(C, r4); c41.intoArray(C, r4 + V); c42.intoArray(C, r4 + 2 * V); c43.intoArray(C, r4 + 3 * V);
        c50.intoArray(C, r5); c51.intoArray(C, r5 + V); c52.intoArray(C, r5 + 2 * V); c53.intoArray(C, r5 + 3 * V);
    }

    /**
     * The 6 x 4 tile's ragged right edge, into edge (row stride NR): the first one (oneVector) or two vectors of its
     * columns only (A read as in {@link #kernel6x4}), so a last panel of a few columns does not cost a full tile. Layer4's conv GEMM at batch 8 has N =
     * 392 = 6 x 64 + 8: with the full tile one panel in seven computed 56 dropped columns. Like the other edge kernels it
     * starts from edge's values (block() puts C's or zeros there), as kernel6x4 starts from C.
     */
    private static void narrowKernel(boolean oneVector, int kcb, float[] A, int a0, int as, float[] bp, int bOff, float[] edge) {
        int a1 = a0 + as, a2 = a1 + as, a3 = a2 + as, a4 = a3 + as, a5 = a4 + as;
        FloatVector c00 = FloatVector.fromArray(S, edge, 0), c10 = FloatVector.fromArray(S, edge, NR),
                c20 = FloatVector.fromArray(S, edge, 2 * NR), c30 = FloatVector.fromArray(S, edge, 3 * NR),
                c40 = FloatVector.fromArray(S, edge, 4 * NR), c50 = FloatVector.fromArray(S, edge, 5 * NR);
        FloatVector c01 = FloatVector.fromArray(S, edge, V), c11 = FloatVector.fromArray(S, edge, NR + V),
                c21 = FloatVector.fromArray(S, edge, 2 * NR + V), c31 = FloatVector.fromArray(S, edge, 3 * NR + V),
                c41 = FloatVector.fromArray(S, edge, 4 * NR + V), c51 = FloatVector.fromArray(S, edge, 5 * NR + V);
        if (oneVector) {
            for (int p = 0; p < kcb; p++) {
                FloatVector b0 = FloatVector.fromArray(S, bp, bOff + p * NR);
                c00 = FloatVector.broadcast(S, A[a0 + p]).fma(b0, c00);
                c10 = FloatVector.broadcast(S, A[a1 + p]).fma(b0, c10);
                c20 = FloatVector.broadcast(S, A[a2 + p]).fma(b0, c20);
                c30 = FloatVector.broadcast(S, A[a3 + p]).fma(b0, c30);
                c40 = FloatVector.broadcast(S, A[a4 + p]).fma(b0, c40);
                c50 = FloatVector.broadcast(S, A[a5 + p]).fma(b0, c50);
            }
        } else {
            for (int p = 0; p < kcb; p++) {
                int bo = bOff + p * NR;
                FloatVector b0 = FloatVector.fromArray(S, bp, bo), b1 = FloatVector.fromArray(S, bp, bo + V);
                FloatVector a = FloatVector.broadcast(S, A[a0 + p]);
                c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
                a = FloatVector.broadcast(S, A[a1 + p]);
                c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
                a = FloatVector.broadcast(S, A[a2 + p]);
                c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
                a = FloatVector.broadcast(S, A[a3 + p]);
                c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
                a = FloatVector.broadcast(S, A[a4 + p]);
                c40 = a.fma(b0, c40); c41 = a.fma(b1, c41);
                a = FloatVector.broadcast(S, A[a5 + p]);
                c50 = a.fma(b0, c50); c51 = a.fma(b1, c51);
            }
        }
        c00.intoArray(edge, 0); c10.intoArray(edge, NR); c20.intoArray(edge, 2 * NR);
        c30.intoArray(edge, 3 * NR); c40.intoArray(edge, 4 * NR); c50.intoArray(edge, 5 * NR);
        c01.intoArray(edge, V); c11.intoArray(edge, NR + V); c21.intoArray(edge, 2 * NR + V);
        c31.intoArray(edge, 3 * NR + V); c41.intoArray(edge, 4 * NR + V); c51.intoArray(edge, 5 * NR + V);
    }

    /**
     * {@link #narrowKernel} over twelve rows, two row tiles at once, into edge (row stride NR): A's rows i = 0..11 at
     * a0 + i*as. Its FMAs were bound by one broadcast each and by the FMA latency over six chains; twelve chains run
     * a 1-vector edge in 0.37-0.39 of the full tile's time instead of 0.47-0.57, a 2-vector edge in 0.49-0.51 (as fast per
     * FMA as the full tile) instead of 0.72-0.76 (scratch harness MK5, one core, K = 64-1024; docs/performance.md). The
     * accumulators are x (first vector) and y (second vector), one of each per row. Written out beside the six-row
     * kernel rather than merged with it under a row count: rows under a flag cost fourKernel 12-15% (duplicates D1).
     */
    private static void narrowKernel12(boolean oneVector, int kcb, float[] A, int a0, int as, float[] bp, int bOff, float[] edge) {
        int a1 = a0 + as, a2 = a1 + as, a3 = a2 + as, a4 = a3 + as, a5 = a4 + as, a6 = a5 + as, a7 = a6 + as,
                a8 = a7 + as, a9 = a8 + as, a10 = a9 + as, a11 = a10 + as;
        FloatVector x0 = FloatVector.fromArray(S, edge, 0), x1 = FloatVector.fromArray(S, edge, NR),
                x2 = FloatVector.fromArray(S, edge, 2 * NR), x3 = FloatVector.fromArray(S, edge, 3 * NR),
                x4 = FloatVector.fromArray(S, edge, 4 * NR), x5 = FloatVector.fromArray(S, edge, 5 * NR),
                x6 = FloatVector.fromArray(S, edge, 6 * NR), x7 = FloatVector.fromArray(S, edge, 7 * NR),
                x8 = FloatVector.fromArray(S, edge, 8 * NR), x9 = FloatVector.fromArray(S, edge, 9 * NR),
                x10 = FloatVector.fromArray(S, edge, 10 * NR), x11 = FloatVector.fromArray(S, edge, 11 * NR);
        if (oneVector) {
            for (int p = 0; p < kcb; p++) {
                FloatVector b0 = FloatVector.fromArray(S, bp, bOff + p * NR);
                x0 = FloatVector.broadcast(S, A[a0 + p]).fma(b0, x0);
                x1 = FloatVector.broadcast(S, A[a1 + p]).fma(b0, x1);
                x2 = FloatVector.broadcast(S, A[a2 + p]).fma(b0, x2);
                x3 = FloatVector.broadcast(S, A[a3 + p]).fma(b0, x3);
                x4 = FloatVector.broadcast(S, A[a4 + p]).fma(b0, x4);
                x5 = FloatVector.broadcast(S, A[a5 + p]).fma(b0, x5);
                x6 = FloatVector.broadcast(S, A[a6 + p]).fma(b0, x6);
                x7 = FloatVector.broadcast(S, A[a7 + p]).fma(b0, x7);
                x8 = FloatVector.broadcast(S, A[a8 + p]).fma(b0, x8);
                x9 = FloatVector.broadcast(S, A[a9 + p]).fma(b0, x9);
                x10 = FloatVector.broadcast(S, A[a10 + p]).fma(b0, x10);
                x11 = FloatVector.broadcast(S, A[a11 + p]).fma(b0, x11);
            }
            x0.intoArray(edge, 0); x1.intoArray(edge, NR); x2.intoArray(edge, 2 * NR); x3.intoArray(edge, 3 * NR);
            x4.intoArray(edge, 4 * NR); x5.intoArray(edge, 5 * NR); x6.intoArray(edge, 6 * NR); x7.intoArray(edge, 7 * NR);
            x8.intoArray(edge, 8 * NR); x9.intoArray(edge, 9 * NR); x10.intoArray(edge, 10 * NR); x11.intoArray(edge, 11 * NR);
            return;
        }
        FloatVector y0 = FloatVector.fromArray(S, edge, V), y1 = FloatVector.fromArray(S, edge, NR + V),
                y2 = FloatVector.fromArray(S, edge, 2 * NR + V), y3 = FloatVector.fromArray(S, edge, 3 * NR + V),
                y4 = FloatVector.fromArray(S, edge, 4 * NR + V), y5 = FloatVector.fromArray(S, edge, 5 * NR + V),
                y6 = FloatVector.fromArray(S, edge, 6 * NR + V), y7 = FloatVector.fromArray(S, edge, 7 * NR + V),
                y8 = FloatVector.fromArray(S, edge, 8 * NR + V), y9 = FloatVector.fromArray(S, edge, 9 * NR + V),
                y10 = FloatVector.fromArray(S, edge, 10 * NR + V), y11 = FloatVector.fromArray(S, edge, 11 * NR + V);
        for (int p = 0; p < kcb; p++) {
            int bo = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo), b1 = FloatVector.fromArray(S, bp, bo + V);
            FloatVector a = FloatVector.broadcast(S, A[a0 + p]);
            x0 = a.fma(b0, x0); y0 = a.fma(b1, y0);
            a = FloatVector.broadcast(S, A[a1 + p]);
            x1 = a.fma(b0, x1); y1 = a.fma(b1, y1);
            a = FloatVector.broadcast(S, A[a2 + p]);
            x2 = a.fma(b0, x2); y2 = a.fma(b1, y2);
            a = FloatVector.broadcast(S, A[a3 + p]);
            x3 = a.fma(b0, x3); y3 = a.fma(b1, y3);
            a = FloatVector.broadcast(S, A[a4 + p]);
            x4 = a.fma(b0, x4); y4 = a.fma(b1, y4);
            a = FloatVector.broadcast(S, A[a5 + p]);
            x5 = a.fma(b0, x5); y5 = a.fma(b1, y5);
            a = FloatVector.broadcast(S, A[a6 + p]);
            x6 = a.fma(b0, x6); y6 = a.fma(b1, y6);
            a = FloatVector.broadcast(S, A[a7 + p]);
            x7 = a.fma(b0, x7); y7 = a.fma(b1, y7);
            a = FloatVector.broadcast(S, A[a8 + p]);
            x8 = a.fma(b0, x8); y8 = a.fma(b1, y8);
            a = FloatVector.broadcast(S, A[a9 + p]);
            x9 = a.fma(b0, x9); y9 = a.fma(b1, y9);
            a = FloatVector.broadcast(S, A[a10 + p]);
            x10 = a.fma(b0, x10); y10 = a.fma(b1, y10);
            a = FloatVector.broadcast(S, A[a11 + p]);
            x11 = a.fma(b0, x11); y11 = a.fma(b1, y11);
        }
        x0.intoArray(edge, 0); y0.intoArray(edge, V);
        x1.intoArray(edge, NR); y1.intoArray(edge, NR + V);
        x2.intoArray(edge, 2 * NR); y2.intoArray(edge, 2 * NR + V);
        x3.intoArray(edge, 3 * NR); y3.intoArray(edge, 3 * NR + V);
        x4.intoArray(edge, 4 * NR); y4.intoArray(edge, 4 * NR + V);
        x5.intoArray(edge, 5 * NR); y5.intoArray(edge, 5 * NR + V);
        x6.intoArray(edge, 6 * NR); y6.intoArray(edge, 6 * NR + V);
        x7.intoArray(edge, 7 * NR); y7.intoArray(edge, 7 * NR + V);
        x8.intoArray(edge, 8 * NR); y8.intoArray(edge, 8 * NR + V);
        x9.intoArray(edge, 9 * NR); y9.intoArray(edge, 9 * NR + V);
        x10.intoArray(edge, 10 * NR); y10.intoArray(edge, 10 * NR + V);
        x11.intoArray(edge, 11 * NR); y11.intoArray(edge, 11 * NR + V);
    }

    /**
     * The 6 x 4 tile's ragged bottom edge, into edge (row stride NR): the first three rows of the six-row panel only,
     * half the FMAs of the full tile. 128 and 512 output channels leave a last tile of two rows (M = 6 x 21 + 2).
     */
    private static void shortKernel(int kcb, float[] A, int a0, int as, float[] bp, int bOff, float[] edge) {
        int a1 = a0 + as, a2 = a1 + as;
        FloatVector c00 = FloatVector.fromArray(S, edge, 0), c01 = FloatVector.fromArray(S, edge, V),
                c02 = FloatVector.fromArray(S, edge, 2 * V), c03 = FloatVector.fromArray(S, edge, 3 * V),
                c10 = FloatVector.fromArray(S, edge, NR), c11 = FloatVector.fromArray(S, edge, NR + V),
                c12 = FloatVector.fromArray(S, edge, NR + 2 * V), c13 = FloatVector.fromArray(S, edge, NR + 3 * V),
                c20 = FloatVector.fromArray(S, edge, 2 * NR), c21 = FloatVector.fromArray(S, edge, 2 * NR + V),
                c22 = FloatVector.fromArray(S, edge, 2 * NR + 2 * V), c23 = FloatVector.fromArray(S, edge, 2 * NR + 3 * V);
        for (int p = 0; p < kcb; p++) {
            int bo = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo), b1 = FloatVector.fromArray(S, bp, bo + V),
                    b2 = FloatVector.fromArray(S, bp, bo + 2 * V), b3 = FloatVector.fromArray(S, bp, bo + 3 * V);
            FloatVector a = FloatVector.broadcast(S, A[a0 + p]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01); c02 = a.fma(b2, c02); c03 = a.fma(b3, c03);
            a = FloatVector.broadcast(S, A[a1 + p]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11); c12 = a.fma(b2, c12); c13 = a.fma(b3, c13);
            a = FloatVector.broadcast(S, A[a2 + p]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21); c22 = a.fma(b2, c22); c23 = a.fma(b3, c23);
        }
        c00.intoArray(edge, 0); c01.intoArray(edge, V); c02.intoArray(edge, 2 * V); c03.intoArray(edge, 3 * V);
        c10.intoArray(edge, NR); c11.intoArray(edge, NR + V); c12.intoArray(edge, NR + 2 * V); c13.intoArray(edge, NR + 3 * V);
        c20.intoArray(edge, 2 * NR); c21.intoArray(edge, 2 * NR + V); c22.intoArray(edge, 2 * NR + 2 * V);
        c23.intoArray(edge, 2 * NR + 3 * V);
    }

    /**
     * A ragged bottom edge of four rows, into edge (row stride NR): 4 x 4 vectors, two thirds of the full tile's FMAs.
     * 64 and 256 output channels leave one (M = 6 x 10 + 4): in the stem's and layer1's convs that tile is one in
     * eleven, and computing it as six rows cost 2-3% (bench ConvForwardAB, docs/performance.md). Written out apart
     * from {@link #shortKernel}: one kernel for both, its fourth row under a flag, ran 12-15% slower.
     */
    private static void fourKernel(int kcb, float[] A, int a0, int as, float[] bp, int bOff, float[] edge) {
        int a1 = a0 + as, a2 = a1 + as, a3 = a2 + as;
        // the start from edge written out as in shortKernel: a helper returning vectors would box them (duplicates D1)
        FloatVector c00 = FloatVector.fromArray(S, edge, 0), c01 = FloatVector.fromArray(S, edge, V),
                c02 = FloatVector.fromArray(S, edge, 2 * V), c03 = FloatVector.fromArray(S, edge, 3 * V),
                c10 = FloatVector.fromArray(S, edge, NR), c11 = FloatVector.fromArray(S, edge, NR + V),
                c12 = FloatVector.fromArray(S, edge, NR + 2 * V), c13 = FloatVector.fromArray(S, edge, NR + 3 * V),
                c20 = FloatVector.fromArray(S, edge, 2 * NR), c21 = FloatVector.fromArray(S, edge, 2 * NR + V),
                c22 = FloatVector.fromArray(S, edge, 2 * NR + 2 * V), c23 = FloatVector.fromArray(S, edge, 2 * NR + 3 * V),
                c30 = FloatVector.fromArray(S, edge, 3 * NR), c31 = FloatVector.fromArray(S, edge, 3 * NR + V),
                c32 = FloatVector.fromArray(S, edge, 3 * NR + 2 * V), c33 = FloatVector.fromArray(S, edge, 3 * NR + 3 * V);
        for (int p = 0; p < kcb; p++) {
            int bo = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo), b1 = FloatVector.fromArray(S, bp, bo + V),
                    b2 = FloatVector.fromArray(S, bp, bo + 2 * V), b3 = FloatVector.fromArray(S, bp, bo + 3 * V);
            FloatVector a = FloatVector.broadcast(S, A[a0 + p]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01); c02 = a.fma(b2, c02); c03 = a.fma(b3, c03);
            a = FloatVector.broadcast(S, A[a1 + p]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11); c12 = a.fma(b2, c12); c13 = a.fma(b3, c13);
            a = FloatVector.broadcast(S, A[a2 + p]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21); c22 = a.fma(b2, c22); c23 = a.fma(b3, c23);
            a = FloatVector.broadcast(S, A[a3 + p]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31); c32 = a.fma(b2, c32); c33 = a.fma(b3, c33);
        }
        c00.intoArray(edge, 0); c01.intoArray(edge, V); c02.intoArray(edge, 2 * V); c03.intoArray(edge, 3 * V);
        c10.intoArray(edge, NR); c11.intoArray(edge, NR + V); c12.intoArray(edge, NR + 2 * V); c13.intoArray(edge, NR + 3 * V);
        c20.intoArray(edge, 2 * NR); c21.intoArray(edge, 2 * NR + V); c22.intoArray(edge, 2 * NR + 2 * V);
        c23.intoArray(edge, 2 * NR + 3 * V);
        c30.intoArray(edge, 3 * NR); c31.intoArray(edge, 3 * NR + V); c32.intoArray(edge, 3 * NR + 2 * V);
        c33.intoArray(edge, 3 * NR + 3 * V);
    }

    private static void store(float[] C, int off, FloatVector v0, FloatVector v1, FloatVector v2, boolean add) {
        if (add) {
            v0 = v0.add(FloatVector.fromArray(S, C, off));
            v1 = v1.add(FloatVector.fromArray(S, C, off + V));
            v2 = v2.add(FloatVector.fromArray(S, C, off + 2 * V));
        }
        v0.intoArray(C, off);
        v1.intoArray(C, off + V);
        v2.intoArray(C, off + 2 * V);
    }
}
