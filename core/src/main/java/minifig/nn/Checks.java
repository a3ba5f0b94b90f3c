package minifig.nn;

import minifig.tensor.Tensor;

/** Shape and state checks shared by the layers, with messages that name the layer and both shapes. */
final class Checks {
    private Checks() {}

    static <T> T cached(T value, String layer) {
        if (value == null) {
            throw new IllegalStateException(layer + ": backward called without a preceding forward(x, training=true)"
                    + " (each training forward's cache serves one backward)");
        }
        return value;
    }

    static void sameShape(String what, Tensor expected, Tensor got) {
        if (!expected.sameShape(got)) {
            throw new IllegalArgumentException(what + ": expected gradient of shape " + expected.shapeString()
                    + ", got " + got.shapeString());
        }
    }

    /** Requires an NCHW tensor with {@code channels} channels (or any channel count if channels < 0). */
    static void nchw(String what, Tensor x, int channels) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException(what + ": expected an NCHW tensor, got shape " + x.shapeString());
        }
        if (channels >= 0 && x.shape[1] != channels) {
            throw new IllegalArgumentException(what + ": expected " + channels + " input channels, got shape "
                    + x.shapeString());
        }
    }

    static void positive(String what, int v) {
        if (v <= 0) throw new IllegalArgumentException(what + " must be positive, got " + v);
    }
}
