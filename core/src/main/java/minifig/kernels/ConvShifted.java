package minifig.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Convolution forward as a GEMM whose B panels are packed from a zero-padded copy of the image by plain
 * contiguous copies. With stride 1 and the image padded to [C, Hp, Wp], output pixel q = oh*Wp + ow (on a
 * grid as wide as the padded image; the last Wp - OW columns of each row are garbage and dropped) reads
 * {@code xp[off(c, kh, kw) + q]} with {@code off = c*Hp*Wp + kh*Wp + kw}: every row of the col matrix is
 * the padded image shifted by a constant, so a panel row is one contiguous run of 24 floats, with no
 * padding or row-boundary logic ({@link Im2colPanels}' per-run gather was a fifth of a ResNet-18 forward,
 * mostly at layer1/layer2 and the stem, where only 64-128 weight rows reuse each packed panel).
 *
 * <p>Stride s > 1 becomes stride 1 by splitting the padded image into its s x s phases
 * {@code xp[a][b][c][i][j] = xpad[c][i*s + a][j*s + b]} (each [Hq, Wq], Hq = ceil(Hp / s)): tap (kh, kw)
 * reads phase (kh % s, kw % s) shifted by (kh / s, kw / s), so off = phase offset + c*Hq*Wq + (kh/s)*Wq + kw/s
 * and q = oh*Wq + ow. Only the min(s, K)² phases a tap can read are built.
 *
 * <p>The weights (A) are packed once per call and reused by every image. docs/performance.md has the
 * measurement; {@link Im2colNaive} + {@link GemmNaive} are the specification the tests compare against.
 */
public final class ConvShifted {
    private ConvShifted() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length(), NR = GemmBlocked.NR;

    /** Per-thread phase images and GEMM output, grown on demand and reused across calls. */
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[2][0]);

    /**
     * y[N, O, OH, OW] = conv(x[N, C, H, W], w[O, C, K, K]) with the given stride and zero padding;
     * y (from yOff) is overwritten, no bias. Runs on up to {@link Parallel#threads()} threads.
     */
    public static void forward(float[] w, int O, float[] x, int N, int C, int H, int W, int K, int stride, int pad,
                               float[] y, int yOff) {
        int OH = Im2col.outSize(H, K, stride, pad), OW = Im2col.outSize(W, K, stride, pad);
        if (OH <= 0 || OW <= 0) throw new IllegalArgumentException("kernel " + K + " larger than the padded " + H + "x" + W + " image");
        int Hq = ceilDiv(H + 2 * pad, stride), Wq = ceilDiv(W + 2 * pad, stride), P = Math.min(stride, K);
        int CKK = C * K * K, plane = Hq * Wq, cols = OH * Wq;
        int[] off = new int[CKK];
        for (int c = 0, k = 0; c < C; c++)
            for (int kh = 0; kh < K; kh++)
                for (int kw = 0; kw < K; kw++) {
                    int phase = (kh % stride) * P + kw % stride;
                    off[k++] = (phase * C + c) * plane + kh / stride * Wq + kw / stride;
                }
        float[][] buf = BUFFERS.get();
        // The last panel reads up to NR - 1 columns past the grid; the slack keeps those reads inside the array.
        int size = P * P * C * plane + NR + K;
        if (buf[0].length < size) buf[0] = new float[size];
        if (buf[1].length < O * cols) buf[1] = new float[O * cols];
        float[] xp = buf[0], out = buf[1];
        Panels panels = new Panels(xp, off);
        GemmBlocked.PackedA a = GemmBlocked.DEFAULT.pack(false, O, CKK, w, 0, CKK);     // once for all images
        for (int n = 0; n < N; n++) {
            phases(x, n * C * H * W, C, H, W, stride, pad, P, xp);
            GemmBlocked.DEFAULT.sgemm(a, cols, panels, out, 0, cols, false);
            int yn = yOff + n * O * OH * OW;
            for (int o = 0; o < O; o++)
                for (int oh = 0; oh < OH; oh++) System.arraycopy(out, o * cols + oh * Wq, y, yn + (o * OH + oh) * OW, OW);
        }
    }

    /**
     * xp [P, P, C, Hq, Wq] = the phases (a, b) < P of x [C, H, W] (from xOff) zero-padded by pad:
     * xp[a][b][c][i][j] = x[c][i*s + a - pad][j*s + b - pad], or 0 outside the image. With s = 1 this is
     * the padded image itself.
     */
    static void phases(float[] x, int xOff, int C, int H, int W, int s, int pad, int P, float[] xp) {
        int Hq = ceilDiv(H + 2 * pad, s), Wq = ceilDiv(W + 2 * pad, s);
        for (int a = 0; a < P; a++)
            for (int b = 0; b < P; b++)
                for (int c = 0; c < C; c++) {
                    int base = ((a * P + b) * C + c) * Hq * Wq;
                    for (int i = 0; i < Hq; i++) {
                        int ih = i * s + a - pad, d = base + i * Wq;
                        if (ih < 0 || ih >= H) {
                            Arrays.fill(xp, d, d + Wq, 0f);
                            continue;
                        }
                        int src = xOff + (c * H + ih) * W;
                        if (s == 1) {                                          // left pad, the row, right pad
                            Arrays.fill(xp, d, d + pad, 0f);
                            System.arraycopy(x, src, xp, d + pad, W);
                            Arrays.fill(xp, d + pad + W, d + Wq, 0f);
                        } else {
                            for (int j = 0; j < Wq; j++) {
                                int iw = j * s + b - pad;
                                xp[d + j] = iw >= 0 && iw < W ? x[src + iw] : 0f;
                            }
                        }
                    }
                }
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /**
     * B panels of the shifted col matrix: panel row p of columns [q, q + NR) is the contiguous run
     * xp[off[k] + q, + NR) (k = pc + p), so packing is three vector copies per row with no padding logic.
     * Columns past the grid are packed as zeros.
     */
    private record Panels(float[] xp, int[] off) implements GemmBlocked.BPanels {
        @Override
        public void pack(int pc, int kcb, int jc, int ncb, float[] bp, int bpOff) {
            for (int jr = 0; jr < ncb; jr += NR) {
                int nr = Math.min(NR, ncb - jr), panel = bpOff + jr * kcb;
                for (int p = 0; p < kcb; p++) {
                    int src = off[pc + p] + jc + jr, dst = panel + p * NR;
                    if (nr == NR) {
                        FloatVector.fromArray(S, xp, src).intoArray(bp, dst);
                        FloatVector.fromArray(S, xp, src + V).intoArray(bp, dst + V);
                        FloatVector.fromArray(S, xp, src + 2 * V).intoArray(bp, dst + 2 * V);
                    } else {
                        System.arraycopy(xp, src, bp, dst, nr);
                        Arrays.fill(bp, dst + nr, dst + NR, 0f);
                    }
                }
            }
        }
    }
}
