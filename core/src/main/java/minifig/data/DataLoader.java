package minifig.data;

import minifig.tensor.Tensor;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Turns samples into {@link Batch}es: epoch shuffling, augmentation (training) or the fixed eval transform,
 * normalisation and CHW layout. Batches are built on one background thread feeding a small bounded queue,
 * so the trainer's cores keep computing while the next batch is prepared.
 *
 * Determinism: the order of epoch e comes from {@code Seeds.mix(seed, SHUFFLE, e)} and the augmentation of
 * sample i (its index in the sample list) in epoch e from {@code Seeds.mix(seed, AUGMENT, e, i)}, so the
 * batches for a seed are the same whatever the thread timing, and the same with {@code prefetch(0)}.
 *
 * <pre>
 * DataLoader train = DataLoader.builder(fold.train(), split.labels(), cache, pp)
 *         .batchSize(32).augmentation(Augmentation.standard()).shuffle(true).seed(seed).build();
 * for (int e = 0; e < epochs; e++)
 *     try (DataLoader.Epoch batches = train.epoch(e)) {
 *         for (Batch b : batches) { ... b.images(), b.labels() ... }
 *     }
 * </pre>
 */
public final class DataLoader {
    private static final long SHUFFLE = 0x5b, AUGMENT = 0xa0;

    private final List<Sample> samples;
    private final int[] labels;
    private final ImageSource cache;
    private final Preprocessing pp;
    private final Augmentation aug;
    private final int batchSize, prefetch;
    private final boolean shuffle, dropLast, mirrorOddEpochs;
    private final long seed;

    private DataLoader(Builder b) {
        this.samples = List.copyOf(b.samples);
        this.cache = b.cache;
        this.pp = b.pp;
        this.aug = b.aug;
        this.batchSize = b.batchSize;
        this.prefetch = b.prefetch;
        this.shuffle = b.shuffle;
        this.dropLast = b.dropLast;
        this.mirrorOddEpochs = b.mirrorOddEpochs;
        this.seed = b.seed;
        this.labels = new int[samples.size()];
        for (int i = 0; i < labels.length; i++) {
            Sample s = samples.get(i);
            if (!b.labels.contains(s.classId())) {
                throw new IllegalArgumentException("sample " + s + " has a class outside the label set " + b.labels);
            }
            if (cache instanceof ImageCache c && !c.contains(s)) throw new IllegalArgumentException("sample " + s + " is not in the image cache");
            labels[i] = b.labels.indexOf(s.classId());
        }
    }

    /** Starts a loader description; defaults: batch 32, no augmentation, no shuffle, keep the last partial batch, seed 0, prefetch 2. */
    public static Builder builder(List<Sample> samples, LabelSet labels, ImageSource cache, Preprocessing pp) {
        return new Builder(samples, labels, cache, pp);
    }

    public static final class Builder {
        private final List<Sample> samples;
        private final LabelSet labels;
        private final ImageSource cache;
        private final Preprocessing pp;
        private Augmentation aug;
        private int batchSize = 32, prefetch = 2;
        private boolean shuffle, dropLast, mirrorOddEpochs;
        private long seed;

        private Builder(List<Sample> samples, LabelSet labels, ImageSource cache, Preprocessing pp) {
            this.samples = samples;
            this.labels = labels;
            this.cache = cache;
            this.pp = pp;
        }

        public Builder batchSize(int n) {
            if (n < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + n);
            batchSize = n;
            return this;
        }

        /** Training augmentation, or null for the eval transform (resize + centre crop). */
        public Builder augmentation(Augmentation a) { aug = a; return this; }

        public Builder shuffle(boolean s) { shuffle = s; return this; }

        /**
         * Deterministic flips for the eval transform: odd epochs see every photo mirrored. The feature cache's
         * two views of a photo are then the photo and its mirror image, not two coin tosses (augment "flip").
         */
        public Builder mirrorOddEpochs(boolean m) { mirrorOddEpochs = m; return this; }

        /** Drop a last batch smaller than the batch size (keeps BatchNorm statistics sane in training). */
        public Builder dropLast(boolean d) { dropLast = d; return this; }

