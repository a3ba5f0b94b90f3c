package minifig.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Element types found in weight files, with their little-endian encodings. The engine computes in float32
 * only, so every type is decoded to float; integer types round-trip exactly up to 2^24 (ample for
 * BatchNorm's {@code num_batches_tracked}, the one integer tensor in a state_dict).
 */
public enum DType {
    F32(4), F64(8), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    /** Bytes per element. */
    public final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    /** The type named as in safetensors headers ("F32", "BF16", ...), or null when unknown. */
    public static DType fromSafetensorsName(String name) {
        for (DType d : values()) if (d.name().equals(name)) return d;
        return null;
    }

    /** Decodes {@code n} little-endian elements from {@code src} (at its position) into {@code dst[0..n)}. */
    public void decode(ByteBuffer src, float[] dst, int n) {
        ByteBuffer b = src.slice().order(ByteOrder.LITTLE_ENDIAN);
        switch (this) {
            case F32 -> b.asFloatBuffer().get(dst, 0, n);
            case F64 -> { for (int i = 0; i < n; i++) dst[i] = (float) b.getDouble(8 * i); }
            case F16 -> { for (int i = 0; i < n; i++) dst[i] = Float.float16ToFloat(b.getShort(2 * i)); }
            case BF16 -> { for (int i = 0; i < n; i++) dst[i] = Float.intBitsToFloat((b.getShort(2 * i) & 0xffff) << 16); }
            case I64 -> { for (int i = 0; i < n; i++) dst[i] = (float) b.getLong(8 * i); }
            case I32 -> { for (int i = 0; i < n; i++) dst[i] = (float) b.getInt(4 * i); }
            case I16 -> { for (int i = 0; i < n; i++) dst[i] = b.getShort(2 * i); }
            case I8 -> { for (int i = 0; i < n; i++) dst[i] = b.get(i); }
            case U8 -> { for (int i = 0; i < n; i++) dst[i] = b.get(i) & 0xff; }
            case BOOL -> { for (int i = 0; i < n; i++) dst[i] = b.get(i) != 0 ? 1f : 0f; }
        }
    }

    /**
     * Encodes {@code src[from..from+n)} little-endian into {@code dst} at its position, advancing it.
     *
     * @throws IllegalArgumentException when a value does not fit an integer type exactly (a caller bug:
     *     saving a non-integral value as I64 would silently change it)
     */
    public void encode(float[] src, int from, int n, ByteBuffer dst) {
        ByteBuffer b = dst.order(ByteOrder.LITTLE_ENDIAN);
        if (this == F32) { // bulk copy: the checkpoint fast path
            b.asFloatBuffer().put(src, from, n);
            b.position(b.position() + 4 * n);
            return;
        }
        for (int i = from; i < from + n; i++) {
            float v = src[i];
            switch (this) {
                case F32 -> b.putFloat(v);
                case F64 -> b.putDouble(v);
                case F16 -> b.putShort(Float.floatToFloat16(v));
                case BF16 -> b.putShort(toBfloat16(v));
                case I64 -> b.putLong((long) integral(v, Long.MIN_VALUE, Long.MAX_VALUE));
                case I32 -> b.putInt((int) integral(v, Integer.MIN_VALUE, Integer.MAX_VALUE));
                case I16 -> b.putShort((short) integral(v, Short.MIN_VALUE, Short.MAX_VALUE));
                case I8 -> b.put((byte) integral(v, Byte.MIN_VALUE, Byte.MAX_VALUE));
                case U8 -> b.put((byte) integral(v, 0, 255));
                case BOOL -> b.put((byte) (v != 0 ? 1 : 0));
            }
        }
    }

    private double integral(float v, double min, double max) {
        if (v != Math.rint(v) || v < min || v > max) {
            throw new IllegalArgumentException("value " + v + " is not representable as " + this);
        }
        return v;
    }

    // Round to nearest even, as PyTorch does; NaN stays a (quiet) NaN instead of rounding into infinity.
    private static short toBfloat16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
