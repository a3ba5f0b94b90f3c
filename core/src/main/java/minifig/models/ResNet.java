package minifig.models;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import minifig.nn.BatchNorm2d;
import minifig.nn.Conv2d;
import minifig.nn.Flatten;
import minifig.nn.GlobalAvgPool2d;
import minifig.nn.Layer;
import minifig.nn.Linear;
import minifig.nn.MaxPool2d;
import minifig.nn.Module;
import minifig.nn.ReLU;
import minifig.nn.Recycler;
import minifig.nn.Sequential;
import minifig.nn.StateDict;
import minifig.optim.SGD;
import minifig.tensor.Param;
import minifig.tensor.Tensor;

/**
 * The ResNet family as torchvision builds it (resnet18, resnet34, resnet50) plus the Keras ResNet50
 * (resnet50-keras); see {@link ResNetConfig} for what differs. State names are torchvision's, so its
 * checkpoints load unchanged.
 *
 * <pre>
 * stage    layers                                              output (224x224 input, resnet18 | resnet50)
 * stem     conv1 7x7/2 pad 3, bn1, relu, maxpool 3/2 pad 1     [N, 64, 56, 56]
 * layer1   blocks at 64 planes, stride 1                       [N, 64 | 256, 56, 56]
 * layer2   blocks at 128 planes, first block stride 2          [N, 128 | 512, 28, 28]
 * layer3   256 planes, stride 2                                [N, 256 | 1024, 14, 14]
 * layer4   512 planes, stride 2                                [N, 512 | 2048, 7, 7]
 * pool     global average pool + flatten                       [N, 512 | 2048]
 * fc       Linear                                              [N, numClasses]   (logits)
 * </pre>
 *
 * Fine-tuning hooks: {@link #replaceHead}, freezing by stage ({@link #setFrozen}, {@link #freezeThrough}),
 * parameter groups for a faster head ({@link #headParams}, {@link #backboneParams}, {@link #sgd}), and a split
 * forward ({@link #forwardTo}, {@link #forwardFrom}) so a feature cache can run the frozen stages once per photo.
 */
public final class ResNet extends Module {
    /** Stage names in forward order; "pool" has no parameters. */
    public static final List<String> STAGES = List.of("stem", "layer1", "layer2", "layer3", "layer4", "pool", "fc");
    private static final int STEM = 0, POOL = 5, FC = 6;

    public final ResNetConfig config;
    public final int inChannels;
    public final Conv2d conv1;
    public final BatchNorm2d bn1;
    /** layer1..layer4: each a Sequential of {@link ResNetBlock}s named "0", "1", ... */
    public final List<Sequential> layers;
    private Linear fc;
    /** The stages as layers, indexed like {@link #STAGES}; slot FC is replaced with the head. */
    private final Layer[] stages = new Layer[STAGES.size()];
    /** Stages run by the last training-mode forward (inclusive), which backward retraces; -1 = none. */
    private int trainedFirst = -1, trainedLast = -1;
    /** The output of the last training-mode forward: a forwardFrom on exactly this tensor continues it. */
    private Tensor trainedOutput;

    /** Initialised from {@code new Random(seed)} (torchvision's init scheme, not its random stream). */
    public ResNet(ResNetConfig config, int numClasses, int inChannels, long seed) {
        this(config, numClasses, inChannels, new Random(seed));
    }

    /**
     * Builds and initialises: convs kaiming_normal(fan_out, relu), BatchNorm weight 1 and bias 0, fc with
     * PyTorch's Linear default (U(+-1/sqrt(in))), drawn from {@code rng} in construction order.
     */
    public ResNet(ResNetConfig config, int numClasses, int inChannels, Random rng) {
        if (numClasses <= 0 || inChannels <= 0) {
            throw new IllegalArgumentException(config.name() + " needs positive numClasses and inChannels, got "
                    + numClasses + ", " + inChannels);
        }
        this.config = config;
        this.inChannels = inChannels;
        int w = config.width();
        conv1 = ResNetBlock.conv(config, inChannels, w, 7, 2, rng);
        bn1 = ResNetBlock.bn(config, w);
        // the stem's conv output (103 MB at batch 32) is recomputed in backward rather than held (Sequential)
        stages[STEM] = new Sequential().add("conv1", conv1).add("bn1", bn1).add("relu", new ReLU())
                .add("maxpool", new MaxPool2d(3, 2, 1)).recomputeFirstConvOutput();
        List<Sequential> ls = new ArrayList<>();
        int in = w;
        for (int s = 0; s < 4; s++) {
            int planes = w << s, stride = s == 0 ? 1 : 2;
            Sequential stage = new Sequential();
            for (int b = 0; b < config.layers().get(s); b++) {
                ResNetBlock block = ResNetBlock.of(config, in, planes, b == 0 ? stride : 1, rng);
                stage.add(block);
                in = block.outChannels;
            }
            ls.add(stage);
            stages[1 + s] = stage;
        }
        layers = List.copyOf(ls);
        stages[POOL] = new Sequential(new GlobalAvgPool2d(), new Flatten());
        setHead(new Linear(in, numClasses, true, rng));
    }

