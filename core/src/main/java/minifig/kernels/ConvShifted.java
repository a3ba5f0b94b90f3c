package minifig.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Stride-1 convolution forward as a GEMM whose B panels are packed from a zero-padded copy of the image by
 * plain contiguous copies. With the image padded to [C, Hp, Wp], output pixel q = oh*Wp + ow (on a grid as
 * wide as the padded image; the last Wp - OW columns of each row are garbage and dropped) reads
 * {@code xpad[off(c, kh, kw) + q]} with {@code off = c*Hp*Wp + kh*Wp + kw}: every row of the col matrix is
 * the padded image shifted by a constant, so a panel row is one run of 24 floats, with none of
 * {@link Im2colPanels}' run, padding and row-boundary logic (that gather was a fifth of a ResNet-18 forward,
 * mostly at layer1/layer2, where only 64-128 weight rows reuse each packed panel). Reading B unpacked
 * straight from the copy in the micro-kernel was tried and was slower (unaligned loads from scattered rows).
 * The weights (A) are packed once per call ({@link GemmBlocked.PackedA}) and reused by every image.
 * docs/performance.md has the measurements; {@link Im2colNaive} + {@link GemmNaive} are the specification
 * the tests compare against.
 */
public final class ConvShifted {
    private ConvShifted() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length(), NR = GemmBlocked.NR;

    /** Per-thread padded image and GEMM output, grown on demand and reused across calls. */
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[2][0]);

    /**
     * y[N, O, OH, OW] = conv(x[N, C, H, W], w[O, C, K, K]) with stride 1 and zero padding {@code pad};
     * y (from yOff) is overwritten, no bias. Runs on up to {@link Parallel#threads()} threads.
     */
    public static void forward(float[] w, int O, float[] x, int N, int C, int H, int W, int K, int pad,
                               float[] y, int yOff) {
        int Hp = H + 2 * pad, Wp = W + 2 * pad, OH = Hp - K + 1, OW = Wp - K + 1;
        if (OH <= 0 || OW <= 0) throw new IllegalArgumentException("kernel " + K + " larger than the padded " + H + "x" + W + " image");
        int CKK = C * K * K, planeP = Hp * Wp, cols = OH * Wp;
        int[] off = rowOffsets(C, K, Hp, Wp, CKK);
        GemmBlocked.PackedA a = GemmBlocked.DEFAULT.pack(false, O, CKK, w, 0, CKK);     // once for all images
        // Whole images per thread when there are enough, each with its own padded copy and output buffer: the
        // padding and output copies then run in parallel too.
        Parallel.forEachWhole(N, (lo, hi) -> {
            float[][] buf = BUFFERS.get();
            // The last panel reads up to NR - 1 columns past the grid; the slack keeps those reads inside the array.
            int padSize = C * planeP + NR + K;
            if (buf[0].length < padSize) buf[0] = new float[padSize];
            if (buf[1].length < O * cols) buf[1] = new float[O * cols];
            float[] xp = buf[0], out = buf[1];
            Panels panels = new Panels(xp, off);
            for (int n = lo; n < hi; n++) {
                padImage(x, n * C * H * W, C, H, W, pad, xp);
                GemmBlocked.DEFAULT.sgemm(a, cols, panels, out, 0, cols, false);
                int yn = yOff + n * O * OH * OW;
                for (int o = 0; o < O; o++)
                    for (int oh = 0; oh < OH; oh++) System.arraycopy(out, o * cols + oh * Wp, y, yn + (o * OH + oh) * OW, OW);
            }
        });
    }

    /**
     * Where each row (c, kh, kw) of the col matrix starts in the padded image [C, Hp, Wp]:
     * c*Hp*Wp + kh*Wp + kw. Entries from C*K*K up to {@code length} stay 0 (row 0).
     */
    static int[] rowOffsets(int C, int K, int Hp, int Wp, int length) {
        int[] off = new int[length];
        for (int c = 0, k = 0; c < C; c++)
            for (int kh = 0; kh < K; kh++)
                for (int kw = 0; kw < K; kw++) off[k++] = c * Hp * Wp + kh * Wp + kw;
        return off;
    }

    /** xp [C, H + 2 pad, W + 2 pad] = x [C, H, W] (from xOff) with a zero border. */
    static void padImage(float[] x, int xOff, int C, int H, int W, int pad, float[] xp) {
        padChannels(x, xOff, 0, C, H, W, pad, xp);
    }

    /** {@link #padImage} for channels [c0, c1) only: xp's planes c0..c1-1 from x's. */
    static void padChannels(float[] x, int xOff, int c0, int c1, int H, int W, int pad, float[] xp) {
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
