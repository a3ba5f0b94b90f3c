package minifig.nn;

import minifig.tensor.Tensor;

/** [N, d1, d2, ...] -> [N, d1*d2*...] (torch.flatten(x, 1)); a view over the same data, no copy. */
public final class Flatten implements Layer {
    /** The last training forward's input shape, to reshape the gradient back. */
    private int[] inputShape;

    @Override
    public Tensor forward(Tensor x, boolean training) {
        if (x.rank() < 1) throw new IllegalArgumentException("Flatten: expected a batch, got a scalar");
        if (training) inputShape = x.shape.clone();
        return x.reshape(x.shape[0], x.size() / Math.max(x.shape[0], 1));
    }

    @Override
    public Tensor backward(Tensor dOut) {
        int[] shape = Checks.cached(inputShape, "Flatten");
        return dOut.reshape(shape);
    }
}
