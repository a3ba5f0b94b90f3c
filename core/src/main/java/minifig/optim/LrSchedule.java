package minifig.optim;

/**
 * A learning rate as a pure function of the step t (an epoch or an iteration count, as the trainer
 * chooses): no hidden state, so resuming at step t needs only t, and tests check known values.
 */
@FunctionalInterface
public interface LrSchedule {

    /** The learning rate for step {@code t} (t = 0 is the first step). */
    double lr(int t);

    static LrSchedule constant(double base) { return t -> base; }

    /** PyTorch's StepLR: base * gamma^floor(t / stepSize). */
    static LrSchedule step(double base, int stepSize, double gamma) {
        if (stepSize <= 0) throw new IllegalArgumentException("step size must be positive, got " + stepSize);
        return t -> base * Math.pow(gamma, Math.floorDiv(t, stepSize));
    }

    /**
     * Cosine annealing from base at t = 0 to floor at t = total, PyTorch's CosineAnnealingLR closed form
     * (eta_min = floor): floor + (base - floor) * (1 + cos(pi * t / total)) / 2; floor after total.
     */
    static LrSchedule cosine(double base, int total, double floor) {
        if (total <= 0) throw new IllegalArgumentException("cosine total steps must be positive, got " + total);
        return t -> t >= total ? floor : floor + (base - floor) * (1 + Math.cos(Math.PI * Math.max(t, 0) / total)) / 2;
    }

    /**
     * Linear warm-up multiplied onto this schedule, like chaining PyTorch's LinearLR(start_factor,
     * total_iters = warmupSteps): factor startFactor at t = 0 rising linearly to 1 at t = warmupSteps.
     */
    default LrSchedule withWarmup(int warmupSteps, double startFactor) {
        if (warmupSteps < 0) throw new IllegalArgumentException("warm-up steps must be >= 0, got " + warmupSteps);
        LrSchedule inner = this;
        return t -> t >= warmupSteps ? inner.lr(t)
                : inner.lr(t) * (startFactor + (1 - startFactor) * Math.max(t, 0) / warmupSteps);
    }
}
