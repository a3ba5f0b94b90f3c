package minifig.nn;

import minifig.kernels.Im2col;
import minifig.tensor.Tensor;

/**
 * Average pooling, PyTorch's nn.AvgPool2d with its defaults count_include_pad = True and floor mode:
 * every window is divided by kernel*kernel, padded zeros included (in floor mode no window reaches past
 * the padding, so the divisor is always the full window).
 */
public final class AvgPool2d implements Layer {
    public final int kernel, stride, padding;

    /** The last training forward's input shape (backward needs nothing else: the op is linear). */
    private int[] inputShape;

    /** stride = kernel, padding = 0 (PyTorch's defaults). */
    public AvgPool2d(int kernel) { this(kernel, kernel, 0); }

    public AvgPool2d(int kernel, int stride, int padding) {
        Checks.positive("AvgPool2d kernel_size", kernel);
        Checks.positive("AvgPool2d stride", stride);
        if (padding < 0 || padding > kernel / 2) {
            throw new IllegalArgumentException("AvgPool2d padding must be between 0 and kernel_size/2 = "
                    + kernel / 2 + ", got " + padding);
        }
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Checks.nchw("AvgPool2d input", x, -1);
        int N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
        int OH = Im2col.outSize(H, kernel, stride, padding), OW = Im2col.outSize(W, kernel, stride, padding);
        if (OH <= 0 || OW <= 0) {
            throw new IllegalArgumentException("AvgPool2d input " + x.shapeString() + " is smaller than the "
                    + kernel + "x" + kernel + " window");
        }
        Tensor y = new Tensor(N, C, OH, OW);
        float[] xs = x.data, ys = y.data;
        double inv = 1.0 / (kernel * kernel);
        int o = 0;
        for (int nc = 0; nc < N * C; nc++) {
            int base = nc * H * W;
            for (int oh = 0; oh < OH; oh++) {
                int h0 = Math.max(oh * stride - padding, 0), h1 = Math.min(oh * stride - padding + kernel, H);
                for (int ow = 0; ow < OW; ow++, o++) {
                    int w0 = Math.max(ow * stride - padding, 0), w1 = Math.min(ow * stride - padding + kernel, W);
                    double s = 0;
                    for (int h = h0; h < h1; h++) {
                        for (int w = w0; w < w1; w++) s += xs[base + h * W + w];
                    }
                    ys[o] = (float) (s * inv);
                }
            }
        }
        if (training) inputShape = x.shape.clone();
        return y;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        int[] shape = Checks.cached(inputShape, "AvgPool2d");
        int N = shape[0], C = shape[1], H = shape[2], W = shape[3];
        int OH = Im2col.outSize(H, kernel, stride, padding), OW = Im2col.outSize(W, kernel, stride, padding);
        dOut.requireShape("AvgPool2d backward dOut", N, C, OH, OW);
        Tensor dx = new Tensor(shape);
        float inv = 1f / (kernel * kernel);
        int o = 0;
        for (int nc = 0; nc < N * C; nc++) {
            int base = nc * H * W;
            for (int oh = 0; oh < OH; oh++) {
                int h0 = Math.max(oh * stride - padding, 0), h1 = Math.min(oh * stride - padding + kernel, H);
                for (int ow = 0; ow < OW; ow++, o++) {
                    int w0 = Math.max(ow * stride - padding, 0), w1 = Math.min(ow * stride - padding + kernel, W);
                    float g = dOut.data[o] * inv;
                    for (int h = h0; h < h1; h++) {
                        for (int w = w0; w < w1; w++) dx.data[base + h * W + w] += g;
                    }
                }
            }
        }
        return dx;
    }
}
