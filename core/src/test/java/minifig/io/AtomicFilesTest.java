package minifig.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import minifig.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir Path dir;

    private long strayFiles() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".tmp")).count();
        }
    }

    @Test
    void writesAndReplacesAndCreatesParents() throws IOException {
        Path f = dir.resolve("a/b/metrics.json");
        AtomicFiles.writeString(f, "first");
        assertEquals("first", Files.readString(f));
        AtomicFiles.writeString(f, "second, longer");
        assertEquals("second, longer", Files.readString(f));
        AtomicFiles.writeBytes(f, new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(f));
    }

    @Test
    void failingBodyKeepsOldFileAndLeavesNoTemp() throws IOException {
        Path f = dir.resolve("ckpt.bin");
        AtomicFiles.writeString(f, "old");
        BadInputException e = assertThrows(BadInputException.class, () -> AtomicFiles.write(f, out -> {
            out.write("half-written new content".getBytes(StandardCharsets.UTF_8));
            throw new IOException("disk full");
        }));
        assertTrue(e.getMessage().contains("ckpt.bin") && e.getMessage().contains("disk full"), e.getMessage());
        assertEquals("old", Files.readString(f));
        assertEquals(0, strayFiles());

        assertThrows(IllegalStateException.class, () -> AtomicFiles.write(f, out -> {
            out.write(new byte[100_000]);
            throw new IllegalStateException("bug in the caller");
        }));
        assertEquals("old", Files.readString(f));
        assertEquals(0, strayFiles());
    }

    @Test
    void bodyMayCloseItsStream() throws IOException {
        Path f = dir.resolve("closed.txt");
        AtomicFiles.write(f, out -> {
            out.write('x');
            out.close();
        });
        assertEquals("x", Files.readString(f));
    }

    @Test
    void unwritableTargetIsOneLineBadInput() throws IOException {
        Path asDir = dir.resolve("iam-a-folder");
        Files.createDirectories(asDir.resolve("child"));
        BadInputException e = assertThrows(BadInputException.class, () -> AtomicFiles.writeString(asDir, "x"));
        assertTrue(e.getMessage().startsWith(asDir.toString() + ": cannot write"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertTrue(Files.isDirectory(asDir.resolve("child")));
        assertEquals(0, strayFiles());
    }
}
