package minifig.nn;

import java.util.function.Supplier;
import minifig.kernels.Elementwise;
import minifig.kernels.Parallel;
import minifig.tensor.Param;
import minifig.tensor.Tensor;

/**
 * Batch normalisation over (N, H, W) per channel, with PyTorch's nn.BatchNorm2d semantics.
 *
 * <pre>
 * training:  y = gamma * (x - mean_B) / sqrt(var_B + eps) + beta     var_B biased (divide by M = N*H*W)
 *            running_mean = (1-momentum)*running_mean + momentum*mean_B
 *            running_var  = (1-momentum)*running_var  + momentum*var_B*M/(M-1)   (UNBIASED, as PyTorch)
 *            num_batches_tracked += 1
 * eval:      the same formula with running_mean / running_var
 * </pre>
 *
 * Frozen statistics ({@link #freezeStats(boolean)}): a training-mode forward normalises with the running
 * statistics and does not update them, so fine-tuning on small batches keeps the pretrained statistics;
 * gamma and beta still get gradients. Its backward is then the plain affine one, dx = gamma*dy/sqrt(rv+eps),
 * because the statistics do not depend on x.
 *
 * State names as PyTorch: weight (gamma), bias (beta), running_mean, running_var, num_batches_tracked.
 * num_batches_tracked is a scalar tensor (shape []) held as float here (exact up to 2^24 batches);
 * PyTorch stores it as int64, so weight writers must write it as int64 and readers convert.
 */
public final class BatchNorm2d implements Layer, EvalReluFusion, TrainingReluFusion {
    public final int numFeatures;
    public final float eps, momentum;
    /** gamma, [C], initialised to 1; decay = false. */
    public final Param weight;
    /** beta, [C], initialised to 0; decay = false. */
    public final Param bias;
    public final Tensor runningMean, runningVar;
    /** Scalar (shape []); see the class comment on its int64 type in PyTorch files. */
    public final Tensor numBatchesTracked;

    private boolean frozenStats;

    /**
     * Cached by a training forward: its input, the mean and 1/sqrt(var+eps) it normalised each channel with (backward
     * recomputes x-hat = (x - mean) * invStd in registers, the forward's values exactly, instead of the forward
     * writing an x-hat tensor: one activation-sized array less to allocate, zero and write per layer and step), the
     * mode used, and whether the following ReLU ran in the same pass (then backward receives the ReLU output's
     * gradient and recomputes the ReLU's mask: gamma * xhat + beta > 0).
     */
    private Tensor input;
    private float[] means, invStd;
    private boolean usedRunningStats, reluFused;
    /** Set by {@link #ownInput} after a training forward: backward writes dx over the cached input. */
    private boolean inputOwned;
    /** How backward gets the input when the forward kept no copy ({@link #recomputeInputWith}); else null. */
    private Supplier<Tensor> inputRecompute;

    public BatchNorm2d(int numFeatures) { this(numFeatures, 1e-5f, 0.1f); }

    public BatchNorm2d(int numFeatures, float eps, float momentum) {
        Checks.positive("BatchNorm2d num_features", numFeatures);
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        this.weight = new Param(new Tensor(numFeatures).fill(1f), false);
        this.bias = new Param(new Tensor(numFeatures), false);
        this.runningMean = new Tensor(numFeatures);
        this.runningVar = new Tensor(numFeatures).fill(1f);
        this.numBatchesTracked = new Tensor(new float[1]);
    }

    /** With {@code frozen}, training-mode forwards use and keep the running statistics. */
    public BatchNorm2d freezeStats(boolean frozen) {
        this.frozenStats = frozen;
        return this;
    }

    public boolean statsFrozen() { return frozenStats; }

    @Override
    public Tensor forward(Tensor x, boolean training) { return forward(x, training, false); }

    /** Eval mode with the following ReLU in the same pass: y = max(gamma * xhat + beta, 0). */
    @Override
    public Tensor forwardEvalRelu(Tensor x) { return forward(x, false, true); }

    /** Training mode with the following ReLU in the same pass; {@link #backward} then takes dL/d(ReLU output). */
    @Override
    public Tensor forwardTrainingRelu(Tensor x) { return forward(x, true, true); }

