package minifig.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Max pooling forward with the Vector API; {@link MaxPoolNaive} is the specification (same values, same argmax,
 * ties to the first maximum in row-major window order, NaN wins). The scalar window loop spent most of its time
 * on unpredictable compare branches (ResNet's stem pool: 3x3 stride 2 over 64 x 112 x 112 per image).
 *
 * <p>Per output row: for each input row of the window, the first maximum of the K values starting at every
 * input column (vectors over columns, K shifted loads of a -infinity padded copy of the row), then merged
 * down the window rows, a later row winning only when strictly greater; the output takes every stride-th
 * column. Row by row and, within a row, column by column, "strictly greater wins" is exactly the row-major
 * first maximum.
 */
public final class MaxPool {
    private MaxPool() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> SI = IntVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    /** Below this many input elements one thread does it. */
    static final long PARALLEL_MIN = 1L << 16;

    /**
     * The largest window whose argmax fits a byte (K*K positions, 0 to 120): a max-pool layer keeps one argmax per output
     * between its forward and backward, and ResNet's stem pool has 25.7 MB of them at batch 32 as ints, 6.4 MB as bytes.
     */
    public static final int MAX_KERNEL_WITH_ARGMAX = 11;

    /** Rejects a window too large for a byte argmax; {@code what} names the kernel size in the message. */
    public static void checkArgmaxKernel(String what, int K) {
        if (K > MAX_KERNEL_WITH_ARGMAX) {
            throw new IllegalArgumentException(what + " must be at most " + MAX_KERNEL_WITH_ARGMAX
                    + " (each max's window position is kept in a byte), got " + K);
        }
    }

    /**
     * Per window position k = kh * K + kw, its offset in a plane of width W from the window's top left corner:
     * backward's input index is that corner's index plus {@code offsets[arg]}.
     */
    public static int[] windowOffsets(int K, int W) {
        int[] off = new int[K * K];
        for (int k = 0; k < off.length; k++) off[k] = k / K * W + k % K;
        return off;
    }

    /** Same contract as {@link MaxPoolNaive#forward}. */
    public static void forward(float[] x, int planes, int H, int W, int K, int stride, int pad, float[] y, byte[] arg) {
        if (arg != null) checkArgmaxKernel("max pooling kernel_size with argmax", K);
        if (SI.length() != V) {     // float and int lanes match on every x86/ARM vector size; keep the reference otherwise
            MaxPoolNaive.forward(x, planes, H, W, K, stride, pad, y, arg);
            return;
        }
        // training's and inference's loops stay two methods (planesValues says why); only the choice is shared here
        Parallel.RangeBody work = arg == null ? (p0, p1) -> planesValues(x, p0, p1, H, W, K, stride, pad, y)
                : (p0, p1) -> planes(x, p0, p1, H, W, K, stride, pad, y, arg);
        if ((long) planes * H * W >= PARALLEL_MIN && planes > 1) Parallel.parallelFor(planes, work);
        else work.run(0, planes);
    }

    /** Planes [p0, p1) with the argmax (training). */
    private static void planes(float[] x, int p0, int p1, int H, int W, int K, int stride, int pad, float[] y, byte[] arg) {
        int OH = Im2col.outSize(H, K, stride, pad), OW = Im2col.outSize(W, K, stride, pad);
        int starts = windowStarts(OW, stride);
        float[] row = paddedRow(starts, K, pad, W);
        int wp = row.length;
        float[] best = new float[starts];                 // per window start: the max so far
        int[] where = new int[starts];                    // and where it is: h * wp + padded column
        for (int plane = p0; plane < p1; plane++) {
            int base = plane * H * W, o = plane * OH * OW;
            for (int oh = 0; oh < OH; oh++) {
                int h0 = Math.max(oh * stride - pad, 0), h1 = Math.min(oh * stride - pad + K, H);
                for (int h = h0; h < h1; h++) {
                    System.arraycopy(x, base + h * W, row, pad, W);
                    mergeRow(row, K, h * wp, starts, best, where, h == h0);
                }
                for (int ow = 0; ow < OW; ow++, o++) {
                    int s = ow * stride, e = where[s], h = e / wp, col = e - h * wp - pad;
                    y[o] = best[s];
                    // A padding column only "wins" when every real value of the window is -infinity; the
                    // reference then keeps the window's first real position.
                    if (!(col >= 0 && col < W)) {
                        h = h0;
                        col = Math.max(s - pad, 0);
                    }
                    arg[o] = (byte) ((h - (oh * stride - pad)) * K + col - (s - pad));
                }
            }
        }
    }

    /**
     * Planes [p0, p1) without the argmax (inference): {@link #planes}' loop with {@link #mergeRowValues}. A separate
     * method, not a branch on {@code arg == null} in one: a training step's max pooling that ran after eval forwards
     * in the same JVM got C2 code compiled while only the eval branch ran, with the argmax branch's vector blends left
     * as their boxed Java fallbacks (JFR: this kernel and the fallbacks it calls went from 0% to 7-8% of the step's
     * samples, the steps 10-30% slower; docs/performance.md, change row "Max pooling's training and eval loops in
     * separate methods").
     * So the loop skeleton is repeated here on purpose: a shared helper taking the row merge as a lambda would share
     * one profile again.
     */
    private static void planesValues(float[] x, int p0, int p1, int H, int W, int K, int stride, int pad, float[] y) {
        int OH = Im2col.outSize(H, K, stride, pad), OW = Im2col.outSize(W, K, stride, pad);
        int starts = windowStarts(OW, stride);
        float[] row = paddedRow(starts, K, pad, W);
        float[] best = new float[starts];
        for (int plane = p0; plane < p1; plane++) {
            int base = plane * H * W, o = plane * OH * OW;
            for (int oh = 0; oh < OH; oh++) {
                int h0 = Math.max(oh * stride - pad, 0), h1 = Math.min(oh * stride - pad + K, H);
                for (int h = h0; h < h1; h++) {
                    System.arraycopy(x, base + h * W, row, pad, W);
                    mergeRowValues(row, K, starts, best, h == h0);
                }
                for (int ow = 0; ow < OW; ow++, o++) y[o] = best[ow * stride];
            }
        }
    }

    /** Window starts (in padded-row columns) 0, stride, ..., (OW-1)*stride, rounded up to whole vectors. */
    private static int windowStarts(int OW, int stride) {
        return ((OW - 1) * stride + 1 + V - 1) / V * V;
    }

    /**
     * The buffer for one padded input row, -infinity outside the row (which is copied in at offset pad): long enough for
     * the row and for the vector reads of every window start's K taps.
     */
    private static float[] paddedRow(int starts, int K, int pad, int W) {
        float[] row = new float[Math.max(starts + K - 1 + V, pad + W)];
        java.util.Arrays.fill(row, Float.NEGATIVE_INFINITY);
        return row;
    }

    /**
     * For each window start j (padded column) in [0, starts): the first maximum of row[j .. j+K) and its position
     * rowIndex0 + j + k; merged into best/where, where a later row wins only when strictly greater (or a first NaN).
     */
    private static void mergeRow(float[] row, int K, int rowIndex0, int starts, float[] best, int[] where, boolean first) {
        IntVector lane = IntVector.zero(SI).addIndex(1);
        for (int j = 0; j < starts; j += V) {
            FloatVector m = FloatVector.fromArray(S, row, j);
            IntVector at = lane.add(rowIndex0 + j);
            for (int k = 1; k < K; k++) {
                FloatVector v = FloatVector.fromArray(S, row, j + k);
                VectorMask<Float> win = wins(v, m);
                m = m.blend(v, win);
                at = at.blend(lane.add(rowIndex0 + j + k), win.cast(SI));
            }
            if (!first) {
                FloatVector b = FloatVector.fromArray(S, best, j);
                IntVector bw = IntVector.fromArray(SI, where, j);
                VectorMask<Float> keep = wins(m, b).not();
                m = m.blend(b, keep);
                at = at.blend(bw, keep.cast(SI));
            }
            m.intoArray(best, j);
            at.intoArray(where, j);
        }
    }

    /**
     * {@link #mergeRow} without the positions, for inference (no argmax): the same comparisons in the same order, so
     * the same values, at about half the vector operations.
     */
    private static void mergeRowValues(float[] row, int K, int starts, float[] best, boolean first) {
        for (int j = 0; j < starts; j += V) {
            FloatVector m = FloatVector.fromArray(S, row, j);
            for (int k = 1; k < K; k++) {
                FloatVector v = FloatVector.fromArray(S, row, j + k);
                m = m.blend(v, wins(v, m));
            }
            if (!first) {
                FloatVector b = FloatVector.fromArray(S, best, j);
                m = m.blend(b, wins(m, b).not());
            }
            m.intoArray(best, j);
        }
    }

    /** Lanes where candidate v replaces the current max m: strictly greater, or the first NaN. */
    private static VectorMask<Float> wins(FloatVector v, FloatVector m) {
        VectorMask<Float> nanV = v.test(VectorOperators.IS_NAN), nanM = m.test(VectorOperators.IS_NAN);
        return v.compare(VectorOperators.GT, m).or(nanV).andNot(nanM);
    }
}
