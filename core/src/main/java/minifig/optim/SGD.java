package minifig.optim;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import minifig.kernels.Elementwise;
import minifig.tensor.Param;
import minifig.tensor.Tensor;

/**
 * Stochastic gradient descent with momentum, matching torch.optim.SGD (dampening 0):
 *
 * <pre>
 * g' = g + weightDecay * w          (only for params with decay = true: no decay on biases and BN)
 * v  = momentum * v + g'            (on the first step v = g')
 * step = nesterov ? g' + momentum * v : v
 * w -= lr * groupLrScale * step
 * </pre>
 *
 * Frozen params are skipped entirely (value and velocity untouched). Parameters come in named groups, each
 * with its own learning-rate multiplier (e.g. a new head at 10x the backbone's rate). The global learning
 * rate is set each step from a {@link LrSchedule}. Velocity buffers are exposed per parameter so a trainer
 * can checkpoint and resume them exactly. Arithmetic is float32 in PyTorch's order of operations.
 */
public final class SGD {

    /** A named set of parameters sharing a learning-rate multiplier. */
    public static final class Group {
        public final String name;
        public final List<Param> params;
        public double lrScale;

        Group(String name, List<Param> params, double lrScale) {
            this.name = name;
            this.params = params;
            this.lrScale = lrScale;
        }
    }

    private double lr;
    public final double momentum, weightDecay;
    public final boolean nesterov;
    private final List<Group> groups = new ArrayList<>();
    private final Map<Param, Tensor> velocity = new IdentityHashMap<>();
    private final Map<Param, Group> groupOf = new IdentityHashMap<>();

    /** An optimizer with no parameters yet: add them with {@link #addGroup}. */
    public SGD(double lr, double momentum, double weightDecay, boolean nesterov) {
        if (!(lr >= 0)) throw new IllegalArgumentException("SGD learning rate must be >= 0, got " + lr);
        if (!(momentum >= 0)) throw new IllegalArgumentException("SGD momentum must be >= 0, got " + momentum);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("SGD weight decay must be >= 0, got " + weightDecay);
        if (nesterov && momentum <= 0) throw new IllegalArgumentException("Nesterov momentum requires momentum > 0");
        this.lr = lr;
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
    }

    /** One group "default" with multiplier 1 holding {@code params}. */
    public SGD(Collection<Param> params, double lr, double momentum, double weightDecay, boolean nesterov) {
        this(lr, momentum, weightDecay, nesterov);
        addGroup("default", params, 1.0);
    }

    /** Adds a parameter group whose effective learning rate is lr * lrScale; a param may be in one group only. */
    public SGD addGroup(String name, Collection<Param> params, double lrScale) {
        if (!(lrScale >= 0)) throw new IllegalArgumentException("group '" + name + "': lr scale must be >= 0");
        Group g = new Group(name, List.copyOf(params), lrScale);
        for (Param p : g.params) {
            if (groupOf.containsKey(p)) {
                throw new IllegalArgumentException("a parameter is in both group '" + groupOf.get(p).name
                        + "' and group '" + name + "'");
            }
            groupOf.put(p, g);
        }
        groups.add(g);
        return this;
    }

    public List<Group> groups() { return Collections.unmodifiableList(groups); }

    public double lr() { return lr; }

    /** Sets the base learning rate (call once per step or epoch from a schedule). */
    public void setLr(double lr) {
        if (!(lr >= 0)) throw new IllegalArgumentException("SGD learning rate must be >= 0, got " + lr);
        this.lr = lr;
    }

    /** Applies one update to every non-frozen parameter from its current grad. Does not zero the grads. */
    public void step() {
        float m = (float) momentum;
        for (Group g : groups) {
            float stepLr = (float) (lr * g.lrScale);
            for (Param p : g.params) {
                if (p.frozen) continue;
                float[] w = p.value.data, grad = p.grad.data;
                float wd = p.decay ? (float) weightDecay : 0f;
                Tensor vt = momentum > 0 ? velocity.get(p) : null;
                boolean first = momentum > 0 && vt == null;
                if (first) {
                    vt = new Tensor(p.value.shape);
                    velocity.put(p, vt);
                }
                float[] v = vt == null ? null : vt.data;
                // Each element's update is independent, so the threads split the big tensors without changing a bit.
                Elementwise.split(w.length, (lo, hi) -> update(w, grad, v, lo, hi, wd, m, stepLr, first));
            }
        }
    }

    /** The update of elements [lo, hi) of one parameter (v null without momentum). */
    private void update(float[] w, float[] grad, float[] v, int lo, int hi, float wd, float m, float stepLr, boolean first) {
        for (int i = lo; i < hi; i++) {
            float d = wd != 0f ? grad[i] + wd * w[i] : grad[i];
            if (v != null) {
                v[i] = first ? d : v[i] * m + d;
                d = nesterov ? d + m * v[i] : v[i];
            }
            w[i] -= stepLr * d;
        }
    }

    /** The momentum buffer of {@code p}, or null before its first step (or without momentum). Live, not a copy. */
    public Tensor velocity(Param p) { return velocity.get(p); }

    /** Restores the momentum buffer of {@code p} (copied), e.g. from a checkpoint; null clears it. */
    public void setVelocity(Param p, Tensor v) {
        if (!groupOf.containsKey(p)) throw new IllegalArgumentException("parameter is not in this optimizer");
        if (v == null) {
            velocity.remove(p);
            return;
        }
        if (!v.sameShape(p.value)) {
            throw new IllegalArgumentException("velocity: expected shape " + p.value.shapeString()
                    + ", found " + v.shapeString());
        }
        velocity.put(p, v.copy());
    }
}
