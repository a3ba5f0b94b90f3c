package minifig.nn;

import minifig.kernels.Elementwise;
import minifig.kernels.Im2col;
import minifig.kernels.MaxPool;
import minifig.tensor.Tensor;

/**
 * Max pooling, PyTorch's nn.MaxPool2d (square window, dilation 1, floor mode). Padding reads as -infinity,
 * so a padded position never wins. Ties go to the first maximum in row-major window order, as PyTorch's CPU
 * kernel does; backward routes each output gradient to that one input position. The window search is the
 * {@link MaxPool} kernel (vectorised; {@code MaxPoolNaive} is its reference).
 */
public final class MaxPool2d implements Layer {
    public final int kernel, stride, padding;

    /**
     * The last training forward's input shape and, per output element, where its max lies in its window (kh * kernel +
     * kw, a byte: a quarter of the memory of a flat input index, 6.4 MB instead of 25.7 MB after ResNet's stem at
     * batch 32, held from the forward to the backward).
     */
    private int[] inputShape;
    private byte[] argmax;

    /** stride = kernel, padding = 0 (PyTorch's defaults). */
    public MaxPool2d(int kernel) { this(kernel, kernel, 0); }

    public MaxPool2d(int kernel, int stride, int padding) {
        Checks.positive("MaxPool2d kernel_size", kernel);
        Checks.positive("MaxPool2d stride", stride);
        MaxPool.checkArgmaxKernel("MaxPool2d kernel_size", kernel);
        if (padding < 0 || padding > kernel / 2) {
            throw new IllegalArgumentException("MaxPool2d padding must be between 0 and kernel_size/2 = "
                    + kernel / 2 + ", got " + padding);
        }
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Checks.nchw("MaxPool2d input", x, -1);
        int N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
        int OH = Im2col.outSize(H, kernel, stride, padding), OW = Im2col.outSize(W, kernel, stride, padding);
        if (OH <= 0 || OW <= 0) {
            throw new IllegalArgumentException("MaxPool2d input " + x.shapeString() + " is smaller than the "
                    + kernel + "x" + kernel + " window");
        }
        Tensor y = training ? Recycler.take(N, C, OH, OW) : new Tensor(N, C, OH, OW);
        byte[] arg = training ? new byte[y.size()] : null;
        MaxPool.forward(x.data, N * C, H, W, kernel, stride, padding, y.data, arg);
        if (training) {
            argmax = arg;
            inputShape = x.shape.clone();
        }
        return y;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        byte[] arg = Checks.cached(argmax, "MaxPool2d");
        argmax = null;      // released as soon as backward starts (see Layer: one forward, one backward)
        if (dOut.size() != arg.length) {
            throw new IllegalArgumentException("MaxPool2d backward: expected " + arg.length
                    + " gradient values, got shape " + dOut.shapeString());
        }
        Tensor dx = Recycler.takeZeroed(inputShape);
        int H = inputShape[2], W = inputShape[3];
        int OH = Im2col.outSize(H, kernel, stride, padding), OW = Im2col.outSize(W, kernel, stride, padding);
        int[] offsets = MaxPool.windowOffsets(kernel, W);
        // Every output of plane (n, c) points into input plane (n, c), so whole planes split over the threads
        // write disjoint parts of dx.
        int planes = inputShape[0] * inputShape[1];
        Elementwise.splitItems(planes, arg.length, (lo, hi) -> {
            for (int p = lo; p < hi; p++) {
                int o = p * OH * OW;
                for (int oh = 0; oh < OH; oh++) {
                    // the index of each window's top left corner (in the padding when the window overhangs)
                    int corner = p * H * W + (oh * stride - padding) * W - padding;
                    for (int ow = 0; ow < OW; ow++, o++) dx.data[corner + ow * stride + offsets[arg[o]]] += dOut.data[o];
                }
            }
        });
        return dx;
    }
}
