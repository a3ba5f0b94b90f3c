package minifig.nn;

/**
 * Per-thread scratch buffers reused across layer calls (im2col columns, their gradients, a
 * group of images' GEMM output or output gradient, a transposed weight gradient, per-group weight
 * gradients, a conv's weight packed for the GEMM, as is and transposed, and its weight flipped for a dX
 * computed as a convolution). One buffer per
 * slot per thread, grown to the largest request: every conv layer of a network shares it, so a ResNet
 * holds one column buffer the size of its largest layer instead of one per layer or per image.
 * A buffer's contents are only valid until the next {@link #get} of the same slot on the same thread.
 */
final class Workspace {
    static final int COL = 0, DCOL = 1, OUT = 2, DWT = 3, PART = 4, PACKED_W = 5, PACKED_WT = 6, FLIPPED_W = 7,
            SLOTS = 8;

    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[SLOTS][0]);

    private Workspace() {}

    /** A buffer of at least {@code size} floats for {@code slot}; contents are unspecified. */
    static float[] get(int slot, int size) {
        float[][] b = BUFFERS.get();
        if (b[slot].length < size) b[slot] = new float[size];
        return b[slot];
    }
}