    /** A named architecture ("resnet18", "resnet34", "resnet50", "resnet50-keras"); see {@link Models}. */
    public static ResNet create(String name, int numClasses, int inChannels, long seed) {
        ResNetConfig c = ResNetConfig.byName(name);
        if (c == null) throw new IllegalArgumentException("unknown ResNet '" + name + "'");
        return new ResNet(c, numClasses, inChannels, seed);
    }

    private void setHead(Linear head) {
        fc = head;
        stages[FC] = head;
    }

    public Linear fc() { return fc; }

    public int numClasses() { return fc.outFeatures; }

    /** Features entering fc (512 for resnet18/34, 2048 for resnet50). */
    public int featureDim() { return fc.inFeatures; }

    // ---------------------------------------------------------------- forward / backward

    /** x [N, inChannels, H, W] -> logits [N, numClasses]. */
    @Override
    public Tensor forward(Tensor x, boolean training) { return run(x, STEM, FC, training); }

    /**
     * Runs the stages from the first one through {@code stage} (inclusive). forwardTo(x, "layer4") gives the
     * last feature map, forwardTo(x, "pool") the [N, featureDim] feature vectors.
     */
    public Tensor forwardTo(Tensor x, String stage, boolean training) { return run(x, STEM, stageIndex(stage), training); }

    /**
     * Runs the stages from {@code stage} (inclusive) to fc, on the output of the stage before it:
     * forwardFrom(forwardTo(x, s, t), stageAfter(s), t) == forward(x, t).
     */
    public Tensor forwardFrom(Tensor h, String stage, boolean training) { return run(h, stageIndex(stage), FC, training); }

    /** The stage that follows {@code stage} ("layer3" -> "layer4"); fc has none. */
    public static String stageAfter(String stage) {
        int i = stageIndex(stage);
        if (i == FC) throw new IllegalArgumentException("no stage after fc");
        return STAGES.get(i + 1);
    }

    private Tensor run(Tensor x, int first, int last, boolean training) {
        Tensor input = x;
        if (first == STEM && (x.rank() != 4 || x.shape[1] != inChannels)) {
            throw new IllegalArgumentException(config.name() + " input: expected [N, " + inChannels
                    + ", H, W], got " + x.shapeString());
        }
        for (int i = first; i <= last; i++) {
            x = stages[i].forward(x, training);
            // The next stage works on other sizes: arrays pooled now would only be held through the step's peak, the
            // end of the forward, and promoted to the collector's old generation (Recycler; docs/performance.md).
            if (training) Recycler.clear();
        }
        if (training) {
            // A training forward that continues on the very output of the previous one (forwardTo then
            // forwardFrom) extends the range backward retraces; any other (e.g. on cached features) starts anew.
            if (first > STEM && first == trainedLast + 1 && input == trainedOutput) trainedLast = last;
            else {
                trainedFirst = first;
                trainedLast = last;
            }
            trainedOutput = x;
        }
        return x;
    }

    /** dL/d(output of the last training forward) -> dL/d(its input), through the stages that forward ran. */
    @Override
    public Tensor backward(Tensor dOut) {
        if (trainedFirst < 0) throw new IllegalStateException(config.name() + ": backward without a training forward");
        return backwardStages(dOut, trainedFirst);
    }

    /**
     * Like {@link #backward} but for training only: stops below the earliest stage with a trainable
     * parameter, since the gradient with respect to the input and frozen stages is never used. With only
     * the head trainable this skips the whole backbone's backward pass; with the stem trainable, the stem
     * conv computes dW but not the image's gradient.
     */
    @Override
    public void backwardParams(Tensor dOut) {
        if (trainedFirst < 0) throw new IllegalStateException(config.name() + ": backward without a training forward");
        int stop = trainedLast + 1;
        for (int i = trainedFirst; i <= trainedLast; i++) {
            if (hasTrainable(i)) {
                stop = i;
                break;
            }
        }
        if (stop > STEM) {
            backwardStages(dOut, stop);
            return;
        }
        conv1.setNeedsInputGrad(false);
        try {
            backwardStages(dOut, stop);
        } finally {
            conv1.setNeedsInputGrad(true);
        }
    }

    /** The stages from trainedLast down to {@code stop}, each one's input gradient given back once the one below has read it. */
    private Tensor backwardStages(Tensor dOut, int stop) {
        Tensor argument = dOut;
        for (int i = trainedLast; i >= stop; i--) {
            Tensor dIn = stages[i].backward(dOut);
            Recycler.giveConsumed(dOut, argument, dIn);
            dOut = dIn;
            // as in the forward; but what the last stage (the stem, in a whole backward) leaves is what the next
            // forward's first stage takes
            if (i > stop) Recycler.clear();
        }
        return dOut;
    }

