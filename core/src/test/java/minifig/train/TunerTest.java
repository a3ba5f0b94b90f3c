package minifig.train;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import minifig.data.ClassInfo;
import minifig.data.DataLoader;
import minifig.data.Dataset;
import minifig.data.Fold;
import minifig.data.ImageCache;
import minifig.data.LabelSet;
import minifig.data.Preprocessing;
import minifig.data.Sample;
import minifig.data.Split;
import minifig.io.Metadata;
import minifig.models.ResNet;
import minifig.models.ResNetConfig;
import minifig.nn.Loss;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The grid search on the tiny synthetic photo set: both training paths, ranking, determinism, the files,
 * and that the test photos are never read (they are replaced by garbage, which would fail any decode).
 */
class TunerTest {
    @TempDir static Path tmp;
    static Path data, weights;

    @BeforeAll
    static void setUp() throws IOException {
        data = SyntheticPhotoSet.write(tmp.resolve("photos"), 10, 3, 40, 7);
        try (var files = Files.list(data.resolve("test"))) {
            for (Path p : files.toList()) Files.write(p, new byte[] {'n', 'o', 't', ' ', 'a', ' ', 'p', 'n', 'g'});
        }
        weights = tinyWeights(tmp.resolve("tiny-resnet18.safetensors"));
    }

    /**
     * A width-8 resnet18 (random init, 5 "pretrained" classes) saved as a weights checkpoint, as 'minifig
     * convert' writes one: arch, labels, preprocessing, epoch 0.
     */
    static Path tinyWeights(Path file) {
        ResNet net = new ResNet(ResNetConfig.RESNET18.withWidth(8), 5, 3, 42L);
        List<ClassInfo> classes = new ArrayList<>();
        for (int i = 0; i < 5; i++) classes.add(new ClassInfo(i, "class " + i, "imagenet"));
        Metadata m = Checkpoint.metadata("resnet18", 3, new LabelSet(classes), Trainer.preprocessing("resnet18", 32, 37));
        m.put("epoch", "0");
        Checkpoint.save(file, net, m);
        return file;
    }

    static TrainConfig config(Path out, String model, Path w, String augment, int views, long seed) {
        return config(out, model, w, augment, views, seed, 8);
    }

    static TrainConfig config(Path out, String model, Path w, String augment, int views, long seed, int batch) {
        return new TrainConfig(model, w == null ? null : w.toString(), w == null ? null : "head", data.toString(), "published", null,
                0.15, 1, batch, 0.01, 0.9, 0, false, "cosine", 7, 0.1, 1, model.equals("custom") ? 16 : 32,
                model.equals("custom") ? 18 : 37, augment, w == null ? 1.0 : 10.0, views, 0, seed, 1, out.toString());
    }

    static Tuner.Result tune(TrainConfig cfg, TuneGrid grid, int k) {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Tuner.Result r = new Tuner(cfg, grid, k, new PrintStream(log)).run();
        String text = log.toString();
        assertTrue(text.contains("rank  lr"), text);
        return r;
    }

