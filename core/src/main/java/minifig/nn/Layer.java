package minifig.nn;

import minifig.tensor.Tensor;

/**
 * The contract every layer, block and network keeps.
 *
 * forward(x, training) computes y and, in training mode, caches in named fields what backward needs.
 * backward(dOut) takes dL/dy for the LAST training-mode forward and returns dL/dx, ADDING dL/dparam into
 * each parameter's grad (so shared parameters sum their uses). Layers hold no optimizer state.
 *
 * Threads: an eval-mode forward (training = false) writes no layer field (scratch buffers are per thread), so
 * one model may serve several threads at once (minifig.robust.ConcurrentPredictTest). Training-mode forward and
 * backward cache per-layer state: one thread per model at a time.
 */
public interface Layer {

    /** x -> y. In training mode BatchNorm uses batch statistics and layers cache inputs for backward. */
    Tensor forward(Tensor x, boolean training);

    /**
     * dL/dy -> dL/dx, accumulating parameter gradients (+=). Only valid after forward(x, true), once: like
     * PyTorch's backward without retain_graph, the layers drop their cached activations as backward reads
     * them, so a training step's memory shrinks during backward instead of peaking at its end. Once it returns, the
     * layer holds no reference to dOut or to the returned tensor: the container that called it may hand dOut's array
     * to the next tensor of its size ({@link Recycler}), unless the returned tensor shares it.
     */
    Tensor backward(Tensor dOut);

    /**
     * Registers this layer's parameters and buffers under {@code prefix} (e.g. "layer1.0.") using PyTorch
     * state_dict names ("weight", "bias", "running_mean", ...). Stateless layers register nothing.
     */
    default void collect(String prefix, StateDict sd) {}
}
