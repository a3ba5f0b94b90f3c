package minifig.train;

import java.util.ArrayList;
import java.util.List;
import minifig.data.Batch;
import minifig.data.DataLoader;
import minifig.models.ResNet;
import minifig.nn.Loss;
import minifig.nn.Module;
import minifig.optim.LrSchedule;
import minifig.optim.SGD;
import minifig.tensor.Param;
import minifig.tensor.Tensor;

/**
 * The training step, epoch and whole fit shared by the tuner (and meant for the trainer): zero the grads,
 * forward (from a cached stage when there is one), loss, backward through the trainable stages only, one
 * SGD step. A batch whose loss is not finite stops the epoch before its update, so a diverged run is
 * reported instead of silently continuing on NaN weights.
 */
public final class Fit {
    private Fit() {}

    /**
     * What one training epoch saw: mean loss and accuracy over the batches trained before any divergence;
     * {@code divergedBatch} is the 1-based batch whose loss ({@code badLoss}) was not finite, or 0.
     */
    public record EpochStats(double loss, double accuracy, int seen, int divergedBatch, float badLoss) {
        public boolean diverged() { return divergedBatch > 0; }
    }

    /**
     * A finished fit: the epochs trained, and the held-out scores after the last one (null when it diverged,
     * or when there was nothing to score). {@code divergedEpoch} is 1-based, 0 when training stayed finite.
     */
    public record Outcome(List<EpochStats> history, Inference.Outputs val, int divergedEpoch) {
        public boolean diverged() { return divergedEpoch > 0; }
    }

    /**
     * One pass over {@code batches} at the optimizer's current learning rate. With {@code from} non-null the
     * batches hold the activations entering stage {@code from} of a ResNet (a feature cache's), otherwise
     * images. {@code afterBatch} (may be null) sees the running mean loss after each step.
     */
    public static EpochStats epoch(Module model, String from, Loss loss, SGD sgd, Iterable<Batch> batches,
                                   java.util.function.DoubleConsumer afterBatch) {
        // Only trainable gradients are zeroed: frozen ones are never read (SGD skips them), and zeroing all of
        // ResNet-50's 25M every step would cost more than training its head on cached features.
        List<Param> trainable = new ArrayList<>();
        for (Param p : model.params()) if (!p.frozen) trainable.add(p);
        double lossSum = 0;
        int seen = 0, correct = 0, batchNo = 0;
        for (Batch b : batches) {
            batchNo++;
            for (Param p : trainable) p.zeroGrad();
            Tensor y = from == null ? model.forward(b.images(), true) : ((ResNet) model).forwardFrom(b.images(), from, true);
            float l = loss.forward(y, b.labels());
            if (!Float.isFinite(l)) return stats(lossSum, correct, seen, batchNo, l);
            Tensor dy = loss.backward();
            model.backwardParams(dy);
            sgd.step();
            lossSum += (double) l * b.size();
            seen += b.size();
            correct += Trainer.countCorrect(y, b.labels());
            if (afterBatch != null) afterBatch.accept(lossSum / seen);
        }
        return stats(lossSum, correct, seen, 0, Float.NaN);
    }

    private static EpochStats stats(double lossSum, int correct, int seen, int divergedBatch, float badLoss) {
        return new EpochStats(seen == 0 ? Double.NaN : lossSum / seen, seen == 0 ? Double.NaN : (double) correct / seen,
                seen, divergedBatch, badLoss);
    }

    /**
     * Trains the stages after {@code train.stage} of {@code model} for {@code epochs} epochs on cached
     * activations (epoch e uses view e mod V, shuffled from {@code seed}, as the trainer does), with the
     * learning rate of epoch e = schedule.lr(e), then scores the final weights on {@code val} (an
     * unaugmented cache; may be null). The caller prepares the model (fresh head, frozen stages) and sgd.
     */
    public static Outcome onFeatures(ResNet model, SGD sgd, LrSchedule schedule, int epochs, FeatureCache train,
                                     FeatureCache val, int batchSize, long seed) {
        Loss loss = Inference.lossFor(model);
        String from = ResNet.stageAfter(train.stage);
        boolean dropLast = train.size() > batchSize;
        List<EpochStats> history = new ArrayList<>();
        for (int e = 0; e < epochs; e++) {
            sgd.setLr(schedule.lr(e));
            EpochStats s = epoch(model, from, loss, sgd, train.epoch(e, batchSize, seed, dropLast), null);
            history.add(s);
            if (s.diverged()) return new Outcome(history, null, e + 1);
        }
        return new Outcome(history, val == null || val.size() == 0 ? null : val.evaluate(model, loss, batchSize), 0);
    }

    /**
     * The same on images: {@code train} epoch e (its shuffle and augmentation seeded by e), then an eval-mode
     * pass over {@code val} (an unshuffled, unaugmented loader; may be null).
     */
    public static Outcome onImages(Module model, SGD sgd, LrSchedule schedule, int epochs, DataLoader train, DataLoader val) {
        Loss loss = Inference.lossFor(model);
        List<EpochStats> history = new ArrayList<>();
        for (int e = 0; e < epochs; e++) {
            sgd.setLr(schedule.lr(e));
            EpochStats s;
            try (DataLoader.Epoch batches = train.epoch(e)) {
                s = epoch(model, null, loss, sgd, batches, null);
            }
            history.add(s);
            if (s.diverged()) return new Outcome(history, null, e + 1);
        }
        return new Outcome(history, val == null || val.size() == 0 ? null : Inference.run(model, val), 0);
    }
}
