package minifig.train;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import minifig.data.DataLoader;
import minifig.data.Dataset;
import minifig.data.Fold;
import minifig.data.ImageCache;
import minifig.data.Preprocessing;
import minifig.data.Split;
import minifig.nn.Module;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pretrained recipe's head path end to end: mirror views in the feature cache, a head trained on
 * standardised features, and checkpoints that hold the folded head so they run on raw photos.
 */
class HeadFineTuneTest {
    @TempDir static Path tmp;
    static Path data, weights;

    @BeforeAll
    static void setUp() throws Exception {
        data = SyntheticPhotoSet.write(tmp.resolve("photos"), 10, 3, 40, 7);
        weights = TunerTest.tinyWeights(tmp.resolve("tiny-resnet18.safetensors"));
    }

    static TrainConfig config(Path out, double valFraction, int epochs) {
        return new TrainConfig("resnet18", weights.toString(), "head", data.toString(), "published", null, valFraction,
                epochs, 8, 0.01, 0.9, 0.03, false, "cosine", 7, 0.1, 1, 32, 44, "flip", 10.0, 2, 0, 5, 1, out.toString());
    }

    static Trainer.Result train(TrainConfig cfg) {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Trainer.Result r = new Trainer(cfg, new PrintStream(log), false).run(null);
        assertTrue(log.toString().contains("features     pool output [64] cached for 2 views"), log.toString());
        return r;
    }

    @Test
    void savedBestCheckpointScoresTheValidationPhotosAsTheRunDid() {
        TrainConfig cfg = config(tmp.resolve("run-val"), 0.3, 12);
        Trainer.Result r = train(cfg);
        Split split = Split.published(Dataset.open(data));
        Fold fold = split.carveValidation(cfg.valFraction(), cfg.seed());
        Preprocessing pp = Trainer.preprocessing(cfg.model(), cfg.imageSize(), cfg.resize());
        ImageCache images = ImageCache.build(fold.val(), pp.resize(), pp.filter(), 1);
        Module best = Checkpoint.load(r.best()).model();
        Inference.Outputs val = Inference.run(best, DataLoader.builder(fold.val(), split.labels(), images, pp).batchSize(8).build());
        Trainer.EpochRow row = r.history().get(r.bestEpoch() - 1);
        // The run scored its in-memory head on standardised cached features; the checkpoint holds the folded
        // head and runs the whole network on the photos: same loss, same accuracy.
        assertEquals(row.valLoss(), val.meanLoss(), 1e-4 * (1 + row.valLoss()), "best epoch " + r.bestEpoch());
        assertEquals(row.valAcc(), val.accuracy(), 0.0);
        assertTrue(r.history().get(r.history().size() - 1).trainLoss() < r.history().get(0).trainLoss(), "training loss falls");
    }

    @Test
    void withoutValidationTheModelIsTheLastEpochAndTheSameSeedGivesTheSameNumbers() throws Exception {
        Trainer.Result a = train(config(tmp.resolve("run-a"), 0, 5)), b = train(config(tmp.resolve("run-b"), 0, 5));
        assertEquals(5, a.bestEpoch());
        assertEquals(5, Checkpoint.load(a.best()).epoch());
        assertArrayEquals(Checkpoint.load(a.runDir().resolve("last.safetensors")).tensors.get("fc.weight").data,
                Checkpoint.load(a.best()).tensors.get("fc.weight").data, 0f);
        for (int i = 0; i < 5; i++) assertEquals(a.history().get(i).trainLoss(), b.history().get(i).trainLoss(), 0.0);
        assertEquals(a.test().accuracy(), b.test().accuracy(), 0.0);
    }
}
