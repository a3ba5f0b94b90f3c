package minifig.nn;

import minifig.tensor.Tensor;

/**
 * The mean over each feature map: [N, C, H, W] -> [N, C, 1, 1], like PyTorch's AdaptiveAvgPool2d(1)
 * (torchvision ResNet's avgpool). The output keeps rank 4, as PyTorch's does; follow it with
 * {@link Flatten} to get [N, C] for a Linear head.
 */
public final class GlobalAvgPool2d implements Layer {
    /** The last training forward's input shape. */
    private int[] inputShape;

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Checks.nchw("GlobalAvgPool2d input", x, -1);
        int N = x.shape[0], C = x.shape[1], HW = x.shape[2] * x.shape[3];
        if (HW == 0) throw new IllegalArgumentException("GlobalAvgPool2d: empty feature map " + x.shapeString());
        Tensor y = new Tensor(N, C, 1, 1);
        for (int nc = 0; nc < N * C; nc++) {
            double s = 0;
            int off = nc * HW;
            for (int i = 0; i < HW; i++) s += x.data[off + i];
            y.data[nc] = (float) (s / HW);
        }
        if (training) inputShape = x.shape.clone();
        return y;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        int[] shape = Checks.cached(inputShape, "GlobalAvgPool2d");
        int N = shape[0], C = shape[1], HW = shape[2] * shape[3];
        if (dOut.size() != N * C) {
            throw new IllegalArgumentException("GlobalAvgPool2d backward: expected [" + N + ", " + C
                    + ", 1, 1], got " + dOut.shapeString());
        }
        Tensor dx = new Tensor(shape);
        for (int nc = 0; nc < N * C; nc++) {
            float g = dOut.data[nc] / HW;
            int off = nc * HW;
            for (int i = 0; i < HW; i++) dx.data[off + i] = g;
        }
        return dx;
    }
}
