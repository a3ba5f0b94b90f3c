package minifig.nn;

import java.util.List;
import java.util.Map;
import minifig.tensor.Param;
import minifig.tensor.Tensor;

/**
 * A layer that owns other layers (a block or a whole network), with the conveniences a trainer needs:
 * its parameters, zeroing their gradients, and its PyTorch-named state_dict for saving and loading.
 *
 * Subclasses implement forward/backward and {@link #collect} (naming their children like torchvision).
 * There is no train()/eval() state: forward takes the training flag.
 */
public abstract class Module implements Layer {

    /**
     * The backward of a training step: adds the trainable parameters' gradients exactly as {@link #backward}
     * does, but returns no input gradient, so a network may skip work only that needs (its first conv's dX,
     * a frozen prefix). The default runs {@link #backward}.
     */
    public void backwardParams(Tensor dOut) { backward(dOut); }

    /** The named parameters and buffers, collected afresh (cheap: it only gathers references). */
    public StateDict stateDict() { return StateDict.of(this); }

    /** Every parameter once, in state_dict order (a shared parameter appears once). */
    public List<Param> params() { return stateDict().paramList(); }

    /** Sets every parameter gradient to zero; call before each backward pass, since backward adds. */
    public void zeroGrad() { stateDict().zeroGrad(); }

    /**
     * Copies named tensors (parameters and buffers) into this module; see {@link StateDict#load}.
     * With {@code strict}, the names must match exactly; shapes must always match.
     */
    public void load(Map<String, Tensor> source, boolean strict) { stateDict().load(source, strict); }
}