    @Test
    void featureCachePathRanksTheSensibleRateFirstDeterministicallyAndNeverTouchesTheTestPart() throws IOException {
        // With weight decay, lr 1000 (x10 for the head) makes every step multiply the weights by 1 - 1e4 * 1e-3 = -9:
        // they blow up (or the loss stops being finite).
        TuneGrid grid = new TuneGrid(List.of(1000.0, 0.01, 0.03), List.of(0.9), List.of(1e-3), List.of(20));
        Tuner.Result a = tune(config(tmp.resolve("tuneA"), "resnet18", weights, "light", 2, 3), grid, 3);
        Tuner.Result b = tune(config(tmp.resolve("tuneB"), "resnet18", weights, "light", 2, 3), grid, 3);
        assertTrue(a.mode().startsWith("feature cache"), a.mode());
        assertEquals(3, a.table().size());

        // Same seed, same table (times aside).
        for (int i = 0; i < 3; i++) {
            Tuner.Row x = a.table().get(i), y = b.table().get(i);
            assertEquals(x.point(), y.point());
            assertEquals(x.meanAcc(), y.meanAcc(), 0.0);
            assertEquals(x.meanLoss(), y.meanLoss(), 0.0);
            for (int f = 0; f < 3; f++) assertEquals(x.folds().get(f).loss(), y.folds().get(f).loss(), 0.0);
        }

        // Ranked by mean CV accuracy; the absurd learning rate is at the bottom, the sensible ones far above chance.
        assertRanked(a.table());
        Tuner.Row bad = a.table().get(2);
        assertEquals(1000.0, bad.point().lr(), a.table().toString());
        // On standardised features the blown-up head can keep an informative argmax, but not a sane loss.
        assertTrue(bad.diverged() || bad.meanAcc() <= 0.45 || bad.meanLoss() > 1e6, "lr 1000 should diverge, stay near chance or explode: " + bad);
        assertTrue(a.best().meanAcc() >= 0.7, "best CV accuracy " + a.best().meanAcc());
        assertTrue(a.trainCommand().contains(" --lr " + TuneGrid.num(a.best().point().lr()) + " ") && a.trainCommand().contains(" --epochs 20 ")
                && a.trainCommand().contains(" --weights " + weights), a.trainCommand());

        assertFoldsStratifiedOverTrainOnly(a.folds());
        assertRunFolder(a.runDir(), 3, 3);
    }

    /**
     * Fine-tuning the last stage on cached layer3 activations: every run starts from the pretrained layer4, so a
     * point scores the same whether or not another point trained (and changed) layer4 before it.
     */
    @Test
    void lastStageRunsEachStartFromThePretrainedWeights() {
        TuneGrid.Point p = new TuneGrid.Point(0.01, 0.9, 1e-4, 4);
        java.util.function.Function<String, TrainConfig> cfg = out -> new TrainConfig("resnet18", weights.toString(), "last-stage",
                data.toString(), "published", null, 0.15, 1, 8, 0.01, 0.9, 0, false, "cosine", 7, 0.1, 1, 32, 37, "light", 10, 2, 0, 4, 1,
                tmp.resolve(out).toString());
        Tuner.Result alone = tune(cfg.apply("last1"), new TuneGrid(List.of(p.lr()), List.of(p.momentum()), List.of(p.weightDecay()),
                List.of(p.epochs())), 2);
        Tuner.Result after = tune(cfg.apply("last2"), new TuneGrid(List.of(0.3, p.lr()), List.of(p.momentum()), List.of(p.weightDecay()),
                List.of(p.epochs())), 2);
        assertTrue(alone.mode().contains("last-stage"), alone.mode());
        Tuner.Row x = alone.best();
        Tuner.Row y = after.table().stream().filter(r -> r.point().equals(p)).findFirst().orElseThrow();
        for (int f = 0; f < 2; f++) {
            assertEquals(x.folds().get(f).loss(), y.folds().get(f).loss(), 0.0, "fold " + (f + 1) + " validation loss");
            assertEquals(x.folds().get(f).trainLoss(), y.folds().get(f).trainLoss(), 0.0, "fold " + (f + 1) + " training loss");
        }
    }

    @Test
    void fullTrainingPathForTheCustomNet() throws IOException {
        TuneGrid grid = new TuneGrid(List.of(0.01, 1000.0), List.of(0.9), List.of(1e-4), List.of(6));
        Tuner.Result a = tune(config(tmp.resolve("fullA"), "custom", null, "none", 1, 5, 4), grid, 2);
        Tuner.Result b = tune(config(tmp.resolve("fullB"), "custom", null, "none", 1, 5, 4), grid, 2);
        assertEquals("full training per fold", a.mode());
        assertRanked(a.table());
        assertEquals(0.01, a.best().point().lr());
        Tuner.Row bad = a.table().get(1);
        assertTrue(bad.diverged() || bad.meanAcc() < a.best().meanAcc(), "lr 1000 should fail: " + a.table());
        assertTrue(a.best().meanAcc() > 0.5, "custom net CV accuracy " + a.best().meanAcc());
        for (int i = 0; i < 2; i++) {
            assertEquals(a.table().get(i).meanAcc(), b.table().get(i).meanAcc(), 0.0);
            assertEquals(a.table().get(i).meanLoss(), b.table().get(i).meanLoss(), 0.0);
        }
        assertFoldsStratifiedOverTrainOnly(a.folds());
        assertRunFolder(a.runDir(), 2, 2);
    }

