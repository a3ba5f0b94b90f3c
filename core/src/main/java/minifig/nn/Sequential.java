package minifig.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import minifig.tensor.Tensor;

/**
 * Layers applied in order, each registered under a name so state_dict names come out like PyTorch's
 * ("layer1.0.conv1.weight"): a child named "conv1" collects under prefix + "conv1.".
 *
 * {@link #add(Layer)} names a child by its position ("0", "1", ...) as nn.Sequential does;
 * {@link #addInline(Layer)} collects a child under the Sequential's own prefix, so a block can place the
 * parameters of a helper (e.g. a {@link Residual}) directly under its own names.
 */
public class Sequential extends Module {
    private final List<String> names = new ArrayList<>();   // null = inline
    private final List<Layer> layers = new ArrayList<>();

    public Sequential() {}

    /** Children named by their position, like nn.Sequential(a, b, c). */
    public Sequential(Layer... children) {
        for (Layer l : children) add(l);
    }

    /** Appends {@code layer} under {@code name}; returns this for chaining. */
    public Sequential add(String name, Layer layer) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("child name must be non-empty and contain no '.': '" + name + "'");
        }
        if (names.contains(name)) throw new IllegalArgumentException("duplicate child name '" + name + "'");
        names.add(name);
        layers.add(requireLayer(layer));
        return this;
    }

    /** Appends {@code layer} named by its index ("0", "1", ...), as nn.Sequential does. */
    public Sequential add(Layer layer) { return add(Integer.toString(layers.size()), layer); }

    /** Appends {@code layer} whose state is collected under this Sequential's own prefix (no extra name). */
    public Sequential addInline(Layer layer) {
        names.add(null);
        layers.add(requireLayer(layer));
        return this;
    }

    private static Layer requireLayer(Layer l) {
        if (l == null) throw new IllegalArgumentException("null layer");
        return l;
    }

    /** The child registered under {@code name}, or null. */
    public Layer get(String name) {
        int i = names.indexOf(name);
        return i < 0 ? null : layers.get(i);
    }

    public List<Layer> layers() { return Collections.unmodifiableList(layers); }

    public int size() { return layers.size(); }

    /** Set by a training forward: reluFusedAfter[i] when layer i ran the ReLU at i + 1 in its own pass. */
    private boolean[] reluFusedAfter = new boolean[0];

    /**
     * Whether eval forwards run "Conv2d, BatchNorm2d[, ReLU]" and "Conv2d, ReLU" as one conv pass ({@link Conv2d#forwardEval}):
     * on by default; package-private so tests can compare both.
     */
    static boolean evalConvFusion = true;

    /**
     * Whether training forwards let a conv after "BatchNorm, ReLU" drop its input for the BatchNorm to rebuild in
     * backward ({@link Conv2d#recomputeInputWith}): on by default; package-private so tests can compare both.
     */
    static boolean recomputeConvInputs = true;

    /** Set by {@link #recomputeFirstConvOutput}. */
    private boolean recomputeFirstConv;

    /**
     * Whether {@link #recomputeFirstConvOutput} takes effect: on by default; package-private so tests can compare both.
     */
    static boolean recomputeFirstConvOutputs = true;

    /**
     * In training, when this sequence starts "Conv2d, BatchNorm2d", the BatchNorm keeps no copy of the conv's output:
     * the conv recomputes it in backward from the input it keeps for its weight gradient ({@link
     * BatchNorm2d#recomputeInputWith}). For ResNet's stem, whose conv output is the largest activation of a step (64 x
     * 112 x 112 per image, 103 MB at batch 32) and cheap to recompute (147 multiply-adds per element, ~2% of a step).
     * Returns this.
     */
    public Sequential recomputeFirstConvOutput() {
        recomputeFirstConv = true;
        return this;
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        if (training) reluFusedAfter = new boolean[layers.size()];
        else Recycler.clear();      // no training step to come back to the pooled arrays soon
        return run(x, training, layers.size());
    }

    /** Whether layer i and i + 1 are a conv and the BatchNorm of its outputs, fused in eval ({@link #evalConvFusion}). */
    private boolean convBnAt(int i) {
        return evalConvFusion && i + 1 < layers.size() && layers.get(i) instanceof Conv2d conv
                && layers.get(i + 1) instanceof BatchNorm2d bn && bn.numFeatures == conv.outChannels;
    }

    /** Whether the last two layers are a conv and its BatchNorm, so {@link #forwardEvalAdd} applies. */
    boolean endsInConvBn() { return layers.size() >= 2 && convBnAt(layers.size() - 2); }

    /**
     * The eval forward followed by "+ residual" and, with {@code relu}, a ReLU, the add and ReLU done in the last
     * conv's output pass (only when {@link #endsInConvBn}); the same bits as forward, add, ReLU. For {@link Residual}.
     */
    Tensor forwardEvalAdd(Tensor x, Tensor residual, boolean relu) {
        int last = layers.size() - 2;
        x = run(x, false, last);
        return ((Conv2d) layers.get(last)).forwardEval(x, (BatchNorm2d) layers.get(last + 1), residual, relu);
    }

    /** Layers [0, end) on x. */
    private Tensor run(Tensor x, boolean training, int end) {
        for (int i = 0; i < end; i++) {
            Layer l = layers.get(i);
            boolean reluNext = i + 1 < end && layers.get(i + 1) instanceof ReLU;
            // "Conv, BatchNorm[, ReLU]" and "conv, ReLU" in eval mode are one conv pass, the rest applied as the
            // outputs are stored.
            if (!training && i + 1 < end && convBnAt(i)) {
                boolean relu = i + 2 < end && layers.get(i + 2) instanceof ReLU;
                x = ((Conv2d) l).forwardEval(x, (BatchNorm2d) layers.get(i + 1), null, relu);
                i += relu ? 2 : 1;
                continue;
            }
            if (!training && evalConvFusion && reluNext && l instanceof Conv2d conv) {
                x = conv.forwardEval(x, null, null, true);
                i++;
                continue;
            }
            // "BatchNorm (or a residual add), ReLU" runs as one pass: EvalReluFusion in eval mode,
            // TrainingReluFusion in training (backward then skips the ReLU, see below).
            if (reluNext && !training && l instanceof EvalReluFusion f) {
                x = f.forwardEvalRelu(x);
                i++;
            } else if (reluNext && training && l instanceof TrainingReluFusion f) {
                Tensor in = x;
                x = f.forwardTrainingRelu(x);
                reluFusedAfter[i] = true;
                ownConvOutput(l, i);
                dropFirstConvOutput(l, i, in);
                i++;
                // A conv right after "BatchNorm, ReLU" keeps no copy of its input: the BatchNorm rebuilds it in backward
                // from the input it keeps anyway (one activation fewer held per pair, ~96 MB for ResNet-18 at batch 32).
                if (recomputeConvInputs && l instanceof BatchNorm2d bn && i + 1 < end && layers.get(i + 1) instanceof Conv2d conv) {
                    Tensor bnOut = x;
                    x = conv.forward(bnOut, true);
                    conv.recomputeInputWith(bn::recomputeReluOutput);
                    Recycler.give(bnOut);       // read by the conv only, which now keeps no reference to it
                    i++;
                }
            } else {
                Tensor in = x;
                x = l.forward(x, training);
                if (training) {
                    ownConvOutput(l, i);
                    dropFirstConvOutput(l, i, in);
                }
            }
        }
        return x;
    }

    /**
     * A BatchNorm right after a conv in a training forward received the conv's output, which only the BatchNorm keeps:
     * its backward may write dx over it ({@link BatchNorm2d#ownInput}; on unless {@link #overwriteConvOutputs} is off).
     */
    private void ownConvOutput(Layer l, int i) {
        if (overwriteConvOutputs && l instanceof BatchNorm2d bn && i > 0 && layers.get(i - 1) instanceof Conv2d) bn.ownInput();
    }

    /**
     * {@link #recomputeFirstConvOutput}: after a training forward of the BatchNorm at 1 on the conv output {@code in},
     * the BatchNorm drops it and {@code in} goes back to the pool (nothing else holds it). Not where a conv recomputes
     * this BatchNorm's output from that input ({@link #recomputeConvInputs}).
     */
    private void dropFirstConvOutput(Layer l, int i, Tensor in) {
        if (!recomputeFirstConv || !recomputeFirstConvOutputs || i != 1 || !(l instanceof BatchNorm2d bn)
                || !(layers.get(0) instanceof Conv2d conv)) return;
        boolean convAfter = layers.size() > 3 && layers.get(2) instanceof ReLU && layers.get(3) instanceof Conv2d;
        if (convAfter && recomputeConvInputs) return;
        bn.recomputeInputWith(conv::recomputeOutput);
        Recycler.give(in);
    }

    /** Whether {@link #ownConvOutput} applies: on by default; package-private so tests can compare both. */
    static boolean overwriteConvOutputs = true;

    @Override
    public Tensor backward(Tensor dOut) {
        Tensor argument = dOut;
        for (int i = layers.size() - 1; i >= 0; i--) {
            // A ReLU that ran inside the layer before it has no cache of its own: that layer's backward covers it.
            if (i > 0 && i - 1 < reluFusedAfter.length && reluFusedAfter[i - 1]) continue;
            Tensor dIn = layers.get(i).backward(dOut);
            // dOut came from the child after this one (unless it is our caller's): nothing reads it any more.
            Recycler.giveConsumed(dOut, argument, dIn);
            dOut = dIn;
        }
        return dOut;
    }

    @Override
    public void collect(String prefix, StateDict sd) {
        for (int i = 0; i < layers.size(); i++) {
            String n = names.get(i);
            layers.get(i).collect(n == null ? prefix : prefix + n + ".", sd);
        }
    }
}
