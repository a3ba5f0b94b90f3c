package minifig.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A 3x3, stride-1, padding-1 convolution by Winograd's minimal filtering F(2x2, 3x3): each 2x2 block of outputs
 * of one (image, out-channel, in-channel) comes from a 4x4 input patch d and the 3x3 kernel g as
 *
 * <pre>
 *   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A          (⊙: elementwise, 16 products instead of 36)
 * </pre>
 *
 * and summing over in-channels commutes with Aᵀ · A, so with U = G g Gᵀ (per o, c) and V = Bᵀ d B (per c,
 * tile) the 16 positions ξ of the 4x4 transformed tile are 16 independent GEMMs, M[ξ] = U[ξ] [O, C] · V[ξ]
 * [C, tiles], followed by Y = Aᵀ M A per tile. That is 2.25x fewer multiply-adds than im2col + GEMM, paid for
 * with the three transforms (passes over memory 4x the size of the input and of the output). The weight gradient
 * ({@link #weightGrad}) is the same algebra transposed. docs/layers/conv2d.md derives both; {@link Im2colNaive} +
 * {@link GemmNaive} are the specification the tests compare against.
 */
public final class Winograd {
    private Winograd() {}

    /** Tiles per group of images: bounds the V and M buffers (16 x C x tiles floats each) at batch 32. */
    static int maxTiles = 512;

    /**
     * y[N, O, H, W] = conv3x3(x[N, C, H, W], w[O, C, 3, 3]) with stride 1 and padding 1, y (from yOff)
     * overwritten, no bias. Runs on up to {@link Parallel#threads()} threads; the result does not depend on
     * their number (each GEMM runs whole on one thread, each transform per plane).
     */
    public static void forward(float[] w, int O, float[] x, int N, int C, int H, int W, float[] y, int yOff) {
        forward(w, O, x, N, C, H, W, y, yOff, null);
    }

    /** {@link #forward}, each output run then put through {@code epi} (null: none) as the output transform stores it. */
    public static void forward(float[] w, int O, float[] x, int N, int C, int H, int W, float[] y, int yOff, Epilogue epi) {
        // V [16, C, T], M [16, O, T] and U [16, O, C]: the calling thread's buffers, kept like the other kernels'
        // workspaces. Allocated per call, their zeroing and page faults cost 1.07-1.18x on layer3/layer4 once the
        // transforms were vectorised, and keeping them left a training step's peak RSS within noise
        // (docs/performance.md).
        float[] u = buffer(BUFFERS.get(), U_BUF, 16 * O * C);
        transformWeights(w, O, C, u);
        forward(u, null, O, x, N, C, H, W, y, yOff, epi);
    }

    /**
     * U [16, O, C] = G g Gᵀ of every kernel g of w [O, C, 3, 3], each U[ξ] packed into the GEMM's panels: what
     * {@link #forwardTransformed} takes, built once for weights that do not change between calls.
     */
    public static GemmBlocked.PackedA[] transformedWeights(float[] w, int O, int C) {
        float[] u = new float[16 * O * C];
        transformWeights(w, O, C, u);
        return pack(u, O, C, null);
    }

    /**
     * The 16 U[ξ] [O, C] of u, each packed for {@link GemmBlocked#sgemm(GemmBlocked.PackedA, int, GemmBlocked.BPanels,
     * float[], int, int, boolean)}: into new arrays when sc is null (kept weights), else into this thread's buffers
     * sc (slots PACKED_U..), valid until the next such call on this thread.
     */
    private static GemmBlocked.PackedA[] pack(float[] u, int O, int C, float[][] sc) {
        GemmBlocked.PackedA[] a = new GemmBlocked.PackedA[16];
        int size = GemmBlocked.packedSize(O, C);
        for (int xi = 0; xi < 16; xi++)
            a[xi] = GemmBlocked.DEFAULT.pack(false, O, C, u, xi * O * C, C, sc == null ? null : buffer(sc, PACKED_U + xi, size));
        return a;
    }

    private static void transformWeights(float[] w, int O, int C, float[] u) {
        Elementwise.splitItems(O, (long) O * C * 9, (lo, hi) -> transformWeights(w, lo * C, hi * C, O * C, u));
    }

    /**
     * {@link #forward} from weights transformed and packed beforehand ({@link #transformedWeights}), for a conv whose
     * weights do not change between calls (inference): on 7x7 maps the transform of 512 x 512 kernels costs about what
     * the products save for one image, and packing each U[ξ] (1 MB) per call took 2.7 of the products' 6.8 ms there
     * (docs/performance.md). The same bits as {@link #forward} of the weights a came from.
     */
    public static void forwardTransformed(GemmBlocked.PackedA[] a, int O, float[] x, int N, int C, int H, int W,
                                          float[] y, int yOff, Epilogue epi) {
        if (a.length != 16 || a[0].rows() != O || a[0].depth() != C)
            throw new IllegalArgumentException("transformed weights are not 16 x [" + O + ", " + C + "]");
        forward(null, a, O, x, N, C, H, W, y, yOff, epi);
    }

    /** The forward from U: as 16 packed GEMM operands a when not null, else as u [16, O, C] (packed per product). */
    private static void forward(float[] u, GemmBlocked.PackedA[] a, int O, float[] x, int N, int C, int H, int W,
                                float[] y, int yOff, Epilogue epi) {
        int perImage = ((H + 1) / 2) * ((W + 1) / 2);
        if (C <= chunkMaxChannels && O <= chunkMaxChannels && perImage > chunkTiles) {
            forwardInChunks(a != null ? a : pack(u, O, C, BUFFERS.get()), O, x, N, C, H, W, y, yOff, epi);
            return;
        }
        // The images in SLOTS fixed ranges of at least forwardSlotMinTiles tiles each, each range whole on one thread
        // (as weightGrad's slots): layer4's forward at batch 32 took 23.1 ms at one thread and 12.4-12.7 at two this
        // way, against 26.7-27.1 and 14.0-14.1 with the batch in one group of 16 shared GEMMs (docs/performance.md).
        // Each output element is the same sum either way, so the bits do not depend on the slots or the threads.
        int slots = N >= SLOTS && (long) N * perImage >= (long) SLOTS * forwardSlotMinTiles ? SLOTS : 1;
        int G = Math.max(1, Math.min((N + slots - 1) / slots, maxTiles / perImage));
        if (slots == 1) {
            forwardGroups(u, a, O, x, 0, N, G, C, H, W, y, yOff, epi);
            return;
        }
        Parallel.forEachItem(slots, (lo, hi) -> {
            for (int s = lo; s < hi; s++) forwardGroups(u, a, O, x, s * N / slots, (s + 1) * N / slots, G, C, H, W, y, yOff, epi);
        });
    }

    /**
     * Tiles (GEMM columns) per image slot of the forward, at least; package-private for tests. With fewer, each slot
     * re-reads all of U for narrow products: at batch 8, slots of two images (32 columns on layer4, 98 on layer3)
     * made resnet18's eval forward 0.93-0.95x as fast at two threads (`compare.py --ab`, three runs).
     */
    static int forwardSlotMinTiles = 128;

    /**
     * y for images [n0, n1) of x, in groups of G images: per group V, the 16 GEMMs M[ξ] = U[ξ] V[ξ] and Y = Aᵀ M A.
     * Its phases split over the threads when called outside a parallel region.
     */
    private static void forwardGroups(float[] u, GemmBlocked.PackedA[] a, int O, float[] x, int n0, int n1, int G,
                                      int C, int H, int W, float[] y, int yOff, Epilogue epi) {
        int tw = (W + 1) / 2, perImage = ((H + 1) / 2) * tw, Tmax = G * perImage;
        float[][] b = BUFFERS.get();
        float[] v = buffer(b, V_BUF, 16 * runStride(C * Tmax)), m = buffer(b, M_BUF, 16 * runStride(O * Tmax) + L);
        for (int g0 = n0; g0 < n1; g0 += G) {
            int g = Math.min(G, n1 - g0), T = g * perImage, xOff = g0 * C * H * W, yo = yOff + g0 * O * H * W;
            int vs = runStride(C * T), ms = runStride(O * T);
            transformInputs(x, xOff, g, C, H, W, T, v, vs);
            // M[ξ] = U[ξ] [O, C] · V[ξ] [C, T]: whole GEMMs per thread (a GEMM inside a parallel slice runs
            // serially), each thread taking the next ξ when it is done
            Parallel.forEachItem(16, (lo, hi) -> {
                for (int xi = lo; xi < hi; xi++) {
                    if (a != null) GemmBlocked.DEFAULT.sgemm(a[xi], T, GemmBlocked.matrix(false, v, xi * vs, T), m, xi * ms, T, false);
                    else GemmBlocked.DEFAULT.sgemm(false, false, O, T, C, u, xi * O * C, C, v, xi * vs, T, m, xi * ms, T, false);
                }
            });
            Elementwise.splitItems(g * O, (long) g * O * H * W, (lo, hi) -> {
                float[] q = buffer(BUFFERS.get(), Q, 4 * ((perImage + L - 1) / L * L));
                for (int p = lo; p < hi; p++)
                    transformOutput(m, p % O * T + p / O * perImage, ms, 0, perImage, H, W, tw, y, yo + p * H * W, q, epi, p % O);
            });
        }
    }

    /** Convs with at most this many in- and out-channels take {@link #forwardInChunks}; package-private for tests. */
    static int chunkMaxChannels = 128;

    /**
     * Tiles per chunk in {@link #forwardInChunks}, whole GEMM panels (the N of its 16 GEMMs); for tests too. AVX2's 96 is
     * four 24-column panels; with AVX-512's 64-column panels 96 left a 32-column one for the narrow edge kernel (5% of a
     * two-thread resnet18 b32 step's samples in JFR, nearly all from these chunks), and 128 measured 1.05-1.11x faster
     * than 96 on layer1 and layer2 at one thread (docs/performance.md).
     */
    static int chunkTiles = FloatVector.SPECIES_PREFERRED.length() >= 16 ? 128 : 96;

    /**
     * {@link #forward} for few channels (ResNet's layer1 and layer2: 64 and 128 on 56x56 and 28x28), chunk by chunk
     * of {@link #chunkTiles} tiles of one image: transform, 16 GEMMs, transform back, all on one thread while the
     * chunk's V and M (16 x 64 x 96 floats each for layer1, 393 KB) stay in L2 or close. Done plane by plane over
     * the whole batch instead, V and M are 3.2 MB per image, and the 16 short GEMMs (64 x 784 x 64) read and write
     * them from L3: ~40 GFLOP/s against ~55 in chunks (scratch harness, docs/performance.md); at 256 channels
     * (layer3) chunks measured no gain. U is packed once for every chunk; the same operations in the same order,
     * so the same bits as the plane-by-plane path.
     */
    private static void forwardInChunks(GemmBlocked.PackedA[] a, int O, float[] x, int N, int C, int H, int W,
                                        float[] y, int yOff, Epilogue epi) {
        int th = (H + 1) / 2, tw = (W + 1) / 2, perImage = th * tw, chunks = (perImage + chunkTiles - 1) / chunkTiles;
        Parallel.forEachItem(N * chunks, () -> {
            // per taking thread, not per chunk
            float[][] sc = BUFFERS.get();
            float[] v = buffer(sc, CHUNK_V, 16 * runStride(C * GemmBlocked.panelColumns(chunkTiles)));
            float[] m = buffer(sc, CHUNK_M, 16 * runStride(O * chunkTiles) + L);
            float[] q = buffer(sc, Q, 4 * ((chunkTiles + L - 1) / L * L));
            InputPhases ip = phases(H, W);
            return (lo, hi) -> {
                for (int k = lo; k < hi; k++) {
                    int n = k / chunks, t0 = k % chunks * chunkTiles, t1 = Math.min(perImage, t0 + chunkTiles), T = t1 - t0;
                    int vs = runStride(C * GemmBlocked.panelColumns(T)), ms = runStride(O * T);
                    // V[ξ] straight into the GEMM's B panels (C rows of NR tiles each), which it reads in place
                    for (int c = 0; c < C; c++) {
                        ip.fill(x, (n * C + c) * H * W, H, W, t0 / tw, (t1 - 1) / tw + 1);
                        transformInput(ip, t0, t1, v, c * GemmBlocked.NR, vs, C);
                    }
                    for (int xi = 0; xi < 16; xi++)
                        GemmBlocked.DEFAULT.sgemm(a[xi], T, GemmBlocked.inPlace(v, xi * vs, C), m, xi * ms, T, false);
                    for (int o = 0; o < O; o++) transformOutput(m, o * T, ms, t0, t1, H, W, tw, y, yOff + (n * O + o) * H * W, q, epi, o);
                }
            };
        });
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /**
     * The distance between the 16 runs of a V, M or E buffer holding n floats per ξ: n rounded up to a 64-byte
     * line and then to an odd number of lines. Each vector of the transforms stores (or loads) 16 values, one per
     * run; at n * 4 bytes a multiple of 4 KB (64 x 96 tiles in chunks, 256 x 196 for layer3) the 16 addresses fell
     * into the same L1 set and aliased each other's page offsets. An odd number of lines puts them in 16 different
     * sets: the transforms of layer1's forward took 1.3-1.5x longer without it (docs/performance.md).
     */
    static int runStride(int n) {
        int lines = (n + 15) / 16;
        return (lines | 1) * 16;
    }

    /**
     * Per thread, one array per slot, grown to the largest request and reused across calls:
     * <ul>
     *   <li>V_BUF, M_BUF, U_BUF: a group's V, M and U (see {@link #forward}); {@link #weightGrad} keeps E in M's place
     *   and its dU, or its image slots' dUs side by side, in U's (a forward's U and a weight gradient's dU are never
     *   live at once);
     *   <li>Q: the output and gradient transforms' q;
     *   <li>CHUNK_V, CHUNK_M: a chunk's V and M in {@link #forwardInChunks}, taken by the threads that run the chunks
     *   while the caller's V_BUF and M_BUF may be in use;
     *   <li>PACKED_U..PACKED_U + 15: the chunked forward's 16 packed U[ξ].
     * </ul>
     * Allocated per call and thread instead, the small ones were ~60 MB of a resnet18 b32 training step's allocation,
     * and the large ones cost 1.07-1.18x on layer3/layer4 (docs/performance.md).
     */
    private static final int V_BUF = 0, M_BUF = 1, U_BUF = 2, Q = 3, CHUNK_V = 4, CHUNK_M = 5, PACKED_U = 6;
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[PACKED_U + 16][0]);

    private static float[] buffer(float[][] b, int slot, int size) {
        if (b[slot].length < size) b[slot] = new float[size];
        return b[slot];
    }

    /** Kernels per block of the weight transform (see there); a multiple of the vector length. */
    private static final int WB = 64;

    /**
     * u[ξ, o, c] = (G g Gᵀ)[ξ] for the 3x3 kernels g = w[o, c] with o*C + c in [oc0, oc1) (u is [16, OC]). A block
     * of {@link #WB} kernels is first transposed into gb [9, WB], so the transform runs in vector lanes over the
     * kernels, and its results go to blk [16, WB] and then to u as 16 runs: stored one float at a time, the 16
     * destinations of each kernel are OC floats apart (1 MB for 512 x 512), and that scatter took 10.5 ms of
     * layer4's 39 ms at batch 8 (docs/performance.md).
     */
    static void transformWeights(float[] w, int oc0, int oc1, int OC, float[] u) {
        float[] gb = new float[9 * WB], blk = new float[16 * WB];
        for (int b0 = oc0; b0 < oc1; b0 += WB) {
            int nb = Math.min(WB, oc1 - b0);
            for (int k = 0; k < nb; k++)
                for (int e = 0; e < 9; e++) gb[e * WB + k] = w[(b0 + k) * 9 + e];
            for (int k = 0; k < nb; k += L) {
                // row i of t = G g (4x3), G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]; then U row i = t row i · Gᵀ
                for (int i = 0; i < 4; i++) {
                    FloatVector a = gRow(gb, i, 0, k), b = gRow(gb, i, 1, k), c = gRow(gb, i, 2, k);
                    a.intoArray(blk, (4 * i) * WB + k);
                    a.add(b).add(c).mul(0.5f).intoArray(blk, (4 * i + 1) * WB + k);
                    a.sub(b).add(c).mul(0.5f).intoArray(blk, (4 * i + 2) * WB + k);
                    c.intoArray(blk, (4 * i + 3) * WB + k);
                }
            }
            for (int xi = 0; xi < 16; xi++) System.arraycopy(blk, xi * WB, u, xi * OC + b0, nb);
        }
    }

    /** (G g)[i, j] for the kernels k.. of the transposed block gb [9, WB]. */
    private static FloatVector gRow(float[] gb, int i, int j, int k) {
        FloatVector g0 = FloatVector.fromArray(S, gb, j * WB + k);
        if (i == 0) return g0;
        FloatVector g2 = FloatVector.fromArray(S, gb, (6 + j) * WB + k);
        if (i == 3) return g2;
        FloatVector g1 = FloatVector.fromArray(S, gb, (3 + j) * WB + k);
        return (i == 1 ? g0.add(g1) : g0.sub(g1)).add(g2).mul(0.5f);
    }

    /**
     * One thread's buffers for the input transform of planes with th x tw tiles. The 4x4 patch of tile (ty, tx)
     * starts at padded pixel (2ty, 2tx), so patch entry (i, j) is padded pixel (2(ty + i/2) + i%2, 2(tx + j/2) +
     * j%2): split the padded plane by the parities (a, b) and the column shift s into eight phase planes
     * P[s, a, b] [r, q] = xpad[2r + a, 2(q + s) + b] (th + 1 rows of tw), and entry (i, j) of every tile is
     * P[j/2, i%2, j%2] at the tile's own index ty*tw + tx plus (i/2)*tw: 16 contiguous runs, one vector load per
     * 4x4 entry for {@link #L} tiles at once.
     */
    private static final class InputPhases {
        /** The plane size the arrays are laid out for ({@link #phases}). */
        int H = -1, W = -1;
        int tw, seg;
        /**
         * The eight phase planes, seg floats apart. A filled row may spill up to L - 1 values into the next row (or
         * the plane's slack); only lanes of tiles past the range being transformed read them, and those are dropped.
         */
        float[] ph = new float[0];
        /** One padded input row: row[1 + w] = x[h, w], zeros around and past 2 * tw (fill reads whole vectors). */
        float[] row = new float[0];
        /** See {@link #offsets}. */
        int[] off;
        /** A ragged last vector's 16 results, copied to V in part. */
        final float[] tail = new float[16 * L];

        /**
         * Lays the buffers out for H x W planes, reusing the arrays when they are large enough. The phase planes' stale
         * values are read only by lanes whose results are dropped, as between the planes of one call. The row's padding
         * columns (row[0], row[W + 1..]) must be zero, and fill writes only row[1..W]: a pass over a plane ends on a
         * padding row, which leaves zeros there, but a pass that ends on x's first row (a one-channel chunked forward
         * whose thread's last chunk is image 0's first) leaves pixels, which a narrower plane would read as padding. So
         * the row is cleared when the plane size changes; the tests cannot force that chunk order.
         */
        InputPhases resize(int H, int W) {
            if (H == this.H && W == this.W) return this;
            int th = (H + 1) / 2;
            this.H = H;
            this.W = W;
            tw = (W + 1) / 2;
            seg = th * tw + L + tw;         // a vector from any tile, shifted by a row, stays in its plane
            if (ph.length < 8 * seg) ph = new float[8 * seg];
            int rowLen = Math.max(2 * tw + 4, 2 * ((tw + L - 1) / L * L) + L + 2);
            if (row.length < rowLen) row = new float[rowLen];
            else java.util.Arrays.fill(row, 0f);
            off = offsets();
            return this;
        }

        /** Fills phase rows [r0, r1] of the phase planes from plane (of H x W floats) of x. */
        void fill(float[] x, int plane, int H, int W, int r0, int r1) {
            // the vectors read, relative to a padded row's start: up to 2 * (last q) + 2 + 2L
            int reach = 2 * ((tw - 1) / L * L) + 2 + 2 * L;
            for (int r = r0; r <= r1; r++) {
                for (int a = 0; a < 2; a++) {
                    int h = 2 * r + a - 1, base = plane + h * W - 1;
                    if (h >= 0 && h < H && base >= 0 && base + reach <= x.length) {
                        fillFromX(x, base, W, (2 * a) * seg + r * tw);
                        continue;
                    }
                    // padding rows, and x's first and last rows (where the vectors above would read outside x)
                    if (h >= 0 && h < H) System.arraycopy(x, plane + h * W, row, 1, W);
                    else java.util.Arrays.fill(row, 1, W + 1, 0f);
                    int p0 = (2 * a) * seg + r * tw, p1 = p0 + seg, p2 = p0 + 4 * seg, p3 = p2 + seg;
                    // ph[p0 + q] = row[2q], ph[p1 + q] = row[2q + 1], and the same from row[2..] into p2, p3: the even
                    // and odd lanes of 2L values, L at a time (a scalar loop here took 60% of the input transform)
                    for (int q = 0; q < tw; q += L) {
                        FloatVector lo = FloatVector.fromArray(S, row, 2 * q), hi = FloatVector.fromArray(S, row, 2 * q + L);
                        Lanes.evens(lo, hi).intoArray(ph, p0 + q);
                        Lanes.odds(lo, hi).intoArray(ph, p1 + q);
                        lo = FloatVector.fromArray(S, row, 2 * q + 2);
                        hi = FloatVector.fromArray(S, row, 2 * q + 2 + L);
                        Lanes.evens(lo, hi).intoArray(ph, p2 + q);
                        Lanes.odds(lo, hi).intoArray(ph, p3 + q);
                    }
                }
            }
        }

        /**
         * The four phase rows from p0 (see {@link #fill}) of the padded row whose element k is x[base + k] for k in [1, W],
         * zero elsewhere, read straight from x: vectors at offsets o that reach past the row (o = 0, or o + L > W + 1)
         * get their outside lanes zeroed ({@link Lanes#within}). Copying the row into {@link #row} first, each load
         * spanned two of the copy's shifted stores, presumably a store-forwarding stall each: fill was 8.6% of a
         * two-thread resnet18 b32 step's samples (JFR), more than the input transform itself.
         */
        private void fillFromX(float[] x, int base, int W, int p0) {
            int p1 = p0 + seg, p2 = p0 + 4 * seg, p3 = p2 + seg;
            for (int q = 0; q < tw; q += L) {
                int o = 2 * q;
                FloatVector lo = inRow(x, base, o, W), hi = inRow(x, base, o + L, W);
                Lanes.evens(lo, hi).intoArray(ph, p0 + q);
                Lanes.odds(lo, hi).intoArray(ph, p1 + q);
                lo = inRow(x, base, o + 2, W);
                hi = inRow(x, base, o + 2 + L, W);
                Lanes.evens(lo, hi).intoArray(ph, p2 + q);
                Lanes.odds(lo, hi).intoArray(ph, p3 + q);
            }
        }

        /** Padded-row elements [o, o + L): x[base + o ..], lanes outside [1, W] zero. */
        private static FloatVector inRow(float[] x, int base, int o, int W) {
            FloatVector v = FloatVector.fromArray(S, x, base + o);
            return o >= 1 && o + L <= W + 1 ? v : Lanes.within(v, o, 1, W + 1);
        }

        /** off[4i + j]: where patch entry (i, j) of tile 0 is in ph; tile t's is t floats on. */
        int[] offsets() {
            int[] off = new int[16];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) off[4 * i + j] = (4 * (j >> 1) + 2 * (i & 1) + (j & 1)) * seg + (i >> 1) * tw;
            return off;
        }
    }

    /**
     * V[ξ] at dst.. (runs CT floats apart) = (Bᵀ d B)[ξ] for the tiles [lo, hi) of the plane in ip, whose phase rows
     * lo / tw .. (hi - 1) / tw + 1 are filled, in vector lanes over the tiles (see {@link InputPhases}). Tile lo + t
     * goes to dst + t (panelRows 0: a row of V [C, T]), or with panelRows = C to dst + {@link GemmBlocked#panelIndex}(C,
     * 0, t), the GEMM's B panel layout (dst = c·NR, that index's row part; {@link GemmBlocked#inPlace}).
     */
    private static void transformInput(InputPhases ip, int lo, int hi, float[] v, int dst, int CT, int panelRows) {
        float[] ph = ip.ph;
        int[] off = ip.off;
        for (int p = lo; p < hi; p += L) {
            boolean whole = p + L <= hi;
            // tile p - lo's place: a run of L tiles from a multiple of L stays inside one NR-tile panel
            int t = p - lo, into = dst + (panelRows == 0 ? t : GemmBlocked.panelIndex(panelRows, 0, t));
            // a ragged last vector goes to tail: full stores would run into the next plane's tiles
            float[] to = whole ? v : ip.tail;
            int at = whole ? into : 0, step = whole ? CT : L;
            // rows: t = Bᵀ d, Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1] (row i: d[RA[i]] ∓ d[RB[i]]); then V = t B
            for (int i = 0; i < 4; i++) {
                int a = 4 * RA[i], b = 4 * RB[i];
                FloatVector t0 = FloatVector.fromArray(S, ph, off[a] + p), u0 = FloatVector.fromArray(S, ph, off[b] + p),
                        t1 = FloatVector.fromArray(S, ph, off[a + 1] + p), u1 = FloatVector.fromArray(S, ph, off[b + 1] + p),
                        t2 = FloatVector.fromArray(S, ph, off[a + 2] + p), u2 = FloatVector.fromArray(S, ph, off[b + 2] + p),
                        t3 = FloatVector.fromArray(S, ph, off[a + 3] + p), u3 = FloatVector.fromArray(S, ph, off[b + 3] + p);
                if (i == 1) { t0 = t0.add(u0); t1 = t1.add(u1); t2 = t2.add(u2); t3 = t3.add(u3); }
                else { t0 = t0.sub(u0); t1 = t1.sub(u1); t2 = t2.sub(u2); t3 = t3.sub(u3); }
                int o = at + 4 * i * step;
                t0.sub(t2).intoArray(to, o);
                t1.add(t2).intoArray(to, o + step);
                t2.sub(t1).intoArray(to, o + 2 * step);
                t1.sub(t3).intoArray(to, o + 3 * step);
            }
            if (!whole)
                for (int xi = 0; xi < 16; xi++) System.arraycopy(ip.tail, xi * L, v, xi * CT + into, hi - p);
        }
    }

    /**
     * V[ξ] [C, T] (runs vs floats apart) for g images from x[xOff..]: every (image, channel) plane's tiles, image i's
     * at column i * tiles; the planes split over the threads.
     */
    private static void transformInputs(float[] x, int xOff, int g, int C, int H, int W, int T, float[] v, int vs) {
        int th = (H + 1) / 2, tw = (W + 1) / 2, tiles = th * tw;
        Elementwise.splitItems(g * C, (long) g * C * H * W, (lo, hi) -> {
            InputPhases ip = phases(H, W);
            for (int p = lo; p < hi; p++) {
                ip.fill(x, xOff + p * H * W, H, W, 0, th);
                transformInput(ip, 0, tiles, v, p % C * T + p / C * tiles, vs, 0);
            }
        });
    }

    /** Per thread: its {@link InputPhases}, reused across calls like {@link #BUFFERS}. */
    private static final ThreadLocal<InputPhases> PHASES = ThreadLocal.withInitial(InputPhases::new);

    /** This thread's input phases, laid out for H x W planes. */
    private static InputPhases phases(int H, int W) {
        return PHASES.get().resize(H, W);
    }

    /** The patch rows Bᵀ's row i combines: t[i] = d[RA[i]] - d[RB[i]], but d[1] + d[2] for i = 1. */
    private static final int[] RA = {0, 1, 2, 1}, RB = {2, 2, 1, 3};

    /**
     * The output plane at y[plane..] (H x W, tw tiles per row) for its tiles [t0, t1): Aᵀ M A per tile, Aᵀ = [1 1 1 0;
     * 0 1 -1 -1], in vector lanes over the tiles, read straight from M's 16 runs (src.., OT floats apart; m has
     * {@link #L} floats of slack at its end for the last ragged vector). The four outputs of each tile land in q [4,
     * t1 - t0 rounded up to L] and are then interleaved into the 2x2 blocks of y, the last row/column dropped on odd
     * sizes. What was written is then put through {@code epi} (channel {@code o}) unless it is null, as few contiguous
     * runs as possible (the whole plane when the range is all of it; rows 14 or 28 wide would leave much of the work
     * to the scalar tail): the runs of a tile range partition its outputs, so every output goes through it exactly
     * once, chunks or not.
     */
    private static void transformOutput(float[] m, int src, int OT, int t0, int t1, int H, int W, int tw, float[] y,
                                        int plane, float[] q, Epilogue epi, int o) {
        int qs = q.length / 4;
        for (int p = 0; p < t1 - t0; p += L) {
            for (int i = 0; i < 2; i++) {
                // s = row i of Aᵀ M (1x4), then its two outputs s A
                FloatVector s0 = sRow(m, i, 0, OT, src + p), s1 = sRow(m, i, 1, OT, src + p),
                        s2 = sRow(m, i, 2, OT, src + p), s3 = sRow(m, i, 3, OT, src + p);
                s0.add(s1).add(s2).intoArray(q, (2 * i) * qs + p);
                s1.sub(s2).sub(s3).intoArray(q, (2 * i + 1) * qs + p);
            }
        }
        int runStart = -1, runEnd = -1;        // the contiguous run of y written so far, for epi
        for (int ty = t0 / tw; ty * tw < t1; ty++) {
            int tx0 = Math.max(0, t0 - ty * tw), tx1 = Math.min(tw, t1 - ty * tw);
            for (int i = 0; i < 2; i++) {
                int h = 2 * ty + i;
                if (h >= H) break;
                int r = plane + h * W, q0 = 2 * i * qs + ty * tw - t0, q1 = q0 + qs;
                // Tiles with both columns inside the map, then an odd width's last tile (its left column only). With
                // the column test inside one loop, a training step logged 4 "profile_predicate" traps here
                // (-Xlog:deoptimization) and C2 recompiled it without its hoisted checks, as GemmBlocked.packB had.
                int full = Math.min(tx1, W / 2);
                for (int tx = tx0; tx < full; tx++) {
                    y[r + 2 * tx] = q[q0 + tx];
                    y[r + 2 * tx + 1] = q[q1 + tx];
                }
                for (int tx = Math.max(tx0, full); tx < tx1; tx++) y[r + 2 * tx] = q[q0 + tx];
                if (epi == null) continue;
                int c0 = r + 2 * tx0, c1 = r + Math.min(W, 2 * tx1);
                if (c0 != runEnd) {
                    if (runEnd > runStart) epi.apply(y, runStart, runEnd - runStart, o);
                    runStart = c0;
                }
                runEnd = c1;
            }
        }
        if (epi != null && runEnd > runStart) epi.apply(y, runStart, runEnd - runStart, o);
    }

    /** (Aᵀ M)[i, j] for the tiles at src.. of the runs M[ξ] (OT floats apart). */
    private static FloatVector sRow(float[] m, int i, int j, int OT, int src) {
        FloatVector m1 = FloatVector.fromArray(S, m, (4 + j) * OT + src), m2 = FloatVector.fromArray(S, m, (8 + j) * OT + src);
        return i == 0 ? FloatVector.fromArray(S, m, j * OT + src).add(m1).add(m2)
                : m1.sub(m2).sub(FloatVector.fromArray(S, m, (12 + j) * OT + src));
    }

    /**
     * dw[O, C, 3, 3] += the weight gradient of {@link #forward}: the sum over the batch of dY[n, o] correlated with
     * x[n, c] (stride 1, padding 1). Y = Aᵀ (U ⊙ V) A is linear in U = G g Gᵀ, so per tile dL/dU = (A dY Aᵀ) ⊙ V
     * and dL/dg = Gᵀ (dL/dU) G; summed over tiles that is again 16 GEMMs, dU[ξ] [O, C] = E[ξ] [O, T] · V[ξ]ᵀ with
     * E = A dY Aᵀ per tile (its 2x2 block of dY, zero past the map), then dW = Gᵀ dU G per kernel: 2.25x fewer
     * multiply-adds than dY · colᵀ. The groups of images add into dU in order and each GEMM runs whole on one
     * thread; on larger maps the batch is cut into {@link #SLOTS} fixed ranges of images, each summed into a dU of its
     * own by one thread and added in order ({@link #gradSlotMinImageTiles}). Either way the result does not depend on
     * the thread count.
     */
    public static void weightGrad(float[] x, float[] dy, int N, int C, int H, int W, int O, float[] dw) {
        int perImage = ((H + 1) / 2) * ((W + 1) / 2);
        int slots = perImage >= gradSlotMinImageTiles ? Math.min(SLOTS, N) : 1;
        // images per group: bounded by maxTiles with shared phases, by V's size (slotGroupFloats) in a slot
        int G = slots == 1 ? Math.max(1, Math.min(N, maxTiles / perImage))
                : Math.max(1, Math.min((N + slots - 1) / slots, slotGroupFloats / (C * perImage))), OC16 = 16 * O * C;
        float[] du = buffer(BUFFERS.get(), U_BUF, slots * OC16);
        if (slots == 1) {
            gradientGroups(x, dy, 0, N, G, C, H, W, O, du, 0);
        } else {
            // Slot s sums its fixed range of images into its own dU, whole on one thread; the slots are added in
            // order, so the result depends on the shape only, not on the threads.
            Parallel.forEachItem(slots, (lo, hi) -> {
                for (int s = lo; s < hi; s++) gradientGroups(x, dy, s * N / slots, (s + 1) * N / slots, G, C, H, W, O, du, s * OC16);
            });
        }
        // Per range of out-channels, in one pass: the later slots' dU added into slot 0's, slot after slot, then folded
        // into dW by the same thread while those rows are in its cache.
        Elementwise.splitItems(O, (long) slots * OC16, (lo, hi) -> {
            for (int s = 1; s < slots; s++) {
                for (int xi = 0; xi < 16; xi++) {
                    int row = xi * O * C + lo * C;
                    Elementwise.addTo(du, s * OC16 + row, du, row, (hi - lo) * C);
                }
            }
            gradientToKernels(du, lo * C, hi * C, O * C, dw);
        });
    }

    /**
     * Tiles per image from which {@link #weightGrad} cuts the batch into image slots (maps of 14 x 14 and up: ResNet's
     * layer1-layer3); package-private for tests. Each image's V and E (3.2 MB each at layer1) are memory-bound
     * passes, and with every phase split over the threads they moved between the cores: on two threads layer1's and
     * layer2's dW ran at 0.92-1.03x of one thread in most processes; layer1's, measured next to the cores' distance,
     * at 0.94-0.99x when the host had put the two vCPUs far apart (a cache line's round trip ~370 ns, bench
     * CoreLatency) and 1.30-1.55x when near (~43 ns); layer3's at 1.41-1.83x. With the slots: 1.74-1.98x (layer1
     * far apart 1.88-1.92x) and, in groups bounded by {@link #slotGroupFloats}, 1.95-1.97x.
     * Layer4 (16 tiles, the whole batch of 32 in one group of 16 GEMMs of 512 x 512 x 512) already ran at 1.9-2.0x
     * and keeps one dU (docs/performance.md).
     */
    static int gradSlotMinImageTiles = 49;

    /**
     * Floats of one ξ of V (C x tiles) for a slot's group of images: with a slot per thread, two groups' V and E are
     * live at once, so a group holds as much as layer1's one image (64 x 784, 3.2 MB for all of V). Layer3 in groups
     * of 8 images (V 6.4 MB) ran its dW at 1.48-1.52x of one thread on two in some processes; in groups of 4,
     * 1.95-1.97x in each of three (docs/performance.md). Package-private for tests.
     */
    static int slotGroupFloats = 64 * 784;

    /**
     * Image slots of {@link #weightGrad} and of the forward's groups: more than two, so two threads still share the
     * work when one runs slower.
     */
    private static final int SLOTS = 4;

    /**
     * du[duOff + ξ*O*C ..] (the [16, O, C] dU) = the sum over images [n0, n1) of their E[ξ] · V[ξ]ᵀ, in groups of G
     * images, in order. Its phases split over the threads when called outside a parallel region.
     */
    private static void gradientGroups(float[] x, float[] dy, int n0, int n1, int G, int C, int H, int W, int O,
                                       float[] du, int duOff) {
        int th = (H + 1) / 2, tw = (W + 1) / 2, perImage = th * tw, Tmax = G * perImage;
        float[][] b = BUFFERS.get();        // the forward's buffers: V, E in M's place
        float[] v = buffer(b, V_BUF, 16 * runStride(C * Tmax)), e = buffer(b, M_BUF, 16 * runStride(O * Tmax) + L);
        for (int g0 = n0; g0 < n1; g0 += G) {
            int g = Math.min(G, n1 - g0), T = g * perImage, xOff = g0 * C * H * W, dyOff = g0 * O * H * W;
            int vs = runStride(C * T), es = runStride(O * T);
            boolean add = g0 > n0;
            transformInputs(x, xOff, g, C, H, W, T, v, vs);
            Elementwise.splitItems(g * O, (long) g * O * H * W, (lo, hi) -> {
                float[] q = buffer(BUFFERS.get(), Q, 4 * gradientPlane(perImage) + 16 * L);
                for (int p = lo; p < hi; p++) transformGradient(dy, dyOff, p / O, p % O, O, H, W, th, tw, T, e, es, q);
            });
            // dU[ξ] [O, C] (+)= E[ξ] [O, T] · V[ξ] [C, T]ᵀ
            Parallel.forEachItem(16, (lo, hi) -> {
                for (int xi = lo; xi < hi; xi++)
                    GemmBlocked.DEFAULT.sgemm(false, true, O, C, T, e, xi * es, T, v, xi * vs, T, du, duOff + xi * O * C, C, add);
            });
        }
    }

    /**
     * Floats per plane of {@link #transformGradient}'s q for a map of {@code tiles} tiles: whole vectors, plus L of slack
     * for the row split's spill past the last row.
     */
    private static int gradientPlane(int tiles) {
        return (tiles + L - 1) / L * L + L;
    }

    /**
     * E[ξ, o, t] (runs OT floats apart) = (A dY_t Aᵀ)[ξ] for the tiles t of plane (n, o) of dY (from dyOff),
     * A = (Aᵀ)ᵀ = [1 0; 1 1; 1 -1; 0 -1]: the plane's 2x2 blocks are split by their four positions into q [4,
     * {@link #gradientPlane}(tiles)] (zeros past the map), then transformed in vector lanes over the tiles, like
     * {@link #transformInput}.
     */
    private static void transformGradient(float[] dy, int dyOff, int n, int o, int O, int H, int W, int th, int tw, int T,
                                          float[] e, int OT, float[] q) {
        int plane = dyOff + (n * O + o) * H * W, tiles = th * tw, qs = gradientPlane(tiles);
        int dst = o * T + n * tiles, tail = 4 * qs;
        // the even / odd split reads whole vectors up to here past a row's start
        int reach = 2 * ((tw - 1) / L * L) + 2 * L;
        for (int ty = 0; ty < th; ty++) {
            for (int a = 0; a < 2; a++) {
                int h = 2 * ty + a, q0 = 2 * a * qs + ty * tw, q1 = q0 + qs;
                if (h >= H) {
                    java.util.Arrays.fill(q, q0, q0 + tw, 0f);
                    java.util.Arrays.fill(q, q1, q1 + tw, 0f);
                    continue;
                }
                int r = plane + h * W;
                if (r + reach <= dy.length) {
                    // Columns 2tx and 2tx + 1 of L tiles at once: the even and odd lanes of two vectors, as the input
                    // transform splits its rows (with a scalar loop here, transformGradient was 4.9% of a two-thread
                    // resnet18 b32 step's JFR samples). Lanes past tw spill into the next row of the same plane
                    // (written after) or the plane's slack of L; an odd width's last odd column (2tx + 1 = W) reads
                    // the next row and is zeroed.
                    for (int tx = 0; tx < tw; tx += L) {
                        FloatVector lo = FloatVector.fromArray(S, dy, r + 2 * tx), hi = FloatVector.fromArray(S, dy, r + 2 * tx + L);
                        Lanes.evens(lo, hi).intoArray(q, q0 + tx);
                        FloatVector odd = Lanes.odds(lo, hi);
                        if (tx + L > W / 2) odd = Lanes.within(odd, tx, 0, W / 2);
                        odd.intoArray(q, q1 + tx);
                    }
                    continue;
                }
                for (int tx = 0; tx < tw; tx++) {       // the last rows of dy, where the vectors would read past it
                    q[q0 + tx] = dy[r + 2 * tx];
                    q[q1 + tx] = 2 * tx + 1 < W ? dy[r + 2 * tx + 1] : 0f;
                }
            }
        }
        for (int p = 0; p < tiles; p += L) {
            boolean whole = p + L <= tiles;
            // a ragged last vector goes to q's tail: full stores would run into the next plane's tiles
            float[] to = whole ? e : q;
            int at = whole ? dst + p : tail, step = whole ? OT : L;
            FloatVector y00 = FloatVector.fromArray(S, q, p), y01 = FloatVector.fromArray(S, q, qs + p),
                    y10 = FloatVector.fromArray(S, q, 2 * qs + p), y11 = FloatVector.fromArray(S, q, 3 * qs + p);
            for (int i = 0; i < 4; i++) {
                // row i of A dY (1x2), then its four entries times Aᵀ
                FloatVector r0 = i == 0 ? y00 : i == 1 ? y00.add(y10) : i == 2 ? y00.sub(y10) : y10.neg();
                FloatVector r1 = i == 0 ? y01 : i == 1 ? y01.add(y11) : i == 2 ? y01.sub(y11) : y11.neg();
                int at4 = at + 4 * i * step;
                r0.intoArray(to, at4);
                r0.add(r1).intoArray(to, at4 + step);
                r0.sub(r1).intoArray(to, at4 + 2 * step);
                r1.neg().intoArray(to, at4 + 3 * step);
            }
            if (!whole)
                for (int xi = 0; xi < 16; xi++) System.arraycopy(q, tail + xi * L, e, xi * OT + dst + p, tiles - p);
        }
    }

    /**
     * dw[k] += (Gᵀ dU[k] G) for the kernels k = o*C + c in [k0, k1) (du is [16, OC]), Gᵀ = [1 1/2 1/2 0; 0 1/2 -1/2
     * 0; 0 1/2 1/2 1]: blocks of {@link #WB} kernels gathered from du's 16 runs into blk [16, WB], transformed in
     * vector lanes into out [9, WB], and added to the kernels' 9 weights.
     */
    private static void gradientToKernels(float[] du, int k0, int k1, int OC, float[] dw) {
        float[] blk = new float[16 * WB], out = new float[9 * WB];
        for (int b0 = k0; b0 < k1; b0 += WB) {
            int nb = Math.min(WB, k1 - b0);
            for (int xi = 0; xi < 16; xi++) System.arraycopy(du, xi * OC + b0, blk, xi * WB, nb);
            for (int k = 0; k < nb; k += L) {
                // column j of Q = Gᵀ dU (3x4), then row i of Q G
                for (int i = 0; i < 3; i++) {
                    FloatVector q0 = qEntry(blk, i, 0, k), q1 = qEntry(blk, i, 1, k), q2 = qEntry(blk, i, 2, k),
                            q3 = qEntry(blk, i, 3, k);
                    q0.add(q1.add(q2).mul(0.5f)).intoArray(out, (3 * i) * WB + k);
                    q1.sub(q2).mul(0.5f).intoArray(out, (3 * i + 1) * WB + k);
                    q1.add(q2).mul(0.5f).add(q3).intoArray(out, (3 * i + 2) * WB + k);
                }
            }
            for (int k = 0; k < nb; k++)
                for (int t = 0; t < 9; t++) dw[(b0 + k) * 9 + t] += out[t * WB + k];
        }
    }

    /** (Gᵀ dU)[i, j] for the kernels k.. of blk [16, WB]. */
    private static FloatVector qEntry(float[] blk, int i, int j, int k) {
        FloatVector u1 = FloatVector.fromArray(S, blk, (4 + j) * WB + k), u2 = FloatVector.fromArray(S, blk, (8 + j) * WB + k);
        return switch (i) {
            case 0 -> FloatVector.fromArray(S, blk, j * WB + k).add(u1.add(u2).mul(0.5f));
            case 1 -> u1.sub(u2).mul(0.5f);
            default -> u1.add(u2).mul(0.5f).add(FloatVector.fromArray(S, blk, (12 + j) * WB + k));
        };
    }

    /** Whether {@link #forward} applies: a 3x3 kernel, stride 1, padding 1. */
    public static boolean applies(int K, int stride, int pad) {
        return K == 3 && stride == 1 && pad == 1;
    }
}
