package minifig.robust;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import minifig.io.Safetensors;
import minifig.train.Checkpoint;
import minifig.train.SyntheticPhotoSet;
import minifig.train.TrainConfig;
import minifig.train.Trainer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training survives a crash: a real {@code kill -9} in the middle of a run, then {@code --resume} from its last
 * checkpoint, ends with exactly the numbers of an uninterrupted run; a diverging run stops with a hint and keeps
 * its last good checkpoint.
 */
class CrashSafetyTest {
    @TempDir static Path tmp;
    static Path data;

    @BeforeAll
    static void photos() throws IOException {
        data = SyntheticPhotoSet.write(tmp.resolve("photos"), 5, 2, 18, 9); // 5 per class: 2 batches of 8 and 1 validation photo per class
    }

    static String[] train(Path out, String... more) {
        return Cli.args(List.of("train", "--data", data.toString(), "--split", "published", "--model", "custom",
                "--image-size", "16", "--epochs", "6", "--batch-size", "8", "--lr", "0.01", "--seed", "3", "--threads", "1",
                "--out", out.toString(), "--no-progress"), more);
    }

    /** epoch,train_loss,train_acc,val_loss,val_acc,lr of each metrics.csv row (not the timings). */
    static List<String> metrics(Path run) throws IOException {
        return Files.readAllLines(run.resolve("metrics.csv")).stream()
                .map(l -> String.join(",", List.of(l.split(",")).subList(0, 6))).toList();
    }

    static String lastLine(String log) {
        return log.strip().lines().reduce((x, y) -> y).orElse("");
    }

    /** No temporary file is left, and every checkpoint (and optimizer state) in the folder reads back. */
    static void assertCleanRunFolder(Path run) throws IOException {
        for (String f : Cli.files(run)) {
            assertFalse(f.endsWith(".tmp"), "temporary file left in " + run + ": " + f);
            if (f.endsWith(".optim.safetensors")) Safetensors.read(run.resolve(f));
            else if (f.endsWith(".safetensors")) Checkpoint.load(run.resolve(f)).model();
        }
    }

