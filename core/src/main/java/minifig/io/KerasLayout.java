package minifig.io;

import minifig.tensor.Tensor;

/**
 * Converts Keras weight layouts to ours (PyTorch's). Keras stores a Conv2D kernel as [kh, kw, in, out] and a
 * Dense kernel as [in, out]; we use OIHW [out, in, kh, kw] and [out, in] (see {@link Tensor}).
 */
public final class KerasLayout {
    private KerasLayout() {}

    /** [kh, kw, in, out] -> [out, in, kh, kw]: {@code w[o][i][y][x] = k[y][x][i][o]}. */
    public static Tensor convKernelToOihw(Tensor k) {
        if (k.rank() != 4) throw new IllegalArgumentException("Keras conv kernel: expected rank 4 [kh, kw, in, out], found " + k.shapeString());
        int kh = k.shape[0], kw = k.shape[1], in = k.shape[2], out = k.shape[3];
        Tensor w = new Tensor(out, in, kh, kw);
        for (int y = 0; y < kh; y++) {
            for (int x = 0; x < kw; x++) {
                for (int i = 0; i < in; i++) {
                    int src = ((y * kw + x) * in + i) * out;
                    for (int o = 0; o < out; o++) w.data[((o * in + i) * kh + y) * kw + x] = k.data[src + o];
                }
            }
        }
        return w;
    }

    /** [in, out] -> [out, in] (a transpose). */
    public static Tensor denseToOutIn(Tensor k) {
        if (k.rank() != 2) throw new IllegalArgumentException("Keras dense kernel: expected rank 2 [in, out], found " + k.shapeString());
        int in = k.shape[0], out = k.shape[1];
        Tensor w = new Tensor(out, in);
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) w.data[o * in + i] = k.data[i * out + o];
        }
        return w;
    }
}