    /**
     * The transfer task: training a fresh head on the frozen (never trained on these photos) backbone's
     * cached features beats the frozen network with its new, untrained head, on held-out photos.
     */
    @Test
    void trainingTheHeadOnCachedFeaturesBeatsTheFrozenBaseline() {
        TrainConfig cfg = config(tmp.resolve("unused"), "resnet18", weights, "none", 1, 9);
        Split split = Split.published(Dataset.open(data));
        Fold fold = split.kFold(3, 9).get(0);
        Preprocessing pp = Trainer.preprocessing("resnet18", 32, 37);
        ImageCache images = ImageCache.build(split.train(), pp.resize(), pp.filter(), 1);
        ResNet net = Tuner.pretrained(cfg, split.labels().size());
        net.freezeThrough("pool");
        net.freezeAllBatchNormStats(true);
        FeatureCache train = FeatureCache.build(net, "pool",
                DataLoader.builder(fold.train(), split.labels(), images, pp).batchSize(8).build(), 1, null);
        FeatureCache val = FeatureCache.build(net, "pool",
                DataLoader.builder(fold.val(), split.labels(), images, pp).batchSize(8).build(), 1, null);
        Loss loss = Inference.lossFor(net);
        Inference.Outputs before = val.evaluate(net, loss, 8);

        Fit.Outcome o = Fit.onFeatures(net, net.sgd(0.01, 10, 0.9, 0, false), Trainer.schedule(Tuner.at(cfg,
                new TuneGrid.Point(0.01, 0.9, 0, 15))), 15, train, val, 8, 9);
        assertFalse(o.diverged());
        assertTrue(o.history().get(14).loss() < o.history().get(0).loss(), "training loss falls: " + o.history());
        assertTrue(o.val().accuracy() >= before.accuracy() + 0.3,
                "head training " + o.val().accuracy() + " vs frozen baseline " + before.accuracy());
        assertTrue(o.val().meanLoss() < before.meanLoss());
    }

    /** The fast path must not change the answer: cached features + the head == the full network, per photo. */
    @Test
    void featureCacheGivesTheLogitsOfTheFullForward() {
        TrainConfig cfg = config(tmp.resolve("unused"), "resnet18", weights, "none", 1, 4);
        Split split = Split.published(Dataset.open(data));
        Preprocessing pp = Trainer.preprocessing("resnet18", 32, 37);
        ImageCache images = ImageCache.build(split.train(), pp.resize(), pp.filter(), 1);
        ResNet net = Tuner.pretrained(cfg, split.labels().size());
        net.freezeThrough("layer3");
        net.freezeAllBatchNormStats(true);
        DataLoader loader = DataLoader.builder(split.train(), split.labels(), images, pp).batchSize(8).build();
        for (String stage : List.of("pool", "layer3")) {
            Inference.Outputs cached = FeatureCache.build(net, stage, loader, 1, null).evaluate(net, Inference.lossFor(net), 8);
            Inference.Outputs full = Inference.run(net, loader);
            assertEquals(full.size(), cached.size());
            for (int i = 0; i < full.size(); i++) {
                assertArrayEquals(full.scores()[i], cached.scores()[i], 1e-5f, stage + " photo " + i);
            }
            assertEquals(full.meanLoss(), cached.meanLoss(), 1e-5);
        }
    }

