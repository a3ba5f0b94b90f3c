package minifig.tensor;

/**
 * A trainable parameter: its value and the gradient of the loss with respect to it, side by side.
 *
 * Backward passes ADD into {@code grad} (+=), so a parameter used several times in one forward pass
 * (the custom net's shared conv2) collects the sum of all its uses. Zeroing is explicit: call
 * {@link #zeroGrad()} (or the model's zeroGrad) before each backward pass.
 */
public final class Param {
    public final Tensor value;
    public final Tensor grad;
    /** Whether SGD applies weight decay; false for biases and BatchNorm's gamma/beta (PyTorch recipe). */
    public boolean decay;
    /** A frozen parameter keeps its value: the optimizer skips it (fine-tuning freezes the backbone). */
    public boolean frozen;

    public Param(Tensor value, boolean decay) {
        this.value = value;
        this.grad = Tensor.zerosLike(value);
        this.decay = decay;
    }

    public void zeroGrad() { grad.fill(0f); }

    public int[] shape() { return value.shape; }

    public int size() { return value.size(); }
}
