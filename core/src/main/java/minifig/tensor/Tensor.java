package minifig.tensor;

import java.util.Arrays;
import java.util.Random;

/**
 * A dense float32 tensor: a shape and one flat row-major {@code float[]}. The whole engine uses ONE layout.
 *
 * <pre>
 * Activations are NCHW (PyTorch's):  x[n][c][h][w]  lives at  data[((n*C + c)*H + h)*W + w]
 * Conv weights are OIHW (PyTorch's): w[o][i][kh][kw] lives at  data[((o*I + i)*KH + kh)*KW + kw]
 * Linear weights are [out, in]:      w[o][i]         lives at  data[o*IN + i]
 * </pre>
 *
 * Using PyTorch's layouts means converted torchvision weights need no transposes, and golden tests
 * compare flat arrays directly. A tensor of any rank is the same row-major rule: the last index moves fastest.
 */
public final class Tensor {
    public final int[] shape;
    public final float[] data;

    /** A zero-filled tensor of the given shape. */
    public Tensor(int... shape) {
        this(new float[checkedSize(shape)], shape);
    }

    /** Wraps {@code data} (no copy); its length must equal the product of {@code shape}. */
    public Tensor(float[] data, int... shape) {
        long size = checkedSize(shape);
        if (data.length != size) {
            throw new IllegalArgumentException("data length " + data.length + " does not match shape "
                    + Arrays.toString(shape) + " (" + size + " elements)");
        }
        this.shape = shape.clone();
        this.data = data;
    }

    private static int checkedSize(int[] shape) {
        long size = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            size *= d;
            if (size > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than 2^31 elements");
            }
        }
        return (int) size;
    }

    public int rank() { return shape.length; }

    public int size() { return data.length; }

    /** Dimension {@code i}; negative {@code i} counts from the end, as in Python. */
    public int dim(int i) { return shape[i < 0 ? shape.length + i : i]; }

    /** A view with another shape over the same data (no copy). */
    public Tensor reshape(int... newShape) {
        return new Tensor(data, newShape);
    }

    public Tensor copy() { return new Tensor(data.clone(), shape); }

    public static Tensor zerosLike(Tensor t) { return new Tensor(t.shape); }

    public Tensor fill(float v) {
        Arrays.fill(data, v);
        return this;
    }

    /** Fills with N(0, std^2) draws from {@code rng}: the one source of randomness for initialisation. */
    public Tensor randn(Random rng, double std) {
        for (int i = 0; i < data.length; i++) data[i] = (float) (rng.nextGaussian() * std);
        return this;
    }

    /** Fills with U(-bound, bound) draws from {@code rng} (PyTorch's default init uses this form). */
    public Tensor uniform(Random rng, double bound) {
        for (int i = 0; i < data.length; i++) data[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        return this;
    }

    public boolean sameShape(Tensor o) { return Arrays.equals(shape, o.shape); }

    /** Throws with a clear message unless this tensor has exactly {@code expected} as its shape. */
    public Tensor requireShape(String what, int... expected) {
        if (!Arrays.equals(shape, expected)) {
            throw new IllegalArgumentException(what + ": expected shape " + Arrays.toString(expected)
                    + ", got " + Arrays.toString(shape));
        }
        return this;
    }

    /** Throws with a clear message unless this tensor has rank {@code r}. */
    public Tensor requireRank(String what, int r) {
        if (shape.length != r) {
            throw new IllegalArgumentException(what + ": expected a rank-" + r + " tensor, got shape "
                    + Arrays.toString(shape));
        }
        return this;
    }

    /** NCHW flat index; for readability in reference code and tests, not in hot loops. */
    public int idx(int n, int c, int h, int w) {
        return ((n * shape[1] + c) * shape[2] + h) * shape[3] + w;
    }

    public float get(int... index) { return data[flat(index)]; }

    public void set(float v, int... index) { data[flat(index)] = v; }

    private int flat(int[] index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index " + Arrays.toString(index) + " for shape " + Arrays.toString(shape));
        }
        int f = 0;
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " for shape " + Arrays.toString(shape));
            }
            f = f * shape[i] + index[i];
        }
        return f;
    }

    public String shapeString() { return Arrays.toString(shape); }

    @Override
    public String toString() {
        int show = Math.min(data.length, 8);
        StringBuilder sb = new StringBuilder("Tensor").append(Arrays.toString(shape)).append(" [");
        for (int i = 0; i < show; i++) sb.append(i == 0 ? "" : ", ").append(data[i]);
        return sb.append(data.length > show ? ", ...]" : "]").toString();
    }
}
