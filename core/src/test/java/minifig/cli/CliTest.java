package minifig.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import minifig.io.Npy;
import minifig.nn.Module;
import minifig.tensor.Tensor;
import minifig.train.Checkpoint;
import minifig.train.SyntheticPhotoSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands end to end, in-process: train writes a checkpoint that eval and predict agree on. */
class CliTest {
    @TempDir static Path tmp;
    static Path data, run;
    static String trainOut;

    record Out(int status, String out, String err) {}

    static synchronized Out cli(String... args) {
        PrintStream o = System.out, e = System.err;
        ByteArrayOutputStream bo = new ByteArrayOutputStream(), be = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(bo, true));
            System.setErr(new PrintStream(be, true));
            int status = Main.run(args);
            return new Out(status, bo.toString(), be.toString());
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
    }

    @BeforeAll
    static void trainOnce() throws IOException {
        data = SyntheticPhotoSet.write(tmp.resolve("photos"), 8, 3, 24, 5);
        run = tmp.resolve("run");
        Out r = cli("train", "--data", data.toString(), "--split", "published", "--model", "custom", "--image-size", "16",
                "--epochs", "3", "--batch-size", "8", "--lr", "0.01", "--seed", "2", "--threads", "1", "--out", run.toString(),
                "--no-progress");
        assertEquals(0, r.status(), r.err());
        trainOut = r.out();
    }

    @Test
    void trainPrintsConfigEpochLinesAndTheTestLineLast() {
        assertTrue(trainOut.contains("model        custom"), trainOut);
        assertTrue(trainOut.contains("epoch 3/3  train loss"), trainOut);
        List<String> lines = trainOut.strip().lines().toList();
        assertTrue(lines.get(lines.size() - 1).matches("test accuracy: \\d\\.\\d{4} \\(\\d+/9\\)"), lines.get(lines.size() - 1));
    }

    @Test
    void evalJsonAgreesWithTrainsTestLine() throws IOException {
        Out r = cli("eval", "--checkpoint", run.resolve("best.safetensors").toString(), "--json");
        assertEquals(0, r.status(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(9, j.get("n").asInt());
        String last = trainOut.strip().lines().reduce((a, b) -> b).orElseThrow();
        assertEquals(last, String.format(java.util.Locale.ROOT, "test accuracy: %.4f (%d/%d)", j.get("accuracy").asDouble(),
                j.get("correct").asInt(), 9));
        assertEquals(3, j.get("per_class").size());
        assertTrue(j.has("top5"));
        Out text = cli("eval", "--checkpoint", run.resolve("best.safetensors").toString(), "--out", tmp.resolve("ev").toString());
        assertEquals(0, text.status(), text.err());
        assertTrue(text.out().contains("confusion matrix"), text.out());
        assertTrue(text.out().contains("by universe"), text.out());
        assertTrue(Files.size(tmp.resolve("ev").resolve("confusion.png")) > 0);
    }

    @Test
    void predictOnNpyGivesTheNetworksOwnLogits() throws IOException {
        Checkpoint ck = Checkpoint.load(run.resolve("best.safetensors"));
        Module model = ck.model();
        // Two photos preprocessed exactly as the checkpoint says, stacked into one [2,3,16,16] array.
        Tensor a = ck.preprocessing.load(data.resolve("test/001.png")), b = ck.preprocessing.load(data.resolve("test/009.png"));
        float[] both = new float[a.size() * 2];
        System.arraycopy(a.data, 0, both, 0, a.size());
        System.arraycopy(b.data, 0, both, a.size(), b.size());
        Path npy = tmp.resolve("x.npy");
        Npy.write(npy, new Tensor(both, 2, 3, 16, 16));
        Out r = cli("predict", "--checkpoint", run.resolve("best.safetensors").toString(), npy.toString(), "--json", "--top", "2");
        assertEquals(0, r.status(), r.err());
        JsonNode preds = new ObjectMapper().readTree(r.out()).get("predictions");
        assertEquals(2, preds.size());
        assertEquals(npy + "[1]", preds.get(1).get("input").asText());
        Tensor y = model.forward(b, false);
        for (int k = 0; k < 3; k++) assertEquals(y.data[k], (float) preds.get(1).get("logits").get(k).asDouble(), 0f);
        assertEquals(2, preds.get(1).get("top").size());
        // The same photo given as an image file gets the same answer as the .npy row.
        Out img = cli("predict", "--checkpoint", run.resolve("best.safetensors").toString(), data.resolve("test/009.png").toString(), "--json");
        JsonNode p = new ObjectMapper().readTree(img.out()).get("predictions").get(0);
        assertEquals(preds.get(1).get("logits").toString(), p.get("logits").toString());
        // Text form: one line per class like "93.12%  NAME".
        Out txt = cli("predict", "--checkpoint", run.resolve("best.safetensors").toString(), data.resolve("test/001.png").toString());
        assertTrue(txt.out().lines().skip(1).allMatch(l -> l.matches(" *\\d+\\.\\d\\d%  .+")), txt.out());
    }

    @Test
    void evalOnAFolderOfClassSubfolders() throws IOException {
        Path dir = tmp.resolve("new-photos");
        Files.createDirectories(dir.resolve("GREEN DISC"));
        Files.createDirectories(dir.resolve("3"));
        Files.copy(data.resolve("test/004.png"), dir.resolve("GREEN DISC/a.png"));
        Files.copy(data.resolve("test/007.png"), dir.resolve("3/b.png"));
        Out r = cli("eval", "--checkpoint", run.resolve("best.safetensors").toString(), "--images", dir.toString(), "--json");
        assertEquals(0, r.status(), r.err());
        assertEquals(2, new ObjectMapper().readTree(r.out()).get("n").asInt());
    }

    @Test
    void missingDataFolderIsOneLine() {
        Out r = cli("train", "--data", tmp.resolve("nowhere").toString(), "--epochs", "1");
        assertEquals(2, r.status());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("error: --data "), r.err());
        assertTrue(r.err().contains("nowhere"), r.err());
    }

    @Test
    void outOfMemoryIsOneLineNamingTheHeapOption() {
        String msg = Main.userMessage(new RuntimeException("wrapped", new OutOfMemoryError("Java heap space")));
        assertNotNull(msg);
        assertFalse(msg.contains("\n"));
        assertTrue(msg.contains("MINIFIG_JAVA_OPTS=-Xmx"), msg);
        assertTrue(msg.contains((Runtime.getRuntime().maxMemory() >> 20) + " MB"), msg);
    }
}