    private Tensor forward(Tensor x, boolean training, boolean relu) {
        Checks.nchw("BatchNorm2d input", x, numFeatures);
        int N = x.shape[0], C = numFeatures, HW = x.shape[2] * x.shape[3];
        long M = (long) N * HW;
        boolean batchStats = training && !frozenStats;
        if (batchStats && M <= 1) {
            throw new IllegalArgumentException("BatchNorm2d: expected more than 1 value per channel when training, "
                    + "got input " + x.shapeString());
        }
        Tensor y = training ? Recycler.take(x.shape) : new Tensor(x.shape);
        float[] mu = new float[C], inv = new float[C];
        float[] xs = x.data, ys = y.data, g = weight.value.data, b = bias.value.data;
        // Channels are independent (their own statistics and outputs), so they split over threads.
        Parallel.RangeBody channels = (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                float mean;
                if (batchStats) {
                    double s = 0;
                    for (int n = 0; n < N; n++) s += Elementwise.sum(xs, (n * C + c) * HW, HW);
                    mean = (float) (s / M);
                    double ss = 0;                       // two-pass variance: no cancellation
                    for (int n = 0; n < N; n++) ss += Elementwise.sumSquaredDeviation(xs, (n * C + c) * HW, HW, mean);
                    double var = ss / M;
                    inv[c] = (float) (1.0 / Math.sqrt(var + eps));
                    runningMean.data[c] = (1 - momentum) * runningMean.data[c] + momentum * mean;
                    runningVar.data[c] = (float) ((1 - momentum) * runningVar.data[c] + momentum * (ss / (M - 1)));
                } else {
                    mean = runningMean.data[c];
                    inv[c] = invStd(c);
                }
                mu[c] = mean;
                normalizeChannel(xs, ys, c, N, C, HW, mean, inv[c], g[c], b[c], relu);
            }
        };
        Elementwise.splitItems(C, x.size(), channels);
        if (batchStats) numBatchesTracked.data[0] += 1f;
        if (training) {
            input = x;
            inputRecompute = null;
            inputOwned = false;
            means = mu;
            invStd = inv;
            usedRunningStats = !batchStats;
            reluFused = relu;
        }
        return y;
    }

    /**
     * The last training forward's output again, relu(gamma * xhat + beta), from what backward keeps anyway (the input,
     * the mean and 1/sqrt(var+eps) of each channel): the same kernel on the same values, so the same bits. For the conv
     * after a fused BatchNorm + ReLU ({@link Conv2d#recomputeInputWith}), which then keeps no copy of its input; call
     * it before this layer's backward, which releases the cache.
     */
    Tensor recomputeReluOutput() {
        Tensor x = Checks.cached(input, "BatchNorm2d");
        if (!reluFused) throw new IllegalStateException("BatchNorm2d: the last training forward ran no ReLU to recompute");
        int N = x.shape[0], C = numFeatures, HW = x.shape[2] * x.shape[3];
        Tensor y = Recycler.take(x.shape);
        float[] xs = x.data, ys = y.data, g = weight.value.data, b = bias.value.data, mu = means, inv = invStd;
        Elementwise.splitItems(C, x.size(), (c0, c1) -> {
            for (int c = c0; c < c1; c++) normalizeChannel(xs, ys, c, N, C, HW, mu[c], inv[c], g[c], b[c], true);
        });
        return y;
    }

    /** Channel c of every image: y = gamma * xhat + beta with xhat = (x - mean) * inv, then the ReLU if {@code relu}. */
    private static void normalizeChannel(float[] xs, float[] ys, int c, int N, int C, int HW, float mean, float inv,
                                         float g, float b, boolean relu) {
        for (int n = 0; n < N; n++) {
            int off = (n * C + c) * HW;
            if (relu) Elementwise.normalizeRelu(xs, ys, off, HW, mean, inv, g, b);
            else Elementwise.normalize(xs, ys, off, HW, mean, inv, g, b);
        }
    }

    /** 1/sqrt(running_var + eps) of channel c, the eval scale. */
    private float invStd(int c) {
        return (float) (1.0 / Math.sqrt((double) runningVar.data[c] + eps));
    }

    /** 1/sqrt(running_var + eps) per channel: what an eval forward (or a conv fused with it) scales x - mean by. */
    float[] evalInvStd() {
        float[] inv = new float[numFeatures];
        for (int c = 0; c < numFeatures; c++) inv[c] = invStd(c);
        return inv;
    }

    /**
     * Tells this layer that the input of its last training forward is scratch: a conv's output handed straight to it,
     * which nothing else holds ({@link Sequential} says so for "Conv2d, BatchNorm2d"). Backward then writes dx over
     * that input, which it has read for the last time (each element is read before its dx is stored), instead of
     * allocating an activation-sized tensor: 318 MB less to allocate and zero per ResNet-18 step at batch 32.
     */
    void ownInput() {
        if (input != null) inputOwned = true;
    }

    /**
     * Drops the last training forward's input and has backward get it from {@code recompute} instead, which must return
     * the same values in an array nothing else holds (backward writes dx over it): for the conv output after ResNet's
     * stem conv, which the conv recomputes from the image it keeps anyway ({@link Conv2d#recomputeOutput}), so the
     * stage's largest activation (103 MB at batch 32) is not held from the forward to the backward. {@link Sequential}
     * does this where it is asked to ({@link Sequential#recomputeFirstConvOutput}).
     */
    void recomputeInputWith(Supplier<Tensor> recompute) {
        Checks.cached(input, "BatchNorm2d");
        input = null;
        inputRecompute = recompute;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        boolean rebuilt = input == null && inputRecompute != null;     // made for this call only, so dx may go over it
        Tensor x = rebuilt ? inputRecompute.get() : Checks.cached(input, "BatchNorm2d");
        if (rebuilt) inputOwned = true;
        input = null;       // released as soon as backward starts (see Layer: one forward, one backward)
        inputRecompute = null;
        Checks.sameShape("BatchNorm2d backward", x, dOut);
        int N = x.shape[0], C = numFeatures, HW = x.shape[2] * x.shape[3];
        double M = (double) N * HW;
        Tensor dx = inputOwned && x != dOut ? x : Recycler.take(x.shape);
        inputOwned = false;
        float[] d = dOut.data, xs = x.data, dxs = dx.data, g = weight.value.data;
        float[] mu = means, inv = invStd, b = bias.value.data;
        boolean relu = reluFused;
        Parallel.RangeBody channels = (c0, c1) -> {
            double[] sums = new double[2];
            for (int c = c0; c < c1; c++) {
                double sumDy = 0, sumDyXh = 0;
                for (int n = 0; n < N; n++) {
                    int off = (n * C + c) * HW;
                    if (relu) {
                        // d is the ReLU output's gradient: these are the sums of the ReLU's input gradient
                        Elementwise.reluMaskedSums(d, xs, off, HW, mu[c], inv[c], g[c], b[c], sums);
                        sumDy += sums[0];
                        sumDyXh += sums[1];
                    } else {
                        sumDy += Elementwise.sum(d, off, HW);
                        sumDyXh += Elementwise.dotNormalized(d, xs, off, HW, mu[c], inv[c]);
                    }
                }
                if (!weight.frozen) weight.grad.data[c] += (float) sumDyXh;
                if (!bias.frozen) bias.grad.data[c] += (float) sumDy;
                float k = g[c] * inv[c];
                for (int n = 0; n < N; n++) {
                    int off = (n * C + c) * HW;
                    if (relu) {
                        Elementwise.normalizeReluBackward(d, xs, dxs, off, HW, mu[c], inv[c], k, (float) (sumDy / M),
                                (float) (sumDyXh / M), g[c], b[c], usedRunningStats);
                    } else if (usedRunningStats) {
                        Elementwise.scale(d, dxs, off, HW, k);                     // dx = k * dy
                    } else {
                        // dx = gamma/sigma * (dy - mean(dy) - xhat * mean(dy * xhat)): mean and variance depend on x.
                        Elementwise.normalizeBackward(d, xs, dxs, off, HW, mu[c], inv[c], k, (float) (sumDy / M),
                                (float) (sumDyXh / M));
                    }
                }
            }
        };
        Elementwise.splitItems(C, dx.size(), channels);
        return dx;
    }

    @Override
    public void collect(String prefix, StateDict sd) {
        sd.param(prefix + "weight", weight);
        sd.param(prefix + "bias", bias);
        sd.buffer(prefix + "running_mean", runningMean);
        sd.buffer(prefix + "running_var", runningVar);
        sd.buffer(prefix + "num_batches_tracked", numBatchesTracked);
    }
}
