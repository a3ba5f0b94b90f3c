package minifig.train;

import java.util.ArrayList;
import java.util.List;
import minifig.data.Batch;
import minifig.data.DataLoader;
import minifig.data.Sample;
import minifig.models.CustomNet;
import minifig.nn.Layer;
import minifig.nn.Loss;
import minifig.nn.NLLLoss;
import minifig.nn.SoftmaxCrossEntropy;
import minifig.tensor.Tensor;

/**
 * Runs a network in eval mode over a loader and keeps every photo's scores, label and file: what
 * validation, eval, the run report and predict are computed from.
 */
public final class Inference {
    private Inference() {}

    /** scores[i] are the network outputs (logits, or log-probabilities for the custom net) of samples.get(i). */
    public record Outputs(float[][] scores, int[] labels, List<Sample> samples, double meanLoss) {
        public int size() { return labels.length; }

        /** Class indices of each photo ranked by decreasing score. */
        public int[][] ranked() {
            int[][] r = new int[scores.length][];
            for (int i = 0; i < r.length; i++) r[i] = Evaluation.rank(scores[i]);
            return r;
        }

        public int correct() {
            int c = 0;
            for (int i = 0; i < labels.length; i++) if (Evaluation.rank(scores[i])[0] == labels[i]) c++;
            return c;
        }

        public double accuracy() { return labels.length == 0 ? 0 : (double) correct() / labels.length; }
    }

    /**
     * The loss that matches a network's output: the custom net ends in log_softmax (as the deck's listing),
     * so it takes NLL; the ResNets output logits and take the fused softmax cross-entropy. Both give the same
     * value and the same gradient at the logits.
     */
    public static Loss lossFor(Layer model) {
        return model instanceof CustomNet ? new NLLLoss() : new SoftmaxCrossEntropy();
    }

    /** Eval-mode forward over one pass of {@code loader} (its epoch 0; use an unshuffled, unaugmented loader). */
    public static Outputs run(Layer model, DataLoader loader) {
        Loss loss = lossFor(model);
        List<float[]> scores = new ArrayList<>();
        int[] labels = new int[loader.size()];
        List<Sample> samples = new ArrayList<>();
        double lossSum = 0;
        int n = 0;
        try (DataLoader.Epoch batches = loader.epoch(0)) {
            for (Batch b : batches) {
                Tensor out = model.forward(b.images(), false);
                lossSum += (double) loss.forward(out, b.labels()) * b.size();
                int k = out.shape[1];
                for (int i = 0; i < b.size(); i++) {
                    float[] row = new float[k];
                    System.arraycopy(out.data, i * k, row, 0, k);
                    scores.add(row);
                    labels[n++] = b.labels()[i];
                }
                samples.addAll(b.samples());
            }
        }
        return new Outputs(scores.toArray(new float[0][]), labels, samples, n == 0 ? Double.NaN : lossSum / n);
    }

    /** Softmax of a row of scores (logits or log-probabilities alike), computed stably in double. */
    public static double[] probabilities(float[] scores) {
        double max = Double.NEGATIVE_INFINITY;
        for (float s : scores) max = Math.max(max, s);
        double[] p = new double[scores.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) sum += p[i] = Math.exp(scores[i] - max);
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        return p;
    }
}