        public Builder seed(long s) { seed = s; return this; }

        /** Batches prepared ahead on the background thread; 0 builds them on the caller's thread. */
        public Builder prefetch(int n) {
            if (n < 0) throw new IllegalArgumentException("prefetch must be >= 0, got " + n);
            prefetch = n;
            return this;
        }

        public DataLoader build() { return new DataLoader(this); }
    }

    public int size() { return samples.size(); }

    public List<Sample> samples() { return samples; }

    public int batchSize() { return batchSize; }

    public int batchesPerEpoch() {
        return dropLast ? samples.size() / batchSize : (samples.size() + batchSize - 1) / batchSize;
    }

    /** The sample order of epoch {@code epoch} (indices into {@link #samples()}). */
    public int[] order(int epoch) {
        int[] idx = new int[samples.size()];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        if (shuffle) Seeds.shuffle(idx, new Random(Seeds.mix(seed, SHUFFLE, epoch)));
        return idx;
    }

    /** Builds batch {@code b} of epoch {@code epoch} given that epoch's order; pure, so safe on any thread. */
    Batch makeBatch(int epoch, int[] order, int b) {
        int from = b * batchSize, to = Math.min(order.length, from + batchSize), n = to - from;
        int s = pp.inputSize();
        Tensor images = new Tensor(n, 3, s, s);
        int[] y = new int[n];
        List<Sample> who = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            int i = order[from + k];
            Sample sample = samples.get(i);
            RgbImage src = cache.get(sample);
            RgbImage img = aug == null ? pp.resizeAndCrop(src)
                    : aug.apply(src, s, pp.filter(), new Random(Seeds.mix(seed, AUGMENT, epoch, i)));
            if (aug == null && mirrorOddEpochs && epoch % 2 == 1) img = img.flipHorizontal();
            pp.normalizeInto(img, images.data, k * 3 * s * s);
            y[k] = labels[i];
            who.add(sample);
        }
        return new Batch(images, y, List.copyOf(who));
    }

    /** The batches of one epoch; close it (try-with-resources) to stop the background thread early. */
    public Epoch epoch(int epoch) {
        return new Epoch(epoch);
    }

    /** An epoch's batches in order. Iterate once. */
    public final class Epoch implements Iterable<Batch>, Iterator<Batch>, AutoCloseable {
        private static final Object END = new Object();
        private final int epoch;
        private final int[] order;
        private final int count;
        private final BlockingQueue<Object> queue;
        private final Thread producer;
        private int taken;
        private volatile boolean closed;

        private Epoch(int epoch) {
            this.epoch = epoch;
            this.order = order(epoch);
            this.count = batchesPerEpoch();
            if (prefetch == 0) {
                queue = null;
                producer = null;
                return;
            }
            queue = new ArrayBlockingQueue<>(prefetch);
            producer = new Thread(this::produce, "minifig-loader-epoch-" + epoch);
            producer.setDaemon(true);
            producer.start();
        }

        private void produce() {
            try {
                for (int b = 0; b < count && !closed; b++) queue.put(makeBatch(epoch, order, b));
                queue.put(END);
            } catch (InterruptedException e) {
                // closed early: just stop
            } catch (Throwable t) {
                try {
                    queue.put(t);
                } catch (InterruptedException ignored) {
                    // closed early
                }
            }
        }

        @Override
        public Iterator<Batch> iterator() { return this; }

        @Override
        public boolean hasNext() { return !closed && taken < count; }

        @Override
        public Batch next() {
            if (!hasNext()) throw new NoSuchElementException();
            if (queue == null) return makeBatch(epoch, order, taken++);
            Object o;
            try {
                o = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a batch", e);
            }
            if (o instanceof Batch b) {
                taken++;
                return b;
            }
            closed = true;
            if (o instanceof RuntimeException re) throw re;
            if (o instanceof Error err) throw err;
            throw new IllegalStateException("batch producer failed", (Throwable) o);
        }

        /** Stops the producer thread (if any) and waits for it. */
        @Override
        public void close() {
            closed = true;
            if (producer != null) {
                producer.interrupt();
                try {
                    producer.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
