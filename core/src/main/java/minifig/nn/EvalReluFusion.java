package minifig.nn;

import minifig.tensor.Tensor;

/**
 * A layer that can apply the ReLU that follows it in its own eval-mode pass, saving a read and write of the
 * whole activation and one fresh tensor. {@link Sequential} uses it for "layer, ReLU" pairs when not
 * training; training keeps the separate layers, whose caches backward needs.
 */
interface EvalReluFusion {
    /** relu(forward(x, false)), bit for bit, without caching anything. */
    Tensor forwardEvalRelu(Tensor x);
}