    private boolean hasTrainable(int stage) {
        for (Param p : StateDict.of(stages[stage]).paramList()) if (!p.frozen) return true;
        return false;
    }

    @Override
    public void collect(String prefix, StateDict sd) {
        stages[STEM].collect(prefix, sd);                   // conv1.*, bn1.* directly at the top, as torchvision
        for (int s = 0; s < 4; s++) layers.get(s).collect(prefix + "layer" + (s + 1) + ".", sd);
        fc.collect(prefix + "fc.", sd);
    }

    // ---------------------------------------------------------------- fine-tuning

    /**
     * Replaces fc with a new Linear(featureDim, numClasses) initialised like PyTorch's default from
     * {@code new Random(seed)}; it starts trainable whatever the old head's state.
     */
    public void replaceHead(int numClasses, long seed) {
        if (numClasses <= 0) throw new IllegalArgumentException("numClasses must be positive, got " + numClasses);
        setHead(new Linear(fc.inFeatures, numClasses, true, new Random(seed)));
    }

    /** The index of {@code stage} in {@link #STAGES}; unknown names fail with the list of valid ones. */
    public static int stageIndex(String stage) {
        int i = STAGES.indexOf(stage);
        if (i < 0) throw new IllegalArgumentException("unknown ResNet stage '" + stage + "', expected one of " + STAGES);
        return i;
    }

    /** The parameters of one stage, in state_dict order. */
    public List<Param> stageParams(String stage) { return StateDict.of(stages[stageIndex(stage)]).paramList(); }

    /** The BatchNorm layers of one stage (stem: bn1; a layer: every block's, shortcut included). */
    public List<BatchNorm2d> batchNorms(String stage) {
        int i = stageIndex(stage);
        if (i == STEM) return List.of(bn1);
        if (i > 4) return List.of();
        List<BatchNorm2d> out = new ArrayList<>();
        for (Layer b : layers.get(i - 1).layers()) out.addAll(((ResNetBlock) b).batchNorms());
        return Collections.unmodifiableList(out);
    }

    /**
     * Freezes or unfreezes one stage: its parameters' {@link Param#frozen} flag (SGD skips them, backward
     * computes no gradient for them) and its BatchNorms' statistics ({@link BatchNorm2d#freezeStats}), so a
     * frozen stage behaves exactly as in eval mode even inside a training forward.
     */
    public void setFrozen(String stage, boolean frozen) {
        for (Param p : stageParams(stage)) p.frozen = frozen;
        for (BatchNorm2d bn : batchNorms(stage)) bn.freezeStats(frozen);
    }

    /** Freezes every stage from the stem through {@code stage} and unfreezes the rest ("fc" freezes all). */
    public void freezeThrough(String stage) {
        int last = stageIndex(stage);
        for (int i = 0; i < STAGES.size(); i++) setFrozen(STAGES.get(i), i <= last);
    }

    /** Unfreezes every stage. */
    public void unfreezeAll() {
        for (String s : STAGES) setFrozen(s, false);
    }

    /** True when every parameter of {@code stage} is frozen (trivially for "pool"). */
    public boolean isFrozen(String stage) {
        for (Param p : stageParams(stage)) if (!p.frozen) return false;
        return true;
    }

    /**
     * The last stage of the frozen prefix (every stage up to it frozen), or null when the stem is trainable:
     * what a feature cache may precompute with {@code forwardTo(x, lastFrozenStage(), false)}.
     * "pool" counts as frozen when all stages before it are.
     */
    public String lastFrozenStage() {
        String last = null;
        for (String s : STAGES) {
            if (!isFrozen(s)) break;
            last = s;
        }
        return last;
    }

    /** Freezes (or releases) the BatchNorm statistics of every stage, independently of the parameters. */
    public void freezeAllBatchNormStats(boolean frozen) {
        for (String s : STAGES) for (BatchNorm2d bn : batchNorms(s)) bn.freezeStats(frozen);
    }

    /** fc's parameters (the head). */
    public List<Param> headParams() { return StateDict.of(fc).paramList(); }

    /** Every parameter except the head's, in state_dict order. */
    public List<Param> backboneParams() {
        List<Param> out = new ArrayList<>();
        for (int i = STEM; i < FC; i++) out.addAll(StateDict.of(stages[i]).paramList());
        return out;
    }

    /**
     * An SGD with two groups: "backbone" at the base rate and "head" at {@code headLrScale} times it (frozen
     * parameters stay in their group and are skipped while frozen, so unfreezing later needs no new optimizer).
     */
    public SGD sgd(double lr, double headLrScale, double momentum, double weightDecay, boolean nesterov) {
        return new SGD(lr, momentum, weightDecay, nesterov)
                .addGroup("backbone", backboneParams(), 1.0)
                .addGroup("head", headParams(), headLrScale);
    }

    @Override
    public String toString() {
        return config.name() + "(inChannels=" + inChannels + ", numClasses=" + numClasses() + ", width="
                + config.width() + ")";
    }
}
