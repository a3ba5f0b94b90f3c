package minifig.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import minifig.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutations of valid files (bit flips, truncations, insertions, overwrites with extreme values): every
 * reader must either succeed or throw {@link BadInputException}, quickly, and never run a payload.
 */
class FuzzTest {
    /** 300 per reader in the suite; raise for a deeper manual run: -Dminifig.fuzz.cases=5000 */
    static final int CASES = Integer.getInteger("minifig.fuzz.cases", 300);
    static final long MAX_CASE_MILLIS = 2000;

    @TempDir Path dir;

    static byte[] mutate(byte[] src, Random rng) {
        byte[] b = src.clone();
        switch (rng.nextInt(5)) {
            case 0 -> { // flip 1-8 bits
                for (int i = 1 + rng.nextInt(8); i > 0; i--) b[rng.nextInt(b.length)] ^= (byte) (1 << rng.nextInt(8));
            }
            case 1 -> b = Arrays.copyOf(b, rng.nextInt(b.length)); // truncate
            case 2 -> { // insert 1-16 random bytes
                int at = rng.nextInt(b.length + 1), n = 1 + rng.nextInt(16);
                byte[] c = new byte[b.length + n];
                System.arraycopy(b, 0, c, 0, at);
                for (int i = 0; i < n; i++) c[at + i] = (byte) rng.nextInt(256);
                System.arraycopy(b, at, c, at + n, b.length - at);
                b = c;
            }
            case 3 -> { // overwrite 1-8 bytes with an extreme value (lengths, counts, offsets)
                byte fill = new byte[] {0, (byte) 0xff, 0x7f, (byte) 0x80}[rng.nextInt(4)];
                int at = rng.nextInt(b.length);
                for (int i = at; i < Math.min(b.length, at + 1 + rng.nextInt(8)); i++) b[i] = fill;
            }
            default -> { // overwrite one byte with a random value
                b[rng.nextInt(b.length)] = (byte) rng.nextInt(256);
            }
        }
        return b;
    }

    /** Runs {@code reader} over CASES mutations of {@code valid} written to {@code target}. */
    void fuzz(String what, byte[] valid, Path target, long seed, Consumer<Path> reader) {
        assertTimeoutPreemptively(Duration.ofSeconds(Math.max(60, CASES / 5)), () -> {
            Random rng = new Random(seed);
            int rejected = 0;
            for (int i = 0; i < CASES; i++) {
                byte[] m = mutate(valid, rng);
                Files.write(target, m);
                long t0 = System.nanoTime();
                try {
                    reader.accept(target);
                } catch (BadInputException e) {
                    rejected++;
                    assertFalse(e.getMessage().contains("\n"), what + " case " + i + ": multi-line message");
                } catch (Throwable t) {
                    Path keep = dir.resolve("failing-" + what + "-" + i);
                    Files.write(keep, m);
                    throw new AssertionError(what + " case " + i + " (seed " + seed + ") threw " + t, t);
                }
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(ms < MAX_CASE_MILLIS, what + " case " + i + " took " + ms + " ms");
            }
            assertTrue(rejected > CASES / 10, what + ": only " + rejected + " of " + CASES + " mutations were rejected");
            assertFalse(Files.exists(PthReaderTest.MARKER));
        });
    }

    @Test
    void safetensors() {
        fuzz("safetensors", Fixtures.bytes("java_written.safetensors"), dir.resolve("f.safetensors"), 11, Safetensors::read);
        fuzz("safetensors-py", Fixtures.bytes("ref_python.safetensors"), dir.resolve("g.safetensors"), 12, Safetensors::read);
    }

    @Test
    void npy() {
        fuzz("npy", Fixtures.bytes("npy/nchw_v1.npy"), dir.resolve("f.npy"), 13, Npy::read);
    }

    @Test
    void pthZipFile() {
        fuzz("pth-zip", Fixtures.bytes("pth/bn_module.pth"), dir.resolve("f.pth"), 14, PthReader::read);
    }

    @Test
    void pthLegacy() {
        fuzz("pth-legacy", Fixtures.bytes("pth/legacy_mixed.pth"), dir.resolve("f.pth"), 15, PthReader::read);
    }

    /** Mutates the pickle inside the zip and re-zips it with a correct CRC, so the mutations reach the unpickler. */
    @Test
    void pthPickleInsideZip() throws IOException {
        for (String name : new String[] {"pth/wrapped_state_dict.pth"}) { // floats, None, ints, nested dicts, tensors
            Map<String, byte[]> entries = new LinkedHashMap<>();
            try (ZipFile z = new ZipFile(Fixtures.path(name).toFile())) {
                for (ZipEntry e : java.util.Collections.list(z.entries())) entries.put(e.getName(), z.getInputStream(e).readAllBytes());
            }
            String pkl = entries.keySet().stream().filter(k -> k.endsWith("/data.pkl")).findFirst().orElseThrow();
            byte[] pickle = entries.get(pkl);
            Path f = dir.resolve("p.pth");
            fuzz("pickle-" + name, pickle, dir.resolve("raw.pkl"), 16, raw -> {
                try {
                    entries.put(pkl, Files.readAllBytes(raw));
                    Files.write(f, PthReaderTest.zip(entries));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                PthReader.read(f);
            });
        }
    }

    @Test
    void tfjs() throws IOException {
        Path src = Fixtures.path("tfjs/model.json").getParent();
        try (var files = Files.list(src)) {
            for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
        }
        byte[] json = Files.readAllBytes(dir.resolve("model.json"));
        fuzz("tfjs-json", json, dir.resolve("model.json"), 17, TfjsReader::read);
        Files.write(dir.resolve("model.json"), json);
        byte[] shard = Files.readAllBytes(dir.resolve("group1-shard2of3.bin"));
        fuzz("tfjs-shard", shard, dir.resolve("group1-shard2of3.bin"), 18, p -> TfjsReader.read(dir.resolve("model.json")));
    }
}