    @Test
    void killMinus9ThenResumeMatchesTheUninterruptedRun() throws Exception {
        Path a = tmp.resolve("uninterrupted"), x = tmp.resolve("killed");
        Process victim = Cli.process(tmp, train(x)).redirectErrorStream(true).start();
        // The reference runs in this JVM meanwhile (2 cores); numerics do not depend on the JIT (no FP reductions).
        var pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        var reference = pool.submit(() -> Cli.run(train(a)));
        pool.shutdown();
        List<String> seen = new ArrayList<>();
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(victim.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        seen.add(line);
                        if (line.startsWith("epoch 3/6")) {
                            victim.destroyForcibly(); // SIGKILL: no shutdown hooks, no finally blocks
                            break;
                        }
                    }
                }
            });
            assertTrue(victim.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        } finally {
            victim.destroyForcibly();
        }
        assertTrue(seen.stream().anyMatch(l -> l.startsWith("epoch 3/6")), "the run ended before epoch 3:\n" + String.join("\n", seen));
        assertNotEquals(0, victim.exitValue(), "the victim was killed");
        assertFalse(seen.stream().anyMatch(l -> l.startsWith("test accuracy:")), "killed before the end");

        // The epoch-3 line is printed before its checkpoints are written: the kill lands before, during or after them.
        int killedAfter = Checkpoint.load(x.resolve("last.safetensors")).epoch();
        assertTrue(killedAfter == 2 || killedAfter == 3, "last checkpoint at epoch " + killedAfter);

        Cli.Result resumed = Cli.runProcess(tmp, train(x, "--resume", x.resolve("last.safetensors").toString()));
        assertEquals(0, resumed.code(), resumed::toString);
        assertTrue(resumed.out().contains("resumed      from " + x.resolve("last.safetensors") + " after epoch " + killedAfter), resumed::toString);
        Cli.Result ref = reference.get(120, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(0, ref.code(), ref::toString);

        assertEquals(metrics(a), metrics(x), "metrics.csv (loss, accuracy, lr) after kill + resume");
        assertEquals(7, metrics(x).size());
        String testLine = lastLine(ref.out());
        assertTrue(testLine.startsWith("test accuracy: "), ref::toString);
        assertEquals(testLine, lastLine(resumed.out()));
        assertArrayEquals(Files.readAllBytes(a.resolve("eval.json")), Files.readAllBytes(x.resolve("eval.json")));
        assertCleanRunFolder(x);
        assertCleanRunFolder(a);
    }

    /**
     * The worst moment for a crash, made deterministic: epoch 3's optimizer state is on disk but its model is not
     * (and a temporary file is half-written). Resuming uses epoch 2's optimizer state and matches the full run.
     */
    @Test
    void crashBetweenTheOptimizerAndTheModelWrite() throws Exception {
        Path full = tmp.resolve("full"), snap = tmp.resolve("snap");
        Files.createDirectories(snap);
        TrainConfig cfg = new TrainConfig("custom", null, null, data.toString(), "published", null, 0.15, 4, 8, 0.01, 0.9, 5e-4,
                false, "cosine", 7, 0.1, 1, 16, 18, "light", 1.0, 1, 0, 3, 1, full.toString());
        new Trainer(cfg, new PrintStream(OutputStream.nullOutputStream()), false).onEpoch(row -> {
            if (row.epoch() == 3) {
                try { // epoch 3 has just moved epoch 2's state aside and written its own optimizer state
                    Files.copy(full.resolve("last.optim.safetensors"), snap.resolve("last.optim.safetensors"));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            if (row.epoch() != 2) return;
            try {
                for (String f : List.of("last.safetensors", "best.safetensors", "config.json")) Files.copy(full.resolve(f), snap.resolve(f));
                Files.copy(full.resolve("last.optim.safetensors"), snap.resolve("last.optim.prev.safetensors"));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).run(null);
        Files.write(snap.resolve(".last.safetensors.1a2b3c4d.tmp"), new byte[100]);
        assertEquals("3", Safetensors.read(snap.resolve("last.optim.safetensors")).metadata().require("epoch"));

        String[] args = {"train", "--data", data.toString(), "--split", "published", "--model", "custom", "--image-size", "16",
                "--epochs", "4", "--batch-size", "8", "--lr", "0.01", "--seed", "3", "--threads", "1", "--val-fraction", "0.15",
                "--augment", "light", "--warmup", "1", "--out", snap.toString(), "--no-progress", "--resume", snap.resolve("last.safetensors").toString()};
        Cli.Result r = Cli.run(args);
        assertEquals(0, r.code(), r::toString);
        assertEquals(metrics(full), metrics(snap));
        assertFalse(Files.exists(snap.resolve("last.optim.prev.safetensors")), "the previous optimizer state is dropped once superseded");
        assertCleanRunFolder(snap);
    }

    /** Training that blows up (lr jumps to 1e6 at epoch 3) stops with a hint and keeps epoch 2's checkpoint whole. */
    @Test
    void divergenceStopsWithAHintAndKeepsTheLastGoodCheckpoint() throws Exception {
        Path out = tmp.resolve("diverged");
        Cli.Result r = Cli.run(train(out, "--epochs", "4", "--schedule", "step", "--step-size", "2", "--gamma", "1e8", "--warmup", "0"));
        String msg = Cli.assertBadInput(r, "training diverged: ", " at epoch 3 ", "lower --lr", "the last good checkpoint is " + out.resolve("last.safetensors"));
        assertTrue(msg.contains("loss is NaN") || msg.contains("loss is Infinity") || msg.contains("is not finite"), msg);
        Checkpoint last = Checkpoint.load(out.resolve("last.safetensors"));
        assertEquals(2, last.epoch());
        for (var e : last.tensors.entrySet()) for (float v : e.getValue().data) assertTrue(Float.isFinite(v), e.getKey());
        assertEquals("2", Safetensors.read(out.resolve("last.optim.safetensors")).metadata().require("epoch"));
        assertEquals(3, Files.readAllLines(out.resolve("metrics.csv")).size());
        assertCleanRunFolder(out);

        // A NaN that the training loss does not show (ReLU maps it to 0) is caught before anything is saved.
        Path inf = tmp.resolve("infinite-lr");
        msg = Cli.assertBadInput(Cli.run(train(inf, "--epochs", "2", "--lr", "1e38")), "training diverged: ", "at epoch 1", "lower --lr",
                "not written yet");
        assertEquals(List.of("config.json"), Cli.files(inf), msg);
    }
}
