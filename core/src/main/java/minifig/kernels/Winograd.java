package minifig.kernels;

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
 * with the three transforms (passes over memory 4x the size of the input and of the output). docs/layers/conv2d.md
 * derives it; {@link Im2colNaive} + {@link GemmNaive} are the specification the tests compare against.
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
        int th = (H + 1) / 2, tw = (W + 1) / 2, perImage = th * tw;
        int G = Math.max(1, Math.min(N, maxTiles / perImage)), Tmax = G * perImage;
        // V [16, C, T], M [16, O, T] and U [16, O, C] are allocated per call, not kept per thread like the other
        // kernels' workspaces: kept, these 17-50 MB raised the main job's peak RSS by 100-230 MB (the heap grew
        // around them), and in one process fresh arrays measured no slower (0.96-1.41x; docs/performance.md).
        float[] v = new float[16 * C * Tmax], m = new float[16 * O * Tmax], u = new float[16 * O * C];
        Elementwise.splitItems(O, (long) O * C * 9, (lo, hi) -> transformWeights(w, lo * C, hi * C, O * C, u));
        for (int n0 = 0; n0 < N; n0 += G) {
            int g = Math.min(G, N - n0), T = g * perImage, xOff = n0 * C * H * W, yo = yOff + n0 * O * H * W;
            // V[ξ] [C, T]: every (image, channel) plane's tiles; planes split over the threads
            Elementwise.splitItems(g * C, (long) g * C * H * W, (lo, hi) -> {
                float[] blk = new float[16 * perImage];
                for (int p = lo; p < hi; p++) transformInput(x, xOff, p / C, p % C, C, H, W, th, tw, T, v, blk);
            });
            // M[ξ] = U[ξ] [O, C] · V[ξ] [C, T]: whole GEMMs per thread (a GEMM inside a parallel slice runs serially)
            Parallel.parallelFor(16, (lo, hi) -> {
                for (int xi = lo; xi < hi; xi++)
                    GemmBlocked.DEFAULT.sgemm(false, false, O, T, C, u, xi * O * C, C, v, xi * C * T, T, m, xi * O * T, T, false);
            });
            Elementwise.splitItems(g * O, (long) g * O * H * W, (lo, hi) -> {
                float[] blk = new float[16 * perImage];
                for (int p = lo; p < hi; p++) transformOutput(m, p / O, p % O, O, H, W, th, tw, T, y, yo, blk);
            });
        }
    }

    /** Kernels per block of the weight transform (see there). */
    private static final int WB = 64;

    /**
     * u[ξ, o, c] = (G g Gᵀ)[ξ] for the 3x3 kernels g = w[o, c] with o*C + c in [oc0, oc1) (u is [16, OC]). The
     * results of a block of {@link #WB} kernels go to a small [16, WB] buffer first and then to u as 16 runs:
     * stored one float at a time, the 16 destinations of each kernel are OC floats apart (1 MB for 512 x 512),
     * and that scatter took 10.5 ms of layer4's 39 ms at batch 8 (docs/performance.md).
     */
    static void transformWeights(float[] w, int oc0, int oc1, int OC, float[] u) {
        float[] t = new float[12], blk = new float[16 * WB];
        for (int b0 = oc0; b0 < oc1; b0 += WB) {
            int nb = Math.min(WB, oc1 - b0);
            for (int k = 0; k < nb; k++) {
                int s = (b0 + k) * 9;
                // t = G g (4x3), G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
                for (int j = 0; j < 3; j++) {
                    float g0 = w[s + j], g1 = w[s + 3 + j], g2 = w[s + 6 + j];
                    t[j] = g0;
                    t[3 + j] = 0.5f * (g0 + g1 + g2);
                    t[6 + j] = 0.5f * (g0 - g1 + g2);
                    t[9 + j] = g2;
                }
                // U = t Gᵀ (4x4)
                for (int i = 0; i < 4; i++) {
                    float a = t[3 * i], b = t[3 * i + 1], c = t[3 * i + 2];
                    blk[(4 * i) * WB + k] = a;
                    blk[(4 * i + 1) * WB + k] = 0.5f * (a + b + c);
                    blk[(4 * i + 2) * WB + k] = 0.5f * (a - b + c);
                    blk[(4 * i + 3) * WB + k] = c;
                }
            }
            for (int xi = 0; xi < 16; xi++) System.arraycopy(blk, xi * WB, u, xi * OC + b0, nb);
        }
    }

    /**
     * V[ξ, c, t] = (Bᵀ d B)[ξ] for every tile t of image n (of the group at xOff), channel c (zero padding 1),
     * computed into blk [16, tiles of a plane] and copied to V as 16 runs.
     */
    private static void transformInput(float[] x, int xOff, int n, int c, int C, int H, int W, int th, int tw, int T,
                                       float[] v, float[] blk) {
        int plane = xOff + (n * C + c) * H * W, CT = C * T, tiles = th * tw;
        float[] d = new float[16];
        for (int ty = 0; ty < th; ty++) {
            for (int tx = 0; tx < tw; tx++) {
                for (int i = 0; i < 4; i++) {
                    int h = 2 * ty + i - 1;
                    for (int j = 0; j < 4; j++) {
                        int ww = 2 * tx + j - 1;
                        d[4 * i + j] = h >= 0 && h < H && ww >= 0 && ww < W ? x[plane + h * W + ww] : 0f;
                    }
                }
                // rows: t = Bᵀ d, Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]; then columns: V = t B
                int base = ty * tw + tx;
                for (int j = 0; j < 4; j++) {
                    float d0 = d[j], d1 = d[4 + j], d2 = d[8 + j], d3 = d[12 + j];
                    d[j] = d0 - d2;
                    d[4 + j] = d1 + d2;
                    d[8 + j] = d2 - d1;
                    d[12 + j] = d1 - d3;
                }
                for (int i = 0; i < 4; i++) {
                    float t0 = d[4 * i], t1 = d[4 * i + 1], t2 = d[4 * i + 2], t3 = d[4 * i + 3];
                    blk[(4 * i) * tiles + base] = t0 - t2;
                    blk[(4 * i + 1) * tiles + base] = t1 + t2;
                    blk[(4 * i + 2) * tiles + base] = t2 - t1;
                    blk[(4 * i + 3) * tiles + base] = t1 - t3;
                }
            }
        }
        // The plane's tiles are one run per ξ in V; written through blk, not one float per ξ C*T apart.
        int dst = c * T + n * tiles;
        for (int xi = 0; xi < 16; xi++) System.arraycopy(blk, xi * tiles, v, xi * CT + dst, tiles);
    }

    /**
     * y[n, o] = Aᵀ M A per tile, Aᵀ = [1 1 1 0; 0 1 -1 -1]; the last row/column dropped on odd sizes. The plane's
     * 16 runs of M are copied into blk [16, tiles] first.
     */
    private static void transformOutput(float[] m, int n, int o, int O, int H, int W, int th, int tw, int T, float[] y, int yOff,
                                        float[] blk) {
        int plane = yOff + (n * O + o) * H * W, OT = O * T, tiles = th * tw, src = o * T + n * tiles;
        for (int xi = 0; xi < 16; xi++) System.arraycopy(m, xi * OT + src, blk, xi * tiles, tiles);
        float[] s = new float[8];
        for (int ty = 0; ty < th; ty++) {
            for (int tx = 0; tx < tw; tx++) {
                int base = ty * tw + tx;
                // s = Aᵀ M (2x4)
                for (int j = 0; j < 4; j++) {
                    float m0 = blk[j * tiles + base], m1 = blk[(4 + j) * tiles + base], m2 = blk[(8 + j) * tiles + base],
                            m3 = blk[(12 + j) * tiles + base];
                    s[j] = m0 + m1 + m2;
                    s[4 + j] = m1 - m2 - m3;
                }
                for (int i = 0; i < 2; i++) {
                    int h = 2 * ty + i;
                    if (h >= H) break;
                    float y0 = s[4 * i] + s[4 * i + 1] + s[4 * i + 2], y1 = s[4 * i + 1] - s[4 * i + 2] - s[4 * i + 3];
                    int r = plane + h * W + 2 * tx;
                    y[r] = y0;
                    if (2 * tx + 1 < W) y[r + 1] = y1;
                }
            }
        }
    }

    /** Whether {@link #forward} applies: a 3x3 kernel, stride 1, padding 1. */
    public static boolean applies(int K, int stride, int pad) {
        return K == 3 && stride == 1 && pad == 1;
    }
}
