package minifig.nn;

import minifig.tensor.Tensor;

/**
 * A layer that can apply the ReLU that follows it inside its own training pass, forward and backward: one
 * activation written instead of two, and in backward no separate ReLU pass (the mask is recomputed from what
 * the layer caches anyway). On ResNet-sized maps these layers are bound by memory bandwidth, not arithmetic,
 * so passes over the activation are what they cost. {@link Sequential} uses it for "layer, ReLU" pairs in
 * training and then skips the ReLU's own backward.
 */
interface TrainingReluFusion {
    /**
     * relu(forward(x, true)); the layer's next {@link Layer#backward} then takes the gradient of this output
     * (the ReLU's) and returns the same dx as the ReLU's backward followed by its own (the same formulas and
     * operation order, elementwise bit for bit).
     */
    Tensor forwardTrainingRelu(Tensor x);
}
