package minifig.nn;

import minifig.tensor.Tensor;

/**
 * log_softmax over the class dimension of [N, classes]: y = x - log(sum(exp(x))), computed stably by
 * subtracting each row's maximum first. backward: dx = dy - softmax(x) * sum(dy), with softmax = exp(y).
 */
public final class LogSoftmax implements Layer {
    /** The last training output (log-probabilities): exp(y) is the softmax backward needs. */
    private Tensor output;

    @Override
    public Tensor forward(Tensor x, boolean training) {
        x.requireRank("LogSoftmax input [N, classes]", 2);
        int N = x.shape[0], K = x.shape[1];
        Tensor y = new Tensor(x.shape);
        for (int n = 0; n < N; n++) {
            int off = n * K;
            double lse = logSumExp(x.data, off, K);
            for (int k = 0; k < K; k++) y.data[off + k] = (float) (x.data[off + k] - lse);
        }
        if (training) output = y;
        return y;
    }

    /** log(sum_k exp(v[off + k])) in double, shifted by the row maximum so no exp overflows. */
    static double logSumExp(float[] v, int off, int K) {
        float max = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < K; k++) max = Math.max(max, v[off + k]);
        if (max == Float.NEGATIVE_INFINITY || Float.isNaN(max)) return max;
        double s = 0;
        for (int k = 0; k < K; k++) s += Math.exp(v[off + k] - max);
        return max + Math.log(s);
    }

    @Override
    public Tensor backward(Tensor dOut) {
        Tensor y = Checks.cached(output, "LogSoftmax");
        Checks.sameShape("LogSoftmax backward", y, dOut);
        int N = y.shape[0], K = y.shape[1];
        Tensor dx = new Tensor(y.shape);
        for (int n = 0; n < N; n++) {
            int off = n * K;
            double s = 0;
            for (int k = 0; k < K; k++) s += dOut.data[off + k];
            for (int k = 0; k < K; k++) {
                dx.data[off + k] = (float) (dOut.data[off + k] - Math.exp(y.data[off + k]) * s);
            }
        }
        return dx;
    }
}
