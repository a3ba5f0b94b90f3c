package minifig.robust;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import minifig.BadInputException;
import minifig.data.LabelSet;
import minifig.data.Preprocessing;
import minifig.io.Metadata;
import minifig.io.Safetensors;
import minifig.models.Models;
import minifig.tensor.Tensor;
import minifig.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutations of a checkpoint's metadata (the JSON strings in the safetensors header: arch, arch_config,
 * labels, preprocessing, epoch, history, best, config): Checkpoint.load and everything the commands then read
 * from it must either work or throw a one-line BadInputException. The byte-level readers are fuzzed in io.FuzzTest.
 */
class CheckpointFuzzTest {
    static final int CASES = Integer.getInteger("minifig.fuzz.cases", 200);
    static final String[] HOSTILE = {"", "null", "[]", "{}", "-1", "0", "1e999", "-1e999", "2147483648", "99999999999999999999",
            "\"x\"", "NaN", "true", "[{\"epoch\": \"x\"}]", "{\"classes\": [{\"id\": 1}]}", "[".repeat(5000),
            "{\"num_classes\": 3, \"in_channels\": 0}", "{\"num_classes\": 3, \"in_channels\": 1000000000}",
            "{\"num_classes\": -3}", "\u0000\u001f\n"};

    @TempDir Path dir;

    static String mutate(String v, Random rng) {
        StringBuilder b = new StringBuilder(v);
        switch (rng.nextInt(5)) {
            case 0 -> { return HOSTILE[rng.nextInt(HOSTILE.length)]; }
            case 1 -> { if (!b.isEmpty()) b.setLength(rng.nextInt(b.length())); }                  // truncate
            case 2 -> { // replace a number with an extreme one
                var m = java.util.regex.Pattern.compile("-?\\d+(\\.\\d+)?").matcher(v);
                List<int[]> spans = new ArrayList<>();
                while (m.find()) spans.add(new int[] {m.start(), m.end()});
                if (!spans.isEmpty()) {
                    int[] s = spans.get(rng.nextInt(spans.size()));
                    b.replace(s[0], s[1], new String[] {"-1", "0", "1e308", "2147483647", "-2147483648", "1.5", "99999999999"}[rng.nextInt(7)]);
                }
            }
            case 3 -> { // drop or duplicate a character
                if (!b.isEmpty()) {
                    int at = rng.nextInt(b.length());
                    if (rng.nextBoolean()) b.deleteCharAt(at);
                    else b.insert(at, b.charAt(at));
                }
            }
            default -> { // a JSON token somewhere
                String tok = new String[] {"{", "}", "[", "]", ",", ":", "\"", "null", "\"k\":"}[rng.nextInt(9)];
                b.insert(b.isEmpty() ? 0 : rng.nextInt(b.length()), tok);
            }
        }
        return b.toString();
    }

    @Test
    void mutatedMetadataLoadsOrFailsWithOneLine() {
        LabelSet labels = new LabelSet(List.of(new minifig.data.ClassInfo(1, "A", "marvel"), new minifig.data.ClassInfo(2, "B", "marvel"),
                new minifig.data.ClassInfo(5, "C, \"quoted\"", "star-wars")));
        Map<String, Tensor> tensors = Models.create("custom", 3, 3, 1).stateDict().tensors();
        Metadata valid = Checkpoint.metadata("custom", 3, labels, Preprocessing.torch(18, 16));
        valid.put("epoch", "4").put("seed", "3").put("split", "published");
        valid.putJson("history", List.of(Map.of("epoch", 1, "trainLoss", 1.0, "trainAcc", 0.5, "valLoss", 1.0, "valAcc", 0.5,
                "lr", 0.01, "imagesPerSec", 10.0, "seconds", 1.0)));
        valid.putJson("best", Map.of("epoch", 1, "val_acc", 0.5, "val_loss", 1.0));
        valid.putJson("config", Map.of("data", "/nowhere", "splitFile", "x.csv"));
        List<String> keys = new ArrayList<>(valid.asMap().keySet());
        Path f = dir.resolve("ck.safetensors");
        assertTimeoutPreemptively(Duration.ofSeconds(Math.max(90, CASES / 20)), () -> {
            Random rng = new Random(21);
            int rejected = 0;
            for (int i = 0; i < CASES; i++) {
                Map<String, String> m = new LinkedHashMap<>(valid.asMap());
                for (int k = 1 + rng.nextInt(2); k > 0; k--) {
                    String key = keys.get(rng.nextInt(keys.size()));
                    if (rng.nextInt(10) == 0) m.remove(key);
                    else m.put(key, mutate(m.getOrDefault(key, ""), rng));
                }
                Metadata md = new Metadata();
                m.forEach(md::put);
                Safetensors.write(f, tensors, md);
                long t0 = System.nanoTime();
                try {
                    Checkpoint ck = Checkpoint.load(f);
                    ck.model();
                    ck.epoch();
                    for (String k : keys) if (ck.metadata.containsKey(k) && !List.of("format", "format_version", "arch", "epoch", "seed", "split").contains(k)) ck.json(k);
                } catch (BadInputException e) {
                    rejected++;
                    assertFalse(e.getMessage().contains("\n"), "case " + i + ": multi-line message " + e.getMessage());
                    assertTrue(e.getMessage().startsWith(f.toString()) || e.getMessage().startsWith("metadata"), "case " + i + ": " + e.getMessage());
                } catch (Throwable t) {
                    throw new AssertionError("case " + i + " " + m + " threw " + t, t);
                }
                assertTrue((System.nanoTime() - t0) / 1_000_000 < 2000, "case " + i + " took too long");
            }
            assertTrue(rejected > CASES / 10, "only " + rejected + " of " + CASES + " rejected");
        });
    }
}
