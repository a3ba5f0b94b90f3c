package minifig.nn;

import minifig.tensor.Tensor;

/**
 * Negative log-likelihood, PyTorch's F.nll_loss with mean reduction: L = -mean_n input[n, targets[n]],
 * where input holds log-probabilities (a {@link LogSoftmax} output, e.g. the custom net's).
 * backward: -1/N at each sample's target, 0 elsewhere.
 */
public final class NLLLoss implements Loss {
    /** The last forward's input shape and targets. */
    private int[] shape;
    private int[] targets;

    @Override
    public float forward(Tensor logProbs, int[] targets) {
        Loss.checkTargets("NLLLoss", logProbs, targets);
        int N = logProbs.shape[0], K = logProbs.shape[1];
        double s = 0;
        for (int n = 0; n < N; n++) s -= logProbs.data[n * K + targets[n]];
        this.shape = logProbs.shape.clone();
        this.targets = targets.clone();
        return (float) (s / N);
    }

    @Override
    public Tensor backward() {
        int[] sh = Checks.cached(shape, "NLLLoss");
        int N = sh[0], K = sh[1];
        Tensor dx = new Tensor(sh);
        for (int n = 0; n < N; n++) dx.data[n * K + targets[n]] = -1f / N;
        return dx;
    }
}
