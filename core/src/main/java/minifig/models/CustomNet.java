package minifig.models;

import java.util.List;
import java.util.Random;
import minifig.nn.Conv2d;
import minifig.nn.Flatten;
import minifig.nn.GlobalAvgPool2d;
import minifig.nn.Layer;
import minifig.nn.Linear;
import minifig.nn.LogSoftmax;
import minifig.nn.MaxPool2d;
import minifig.nn.Module;
import minifig.nn.ReLU;
import minifig.nn.Recycler;
import minifig.nn.Sequential;
import minifig.nn.StateDict;
import minifig.tensor.Tensor;

/**
 * "The appendix net" from the seed deck (model name {@code custom}): a small all-3x3 CNN whose conv2 is ONE
 * layer applied five times, so its weights are shared and its gradient is the sum over the five uses.
 *
 * <pre>
 * PyTorch listing:  conv1 = Conv2d(1, 64, 3, padding=1); conv2 = Conv2d(64, 64, 3, padding=1)
 *                   max_pool = MaxPool2d(2, 2); global_pool = AvgPool2d(7); fc1 = Linear(64, 64); fc2 = Linear(64, 10)
 * forward:          relu(conv1) → relu(conv2) → max_pool → relu(conv2) → relu(conv2) → max_pool
 *                   → relu(conv2) → relu(conv2) → global_pool → view(-1, 64) → relu(fc1) → fc2 → log_softmax
 * </pre>
 *
 * Deviations from the listing (also in docs/custom-net.md):
 * <ol>
 * <li>conv1 takes {@code inChannels} (default 3, RGB photos) instead of 1 (grayscale digits).</li>
 * <li>fc2 has {@code numClasses} outputs (the data set's class count) instead of 10.</li>
 * <li>global_pool is a global average pool over whatever spatial size arrives, instead of AvgPool2d(7),
 *     which only fits a 7x7 map (28x28 input); for 28x28 input the two are identical.</li>
 * <li>view(-1, 64) is a per-sample flatten to [N, 64]; identical after a 1x1 pool, but it can never fold
 *     leftover spatial positions into the batch dimension as view(-1, 64) would for a larger map.</li>
 * <li>The listing's mis-indented {@code return x} is read as returning after log_softmax (the full forward).</li>
 * <li>log_softmax is over the class dimension (dim=1), explicit here.</li>
 * <li>Initialisation follows PyTorch's default distributions but draws from a java.util.Random seeded by the
 *     caller, so the numbers differ from torch's RNG (the golden tests load PyTorch's values instead).
 *     {@link #heInit()} rescales the weights to He (Kaiming) uniform, which the trainer uses: with PyTorch's
 *     default bound 1/sqrt(fanIn) the signal shrinks through the nine layers and the net barely learns
 *     (measured: chance accuracy after 20 epochs on a synthetic task that He init learns in 5).</li>
 * </ol>
 * The output is log-probabilities [N, numClasses]: train it with {@link minifig.nn.NLLLoss}, not with a
 * cross-entropy that applies softmax again. State-dict names: conv1.weight, conv1.bias, conv2.weight,
 * conv2.bias (once, though used five times), fc1.weight, fc1.bias, fc2.weight, fc2.bias.
 */
public final class CustomNet extends Module {
    public static final String NAME = "custom";
    public static final int DEFAULT_IN_CHANNELS = 3;
    /** conv2's width: the listing's 64 channels throughout. */
    public static final int WIDTH = 64;

    public final int inChannels, numClasses;
    public final Conv2d conv1;
    /** The five uses of conv2, five Conv2d objects over the SAME weight and bias Params (each caches its own input). */
    public final List<Conv2d> conv2Uses;
    public final Linear fc1, fc2;
    private final Sequential body;

    /** RGB input, initialised from {@code new Random(seed)}. */
    public CustomNet(int numClasses, long seed) { this(DEFAULT_IN_CHANNELS, numClasses, new Random(seed)); }

    /** Initialises conv1, conv2, fc1, fc2 in that order (weight then bias each) from {@code rng}. */
    public CustomNet(int inChannels, int numClasses, Random rng) {
        if (inChannels <= 0 || numClasses <= 0) {
            throw new IllegalArgumentException("CustomNet needs positive inChannels and numClasses, got "
                    + inChannels + ", " + numClasses);
        }
        this.inChannels = inChannels;
        this.numClasses = numClasses;
        conv1 = new Conv2d(inChannels, WIDTH, 3, 1, 1, true, rng);
        Conv2d conv2 = new Conv2d(WIDTH, WIDTH, 3, 1, 1, true, rng);
        Conv2d[] uses = new Conv2d[5];
        uses[0] = conv2;
        for (int i = 1; i < 5; i++) uses[i] = new Conv2d(WIDTH, WIDTH, 3, 1, 1, conv2.weight, conv2.bias);
        conv2Uses = List.of(uses);
        fc1 = new Linear(WIDTH, WIDTH, true, rng);
        fc2 = new Linear(WIDTH, numClasses, true, rng);
        body = new Sequential(
                conv1, new ReLU(),
                uses[0], new ReLU(), new MaxPool2d(2, 2, 0),
                uses[1], new ReLU(), uses[2], new ReLU(), new MaxPool2d(2, 2, 0),
                uses[3], new ReLU(), uses[4], new ReLU(),
                new GlobalAvgPool2d(), new Flatten(),
                fc1, new ReLU(), fc2, new LogSoftmax());
    }

    /**
     * Rescales every weight (not the biases) by sqrt(6): the same draws then follow He uniform
     * U(-sqrt(6/fanIn), sqrt(6/fanIn)), the variance that keeps ReLU activations from shrinking layer by layer.
     */
    public CustomNet heInit() {
        for (var p : params()) {
            if (!p.decay) continue;
            float[] w = p.value.data;
            for (int i = 0; i < w.length; i++) w[i] *= (float) Math.sqrt(6);
        }
        return this;
    }

    /** The shared conv2 (the first of its five uses; all five hold the same Params). */
    public Conv2d conv2() { return conv2Uses.get(0); }

    /** The layers in forward order (for inspection; the same object is the model). */
    public List<Layer> layers() { return body.layers(); }

    /** x [N, inChannels, H, W] (H, W >= 4 so both max pools see a full window) -> log-probabilities [N, numClasses]. */
    @Override
    public Tensor forward(Tensor x, boolean training) {
        if (x.rank() != 4 || x.shape[1] != inChannels) {
            throw new IllegalArgumentException("custom net input: expected [N, " + inChannels + ", H, W], got "
                    + x.shapeString());
        }
        if (x.shape[2] < 4 || x.shape[3] < 4) {
            throw new IllegalArgumentException("custom net input: images must be at least 4x4, got " + x.shapeString());
        }
        Tensor y = body.forward(x, training);
        if (training) Recycler.clear();     // what the forward left in the pool is not needed before backward (Recycler)
        return y;
    }

    @Override
    public Tensor backward(Tensor dOut) { return body.backward(dOut); }

    /** The training backward: as {@link #backward}, without the image's gradient (conv1 skips its dX). */
    @Override
    public void backwardParams(Tensor dOut) {
        conv1.setNeedsInputGrad(false);
        try {
            body.backward(dOut);
        } finally {
            conv1.setNeedsInputGrad(true);
        }
    }

    @Override
    public void collect(String prefix, StateDict sd) {
        conv1.collect(prefix + "conv1.", sd);
        conv2().collect(prefix + "conv2.", sd);
        fc1.collect(prefix + "fc1.", sd);
        fc2.collect(prefix + "fc2.", sd);
    }
}
