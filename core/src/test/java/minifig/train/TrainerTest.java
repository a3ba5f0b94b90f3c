package minifig.train;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import minifig.nn.Module;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training loop on a tiny synthetic photo set: learning, checkpoints, resume, the final test line. */
class TrainerTest {
    @TempDir static Path tmp;
    static Path data;

    @BeforeAll
    static void photos() throws IOException {
        data = SyntheticPhotoSet.write(tmp.resolve("photos"), 10, 3, 24, 7);
    }

    static TrainConfig config(Path out, int epochs, long seed) {
        return new TrainConfig("custom", null, null, data.toString(), "published", null, 0.2,
                epochs, 8, 0.01, 0.9, 5e-4, false, "cosine", 7, 0.1, 1, 16, 18, "light", 1.0, 1, 0, seed, 1, out.toString());
    }

    static Trainer.Result train(TrainConfig cfg, Path resume) {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Trainer.Result r = new Trainer(cfg, new PrintStream(log), false).run(resume);
        String text = log.toString();
        String last = text.strip().lines().reduce((a, b) -> b).orElseThrow();
        assertTrue(last.matches("test accuracy: \\d\\.\\d{4} \\(\\d+/9\\)"), "last line was: " + last);
        return r;
    }

    @Test
    void resumeFromEpochTwoReproducesTheUninterruptedRun() throws IOException {
        Path snap = tmp.resolve("snapshot");
        Files.createDirectories(snap);
        Path outA = tmp.resolve("runA");
        Trainer.Result a;
        {
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            a = new Trainer(config(outA, 4, 3), new PrintStream(log), false).onEpoch(row -> {
                if (row.epoch() != 2) return;
                try {
                    Files.copy(outA.resolve("last.safetensors"), snap.resolve("last.safetensors"), StandardCopyOption.REPLACE_EXISTING);
                    Files.copy(outA.resolve("last.optim.safetensors"), snap.resolve("last.optim.safetensors"), StandardCopyOption.REPLACE_EXISTING);
                    Files.copy(outA.resolve("best.safetensors"), snap.resolve("best.safetensors"), StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).run(null);
        }
        Trainer.Result b = train(config(tmp.resolve("runB"), 4, 3), snap.resolve("last.safetensors"));
        assertEquals(4, a.history().size());
        assertEquals(4, b.history().size());
        for (int i = 0; i < 4; i++) {
            Trainer.EpochRow x = a.history().get(i), y = b.history().get(i);
            assertEquals(x.trainLoss(), y.trainLoss(), 0.0, "train loss of epoch " + (i + 1));
            assertEquals(x.trainAcc(), y.trainAcc(), 0.0);
            assertEquals(x.valLoss(), y.valLoss(), 0.0, "val loss of epoch " + (i + 1));
            assertEquals(x.valAcc(), y.valAcc(), 0.0);
            assertEquals(x.lr(), y.lr(), 0.0);
        }
        assertEquals(a.test().accuracy(), b.test().accuracy(), 0.0);
        Map<String, Tensor> ta = Checkpoint.load(a.best()).tensors, tb = Checkpoint.load(b.best()).tensors;
        for (String k : ta.keySet()) assertArrayEquals(ta.get(k).data, tb.get(k).data, "best weights " + k);
    }

    @Test
    void sameSeedSameNumbersAndTheNetLearnsTheShapes() {
        Trainer.Result a = train(config(tmp.resolve("seedA"), 8, 11), null);
        Trainer.Result b = train(config(tmp.resolve("seedB"), 8, 11), null);
        for (int i = 0; i < a.history().size(); i++) {
            assertEquals(a.history().get(i).trainLoss(), b.history().get(i).trainLoss(), 0.0);
        }
        // Three easy classes: far above chance (1/3) after a few epochs.
        Trainer.EpochRow last = a.history().get(a.history().size() - 1);
        assertTrue(last.trainLoss() < a.history().get(0).trainLoss(), "loss should fall: " + a.history());
        assertTrue(a.test().accuracy() >= 0.6, "test accuracy " + a.test().accuracy());
    }

    @Test
    void runFolderHoldsEverythingAndCheckpointsRoundTrip() throws IOException {
        Path out = tmp.resolve("files");
        Trainer.Result r = train(config(out, 2, 5), null);
        for (String f : List.of("config.json", "metrics.csv", "best.safetensors", "last.safetensors", "last.optim.safetensors",
                "loss.png", "accuracy.png", "confusion.png", "confusion.csv", "eval.txt", "eval.json", "misclassified.csv", "report.html")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        assertEquals(3, Files.readAllLines(out.resolve("metrics.csv")).size());
        try (var s = Files.list(out)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains(".tmp")), "no temporary files left");
        }
        Checkpoint ck = Checkpoint.load(out.resolve("last.safetensors"));
        assertEquals("custom", ck.arch);
        assertEquals(3, ck.labels.size());
        assertEquals("GREEN DISC", ck.labels.get(1).name());
        assertEquals(16, ck.preprocessing.crop());
        Module m = ck.model();
        Path again = tmp.resolve("again.safetensors");
        Checkpoint.save(again, m, ck.metadata);
        Checkpoint ck2 = Checkpoint.load(again);
        assertEquals(ck.metadata.asMap(), ck2.metadata.asMap());
        for (var e : ck.tensors.entrySet()) assertArrayEquals(e.getValue().data, ck2.tensors.get(e.getKey()).data, e.getKey());
        assertEquals(r.test().n, 9);
    }
}
