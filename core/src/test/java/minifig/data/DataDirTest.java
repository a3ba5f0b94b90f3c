package minifig.data;

import minifig.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class DataDirTest {
    @Test
    void flagThenLocalThenShared(@TempDir Path tmp) throws Exception {
        Path repo = Files.createDirectories(tmp.resolve("repo"));
        var e = assertThrows(BadInputException.class, () -> DataDir.resolve(null, repo));
        assertTrue(e.getMessage().contains("found neither; run data/get-dataset.sh or pass --data DIR"), e.getMessage());

        Path shared = TestData.fakeSet(tmp.resolve("shared/data/lego-minifigures"));
        assertEquals(shared, DataDir.resolve(null, repo));
        Path local = TestData.fakeSet(repo.resolve("data/lego-minifigures"));
        assertEquals(local, DataDir.resolve(null, repo));
        Path other = TestData.fakeSet(tmp.resolve("other"));
        assertEquals(other, DataDir.resolve("../other", repo));
        assertEquals(other, DataDir.resolve(other.toString(), repo));
    }

    @Test
    void badFlagOrEmptyDefault(@TempDir Path tmp) throws Exception {
        var e = assertThrows(BadInputException.class, () -> DataDir.resolve("missing", tmp));
        assertEquals("--data missing: expected a folder with the photo set, found no such path (" + tmp.resolve("missing") + ")", e.getMessage());
        Files.createDirectories(tmp.resolve("data/lego-minifigures"));
        e = assertThrows(BadInputException.class, () -> DataDir.resolve(null, tmp));
        assertTrue(e.getMessage().endsWith("found an empty folder; run data/get-dataset.sh"), e.getMessage());
        TestData.write(tmp, "data/lego-minifigures/index.csv", "path,class_id\n");
        e = assertThrows(BadInputException.class, () -> DataDir.resolve(null, tmp));
        assertEquals(tmp.resolve("data/lego-minifigures") + ": expected metadata.csv in the data folder, found none", e.getMessage());
    }
}
