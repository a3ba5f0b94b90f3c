package minifig.nn;

import minifig.tensor.Tensor;

/**
 * Cross-entropy on raw logits, PyTorch's F.cross_entropy with mean reduction: log_softmax and NLL fused.
 * L = mean_n (logsumexp(x[n]) - x[n, t_n]); backward (softmax(x) - onehot(t)) / N, which stays accurate
 * where a separate log_softmax + NLL backward would subtract nearly equal numbers.
 */
public final class SoftmaxCrossEntropy implements Loss {
    /** The last forward's softmax probabilities and targets. */
    private Tensor probs;
    private int[] targets;

    @Override
    public float forward(Tensor logits, int[] targets) {
        Loss.checkTargets("SoftmaxCrossEntropy", logits, targets);
        int N = logits.shape[0], K = logits.shape[1];
        Tensor p = new Tensor(logits.shape);
        double loss = 0;
        for (int n = 0; n < N; n++) {
            int off = n * K;
            double lse = LogSoftmax.logSumExp(logits.data, off, K);
            for (int k = 0; k < K; k++) p.data[off + k] = (float) Math.exp(logits.data[off + k] - lse);
            loss += lse - logits.data[off + targets[n]];
        }
        this.probs = p;
        this.targets = targets.clone();
        return (float) (loss / N);
    }

    /** Softmax probabilities of the last forward, [N, classes]. */
    public Tensor probabilities() { return Checks.cached(probs, "SoftmaxCrossEntropy"); }

    @Override
    public Tensor backward() {
        Tensor p = Checks.cached(probs, "SoftmaxCrossEntropy");
        int N = p.shape[0], K = p.shape[1];
        Tensor dx = new Tensor(p.shape);
        float invN = 1f / N;
        for (int n = 0; n < N; n++) {
            int off = n * K;
            for (int k = 0; k < K; k++) dx.data[off + k] = p.data[off + k] * invN;
            dx.data[off + targets[n]] = (p.data[off + targets[n]] - 1f) * invN;
        }
        return dx;
    }
}
