package minifig.nn;

import minifig.kernels.Elementwise;
import minifig.tensor.Tensor;

/** y = max(x, 0). The gradient at exactly 0 is 0, as in PyTorch. */
public final class ReLU implements Layer {
    /** The last training output: y > 0 exactly where x > 0, so it is the mask backward needs. */
    private Tensor output;

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Tensor y = new Tensor(x.shape);
        float[] xs = x.data, ys = y.data;
        Elementwise.split(xs.length, (lo, hi) -> Elementwise.relu(xs, lo, ys, lo, hi - lo));   // y = x > 0 ? x : 0
        if (training) output = y;
        return y;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        Tensor y = Checks.cached(output, "ReLU");
        output = null;      // released as soon as backward starts (see Layer: one forward, one backward)
        return gradientFromOutput("ReLU backward", y, dOut);
    }

    /**
     * dx = y > 0 ? dOut : 0 for a ReLU output y: the ReLU's backward, also for a layer that ran the ReLU in its
     * own pass (a fused residual add) and cached y; {@code what} names the caller in the shape error.
     */
    static Tensor gradientFromOutput(String what, Tensor y, Tensor dOut) {
        Checks.sameShape(what, y, dOut);
        Tensor dx = Recycler.take(y.shape);
        float[] ys = y.data, d = dOut.data, dxs = dx.data;
        Elementwise.split(ys.length, (lo, hi) -> Elementwise.reluBackward(ys, d, dxs, lo, hi - lo)); // dx = y > 0 ? d : 0
        return dx;
    }
}