    @Test
    void subsetOfAFeatureCacheKeepsEveryViewOfTheChosenSamples() {
        TrainConfig cfg = config(tmp.resolve("unused"), "resnet18", weights, "light", 3, 2);
        Split split = Split.published(Dataset.open(data));
        Preprocessing pp = Trainer.preprocessing("resnet18", 32, 37);
        ImageCache images = ImageCache.build(split.train(), pp.resize(), pp.filter(), 1);
        ResNet net = Tuner.pretrained(cfg, 3);
        FeatureCache all = FeatureCache.build(net, "pool", DataLoader.builder(split.train(), split.labels(), images, pp)
                .augmentation(Trainer.augmentation("light")).seed(2).batchSize(8).build(), 3, null);
        int[] pick = {7, 0, 29};
        FeatureCache sub = all.subset(pick);
        assertEquals(3, sub.size());
        assertEquals(3, sub.views());
        for (int v = 0; v < 3; v++) {
            List<minifig.data.Batch> full = all.epoch(v, 30, 0, false), part = sub.epoch(v, 3, 0, false);
            // Compare by sample: same photo, same view -> same activation.
            Map<Sample, float[]> byFull = rowsBySample(full);
            for (var e : rowsBySample(part).entrySet()) assertArrayEquals(byFull.get(e.getKey()), e.getValue(), "view " + v);
        }
        assertEquals(List.of(split.train().get(7), split.train().get(0), split.train().get(29)), sub.samples());
        assertThrows(IndexOutOfBoundsException.class, () -> all.subset(new int[] {30}));
    }

    static Map<Sample, float[]> rowsBySample(List<minifig.data.Batch> batches) {
        Map<Sample, float[]> m = new HashMap<>();
        for (minifig.data.Batch b : batches) {
            int per = b.images().size() / b.size();
            for (int j = 0; j < b.size(); j++) {
                m.put(b.samples().get(j), java.util.Arrays.copyOfRange(b.images().data, j * per, (j + 1) * per));
            }
        }
        return m;
    }

    static void assertRanked(List<Tuner.Row> table) {
        boolean seenDiverged = false;
        for (int i = 0; i < table.size(); i++) {
            Tuner.Row r = table.get(i);
            assertEquals(i + 1, r.rank());
            if (r.diverged()) seenDiverged = true;
            else assertFalse(seenDiverged, "a finite row after a diverged one: " + table);
            if (i > 0 && !r.diverged()) assertTrue(table.get(i - 1).meanAcc() >= r.meanAcc(), "ranked by accuracy: " + table);
        }
    }

    /** Every fold's validation part holds each class's photos in near-equal shares; all come from TRAIN. */
    static void assertFoldsStratifiedOverTrainOnly(List<Fold> folds) {
        Split split = Split.published(Dataset.open(data));
        Set<Sample> train = new HashSet<>(split.train()), test = new HashSet<>(split.test()), seen = new HashSet<>();
        for (Fold f : folds) {
            Map<Integer, Integer> perClass = new HashMap<>();
            for (Sample s : f.val()) {
                assertTrue(train.contains(s) && !test.contains(s), s + " is not a TRAIN photo");
                assertTrue(seen.add(s), s + " validates twice");
                perClass.merge(s.classId(), 1, Integer::sum);
            }
            for (Sample s : f.train()) assertTrue(train.contains(s), s + " is not a TRAIN photo");
            assertEquals(split.train().size(), f.train().size() + f.val().size());
            for (int c = 1; c <= 3; c++) {
                int n = perClass.getOrDefault(c, 0);
                assertTrue(Math.abs(n - 10.0 / folds.size()) < 1, "class " + c + " has " + n + " validation photos in a fold of " + folds.size());
            }
        }
        assertEquals(train, seen, "the folds' validation parts cover TRAIN exactly");
    }

    static void assertRunFolder(Path dir, int rows, int k) throws IOException {
        List<String> csv = Files.readAllLines(dir.resolve("tune.csv"));
        assertEquals(rows + 1, csv.size());
        assertTrue(csv.get(0).startsWith("rank,lr,momentum,weight_decay,epochs,cv_acc_mean,cv_acc_std,cv_loss_mean,seconds,diverged,fold1_acc"));
        assertEquals(10 + k, csv.get(0).split(",").length);
        assertTrue(csv.get(1).startsWith("1,"));
        var json = Trainer.JSON.readTree(dir.resolve("tune.json").toFile());
        assertTrue(json.path("complete").asBoolean());
        assertEquals(rows, json.path("table").size());
        assertEquals(k, json.path("table").get(0).path("fold_scores").size());
        assertEquals(k, json.path("fold_sizes").size());
        assertTrue(json.path("config").has("seed") && !json.path("config").has("lr"), "config holds the fixed settings only");
        try (var s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary files left");
        }
    }
}
