package minifig.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntConsumer;
import minifig.data.Batch;
import minifig.data.DataLoader;
import minifig.data.Sample;
import minifig.data.Seeds;
import minifig.models.ResNet;
import minifig.nn.Loss;
import minifig.tensor.Tensor;

/**
 * The fine-tuning fast path: when every stage up to {@code stage} is frozen, its output for a photo never
 * changes, so we run the frozen part ONCE per photo and per augmented view and train only the rest on the
 * cached activations. Training the head on ResNet-50 features then takes seconds instead of minutes.
 *
 * View v of sample i is exactly what the data loader produces for that sample in epoch v (its augmentation
 * is seeded by (seed, v, i)); epoch e trains on view e mod V in a freshly shuffled order.
 */
public final class FeatureCache {
    private static final long SHUFFLE = 0xfea7;

    public final String stage;
    /** Shape of one photo's cached activation, e.g. [2048] after "pool" or [1024, 14, 14] after "layer3". */
    public final int[] featureShape;
    /** rows[v][i]: the activation of sample i in view v. */
    private final float[][][] rows;
    private final int[] labels;
    private final List<Sample> samples;

    private FeatureCache(String stage, int[] featureShape, float[][][] rows, int[] labels, List<Sample> samples) {
        this.stage = stage;
        this.featureShape = featureShape;
        this.rows = rows;
        this.labels = labels;
        this.samples = samples;
    }

    /**
     * Runs {@code model} (eval mode: frozen BN uses its running statistics) up to {@code stage} over
     * {@code views} passes of {@code loader} (its epochs 0..views-1; the loader must not shuffle).
     * {@code progress} receives the number of photos done.
     */
    public static FeatureCache build(ResNet model, String stage, DataLoader loader, int views, IntConsumer progress) {
        int n = loader.size();
        float[][][] rows = new float[views][n][];
        int[] labels = new int[n];
        List<Sample> samples = new ArrayList<>(loader.samples());
        int[] shape = null;
        int done = 0;
        for (int v = 0; v < views; v++) {
            int i = 0;
            try (DataLoader.Epoch batches = loader.epoch(v)) {
                for (Batch b : batches) {
                    Tensor h = model.forwardTo(b.images(), stage, false);
                    if (shape == null) shape = Arrays.copyOfRange(h.shape, 1, h.shape.length);
                    int per = h.size() / b.size();
                    for (int j = 0; j < b.size(); j++, i++) {
                        rows[v][i] = Arrays.copyOfRange(h.data, j * per, (j + 1) * per);
                        labels[i] = b.labels()[j];
                    }
                    done += b.size();
                    if (progress != null) progress.accept(done);
                }
            }
        }
        return new FeatureCache(stage, shape, rows, labels, samples);
    }

    /**
     * The cache restricted to the samples at {@code indices} (into {@link #samples()}), in that order, every
     * view kept: one k-fold part of a cache built once over all TRAIN photos. Rows are shared, not copied.
     */
    public FeatureCache subset(int[] indices) {
        float[][][] sub = new float[rows.length][indices.length][];
        int[] subLabels = new int[indices.length];
        List<Sample> subSamples = new ArrayList<>(indices.length);
        for (int j = 0; j < indices.length; j++) {
            int i = indices[j];
            if (i < 0 || i >= labels.length) throw new IndexOutOfBoundsException("sample index " + i + " outside [0, " + labels.length + ")");
            for (int v = 0; v < rows.length; v++) sub[v][j] = rows[v][i];
            subLabels[j] = labels[i];
            subSamples.add(samples.get(i));
        }
        return new FeatureCache(stage, featureShape, sub, subLabels, subSamples);
    }

    /** A cache over given rows (rows[v][i]: sample i in view v), for tests and tools. */
    static FeatureCache of(String stage, int[] featureShape, float[][][] rows, int[] labels, List<Sample> samples) {
        return new FeatureCache(stage, featureShape, rows, labels, samples);
    }

    /** Every view's rows (shared, not copied): rows()[v][i] is sample i in view v. */
    float[][][] rows() { return rows; }

    /** The same cache with every row standardised by {@code st} (new arrays; this cache is unchanged). */
    public FeatureCache standardized(Standardizer st) {
        float[][][] out = new float[rows.length][labels.length][];
        for (int v = 0; v < rows.length; v++) for (int i = 0; i < labels.length; i++) out[v][i] = st.apply(rows[v][i]);
        return new FeatureCache(stage, featureShape, out, labels, samples);
    }

    /** The photos, in cache order. */
    public List<Sample> samples() { return java.util.Collections.unmodifiableList(samples); }

    public int size() { return labels.length; }

    public int views() { return rows.length; }

    public long bytes() { return (long) rows.length * labels.length * numel() * 4; }

    private int numel() {
        int k = 1;
        for (int d : featureShape) k *= d;
        return k;
    }

    /** The batches of training epoch {@code epoch} (0-based): view epoch mod V, shuffled with the seed. */
    public List<Batch> epoch(int epoch, int batchSize, long seed, boolean dropLast) {
        int n = size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Seeds.shuffle(order, new Random(Seeds.mix(seed, SHUFFLE, epoch)));
        return batches(epoch % rows.length, order, batchSize, dropLast);
    }

    /** View 0 in sample order (for a cache built without augmentation: the eval activations). */
    public List<Batch> inOrder(int batchSize) {
        int[] order = new int[size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        return batches(0, order, batchSize, false);
    }

    private List<Batch> batches(int view, int[] order, int batchSize, boolean dropLast) {
        List<Batch> out = new ArrayList<>();
        int per = numel();
        for (int s = 0; s < order.length; s += batchSize) {
            int b = Math.min(batchSize, order.length - s);
            if (dropLast && b < batchSize) break;
            int[] shape = new int[featureShape.length + 1];
            shape[0] = b;
            System.arraycopy(featureShape, 0, shape, 1, featureShape.length);
            Tensor x = new Tensor(shape);
            int[] y = new int[b];
            List<Sample> ss = new ArrayList<>(b);
            for (int j = 0; j < b; j++) {
                int i = order[s + j];
                System.arraycopy(rows[view][i], 0, x.data, j * per, per);
                y[j] = labels[i];
                ss.add(samples.get(i));
            }
            out.add(new Batch(x, y, ss));
        }
        return out;
    }

    /** Eval-mode scores of the trainable part over view 0, in sample order. */
    public Inference.Outputs evaluate(ResNet model, Loss loss, int batchSize) {
        String from = ResNet.stageAfter(stage);
        List<float[]> scores = new ArrayList<>();
        double lossSum = 0;
        for (Batch b : inOrder(batchSize)) {
            Tensor out = model.forwardFrom(b.images(), from, false);
            lossSum += (double) loss.forward(out, b.labels()) * b.size();
            int k = out.shape[1];
            for (int j = 0; j < b.size(); j++) scores.add(Arrays.copyOfRange(out.data, j * k, (j + 1) * k));
        }
        return new Inference.Outputs(scores.toArray(new float[0][]), labels.clone(), samples, lossSum / size());
    }
}
