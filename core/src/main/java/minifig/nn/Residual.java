package minifig.nn;

import minifig.kernels.Elementwise;
import minifig.tensor.Tensor;

/**
 * y = main(x) + shortcut(x): the addition at the heart of a ResNet block (shortcut null = identity).
 *
 * Backward sends dL/dy into both branches and sums the two input gradients, since x feeds both.
 * For torchvision names, main's state is collected under the caller's prefix (so a BasicBlock's
 * "conv1", "bn1", ... sit directly in the block) and the shortcut's under prefix + shortcutName + "."
 * (torchvision: "downsample", whose children are "0" = conv and "1" = bn). A BasicBlock is then
 * {@code new Sequential().addInline(new Residual(main, downsample, "downsample")).add("relu", new ReLU())}.
 */
public final class Residual implements Layer, EvalReluFusion, TrainingReluFusion {
    private final Layer main;
    private final Layer shortcut;       // null = identity
    private final String shortcutName;
    /** Set by {@link #forwardTrainingRelu}: its output, the mask backward applies first; null otherwise. */
    private Tensor reluOutput;

    public Residual(Layer main, Layer shortcut, String shortcutName) {
        if (main == null) throw new IllegalArgumentException("Residual: main branch is null");
        if (shortcut != null && (shortcutName == null || shortcutName.isEmpty())) {
            throw new IllegalArgumentException("Residual: a shortcut layer needs a state_dict name");
        }
        this.main = main;
        this.shortcut = shortcut;
        this.shortcutName = shortcutName;
    }

    /** Shortcut named "downsample" (torchvision's name), or identity when {@code shortcut} is null. */
    public Residual(Layer main, Layer shortcut) { this(main, shortcut, "downsample"); }

    public Layer main() { return main; }

    /** The shortcut branch, or null for identity. */
    public Layer shortcut() { return shortcut; }

    @Override
    public Tensor forward(Tensor x, boolean training) { return forward(x, training, false); }

    /** Eval mode with the block's final ReLU in the same pass: y = max(main(x) + shortcut(x), 0). */
    @Override
    public Tensor forwardEvalRelu(Tensor x) { return forward(x, false, true); }

    /** Training mode with the following ReLU in the add's pass; {@link #backward} then takes dL/d(ReLU output). */
    @Override
    public Tensor forwardTrainingRelu(Tensor x) {
        Tensor y = forward(x, true, true);
        reluOutput = y;
        return y;
    }

    private Tensor forward(Tensor x, boolean training, boolean relu) {
        if (training) reluOutput = null;
        // Eval with a main branch ending in "conv, BatchNorm": the add (and ReLU) run in that conv's output pass.
        if (!training && main instanceof Sequential seq && seq.endsInConvBn()) {
            Tensor s = shortcut == null ? x : shortcut.forward(x, false);
            return seq.forwardEvalAdd(x, s, relu);
        }
        Tensor a = main.forward(x, training);
        Tensor s = shortcut == null ? x : shortcut.forward(x, training);
        if (!a.sameShape(s)) throw shapeMismatch(a, s);
        // A fresh output: a branch may cache its own output for backward (ReLU does), so never add in place.
        Tensor y = training ? Recycler.take(a.shape) : new Tensor(a.shape);
        if (relu) Elementwise.split(y.size(), (lo, hi) -> Elementwise.addRelu(a.data, s.data, y.data, lo, hi - lo));
        else Elementwise.split(y.size(), (lo, hi) -> Elementwise.add(a.data, s.data, y.data, lo, hi - lo));  // y = a + s
        if (training && giveBranchOutputs) {
            // A branch output that only this add reads goes back to the pool now, for the next block's first conv to
            // take: a ResNet block's bn2 output and its downsample's (new arrays per ResNet-18 b32 step: 731 -> 664 MB).
            if (a.data != x.data && a.data != s.data && outputReadOnlyByCaller(main)) Recycler.give(a);
            if (shortcut != null && s.data != x.data && outputReadOnlyByCaller(shortcut)) Recycler.give(s);
        }
        return y;
    }

    /**
     * Whether a branch keeps no reference to the output of its training forward, so that the caller is its only reader:
     * a BatchNorm2d or a Conv2d (each caches its input, not its output), or a Sequential ending in one.
     */
    static boolean outputReadOnlyByCaller(Layer branch) {
        Layer last = branch;
        if (branch instanceof Sequential seq) {
            if (seq.size() == 0) return false;
            last = seq.layers().get(seq.size() - 1);
        }
        return last instanceof BatchNorm2d || last instanceof Conv2d;
    }

    /** The error for a main branch output a and a shortcut output s of different shapes. */
    static IllegalArgumentException shapeMismatch(Tensor a, Tensor s) {
        return new IllegalArgumentException("Residual: main branch gives " + a.shapeString()
                + " but shortcut gives " + s.shapeString() + " (a downsample shortcut is needed)");
    }

    @Override
    public Tensor backward(Tensor dOut) {
        Tensor argument = dOut;
        if (reluOutput != null) {
            // the fused ReLU's backward, from the output it cached
            dOut = ReLU.gradientFromOutput("Residual backward", reluOutput, dOut);
            reluOutput = null;
        }
        Tensor dMain = main.backward(dOut);
        Tensor dShort = shortcut == null ? dOut : shortcut.backward(dOut);
        // The sum goes into dMain, the main branch's input gradient: a tensor its first layer made for this call and
        // holds no more (96 MB less to allocate per ResNet-18 step at batch 32), unless it shares its data with dOut
        // (an Identity branch, a reshape) or with the shortcut's gradient, which the caller may still hold.
        boolean inPlace = addIntoMainGradient && dMain.data != dOut.data && dMain.data != dShort.data;
        Tensor dx = inPlace ? dMain : Recycler.take(dMain.shape);
        Elementwise.split(dx.size(), (lo, hi) -> Elementwise.add(dMain.data, dShort.data, dx.data, lo, hi - lo));
        // What this call made and nothing reads any more goes back to the pool: the shortcut's gradient, the fused
        // ReLU's gradient, and the main branch's when the sum went elsewhere (each unless it shares data with another).
        if (shortcut != null && dShort.data != dOut.data && dShort.data != dMain.data) Recycler.giveConsumed(dShort, argument, dx);
        // (an Identity main branch returns dOut itself as dMain: the sum then went to a new dx, and dOut goes back here)
        if (dOut != argument && (dOut.data != dMain.data || !inPlace)) Recycler.giveConsumed(dOut, argument, dx);
        if (!inPlace && dMain.data != dOut.data && dMain.data != dShort.data) Recycler.giveConsumed(dMain, argument, dx);
        return dx;
    }

    /** Whether a training forward gives its branches' outputs back after the add (see there): package-private for tests. */
    static boolean giveBranchOutputs = true;

    /** Whether backward adds the shortcut's gradient into the main branch's (see there): package-private for tests. */
    static boolean addIntoMainGradient = true;

    @Override
    public void collect(String prefix, StateDict sd) {
        main.collect(prefix, sd);
        if (shortcut != null) shortcut.collect(prefix + shortcutName + ".", sd);
    }
}
