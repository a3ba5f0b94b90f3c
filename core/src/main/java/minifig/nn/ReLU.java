package minifig.nn;

import minifig.tensor.Tensor;

/** y = max(x, 0). The gradient at exactly 0 is 0, as in PyTorch. */
public final class ReLU implements Layer {
    /** The last training output: y > 0 exactly where x > 0, so it is the mask backward needs. */
    private Tensor output;

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Tensor y = new Tensor(x.shape);
        float[] xs = x.data, ys = y.data;
        for (int i = 0; i < xs.length; i++) ys[i] = xs[i] > 0f ? xs[i] : 0f;
        if (training) output = y;
        return y;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        Tensor y = Checks.cached(output, "ReLU");
        Checks.sameShape("ReLU backward", y, dOut);
        Tensor dx = new Tensor(y.shape);
        float[] ys = y.data, d = dOut.data, dxs = dx.data;
        for (int i = 0; i < ys.length; i++) dxs[i] = ys[i] > 0f ? d[i] : 0f;
        return dx;
    }
}
