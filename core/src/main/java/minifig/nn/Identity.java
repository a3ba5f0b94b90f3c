package minifig.nn;

import minifig.tensor.Tensor;

/** y = x. A placeholder where an architecture has an optional layer (e.g. a removed classifier head). */
public final class Identity implements Layer {
    @Override
    public Tensor forward(Tensor x, boolean training) { return x; }

    @Override
    public Tensor backward(Tensor dOut) { return dOut; }
}
