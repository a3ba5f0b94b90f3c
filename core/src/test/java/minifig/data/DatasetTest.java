package minifig.data;

import minifig.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class DatasetTest {
    @Test
    void realMetadataAndUniverses() {
        Dataset ds = TestData.real();
        assertEquals(38, ds.metadata().size());
        assertEquals("[\"Yoda's Hut\"]", ds.metadata().get(5).legoNames());
        assertEquals("YODA", ds.metadata().get(5).name());
        assertEquals("[\"Captain America: Outriders Attack\"]", ds.metadata().get(23).legoNames());
        assertEquals(371, ds.publishedTrain().size());
        assertEquals(79, ds.publishedTest().size());
        // Test photos live in test/, the universe comes from the class's training photos.
        assertEquals(new ClassInfo(1, "SPIDER-MAN", "marvel"), ds.classInfo(1));
        assertEquals("star-wars", ds.universe(5));
        assertEquals("harry-potter", ds.universe(18));
        assertEquals("jurassic-world", ds.universe(26));
        for (int id = 1; id <= 38; id++) assertNotEquals("unknown", ds.universe(id), "class " + id);
    }

    @Test
    void fakeSetOpens(@TempDir Path dir) throws Exception {
        Dataset ds = Dataset.open(TestData.fakeSet(dir));
        assertEquals(12, ds.publishedTrain().size());
        assertEquals(3, ds.publishedTest().size());
        assertEquals("marvel", ds.universe(3));
        assertEquals(dir.toAbsolutePath().normalize().resolve("test/002.jpg"), ds.publishedTest().get(1).file());
    }

    private static String openError(Path dir) {
        return assertThrows(BadInputException.class, () -> Dataset.open(dir)).getMessage();
    }

    @Test
    void unknownClassId(@TempDir Path dir) throws Exception {
        TestData.fakeSet(dir);
        TestData.write(dir, "test.csv", "path,class_id\ntest/001.jpg,1\ntest/002.jpg,9\n");
        assertEquals(dir.resolve("test.csv") + ": line 3, field 'class_id': expected a class id listed in metadata.csv (1..3), found 9",
                openError(dir));
    }

    @Test
    void duplicateRowWithinAndAcrossFiles(@TempDir Path dir) throws Exception {
        TestData.fakeSet(dir);
        TestData.write(dir, "test.csv", "path,class_id\ntest/001.jpg,1\ntest/001.jpg,1\n");
        assertEquals(dir.resolve("test.csv") + ": line 3, field 'path': expected each photo listed once, found 'test/001.jpg' again (first at "
                + dir.resolve("test.csv") + ": line 2)", openError(dir));
        TestData.write(dir, "test.csv", "path,class_id\nmarvel/0001/002.jpg,1\n");
        assertTrue(openError(dir).contains("found 'marvel/0001/002.jpg' again (first at " + dir.resolve("index.csv") + ": line 3)"));
        // The same file spelled differently is still the same photo.
        TestData.write(dir, "test.csv", "path,class_id\n./marvel/0001/002.jpg,1\n");
        assertTrue(openError(dir).contains("found './marvel/0001/002.jpg' again"));
    }

    @Test
    void pathsEscapingTheFolder(@TempDir Path tmp) throws Exception {
        Path dir = TestData.fakeSet(tmp.resolve("set"));
        TestData.write(tmp, "outside.jpg", "");
        for (String bad : List.of("../outside.jpg", "marvel/../../outside.jpg", tmp.resolve("outside.jpg").toString(), "/etc/passwd", "C:\\x.jpg")) {
            TestData.write(dir, "test.csv", "path,class_id\n" + bad + ",1\n");
            assertEquals(dir.resolve("test.csv") + ": line 2, field 'path': expected a path inside the data folder (relative, no '..'), found '"
                    + bad + "'", openError(dir), bad);
        }
    }

    @Test
    void missingPhotoFile(@TempDir Path dir) throws Exception {
        TestData.fakeSet(dir);
        Files.delete(dir.resolve("marvel/0001/003.jpg"));
        assertEquals(dir.resolve("index.csv") + ": line 4, field 'path': expected an existing photo file, found no file 'marvel/0001/003.jpg' in " + dir,
                openError(dir));
    }

    @Test
    void missingColumnsAndFiles(@TempDir Path dir) throws Exception {
        TestData.fakeSet(dir);
        TestData.write(dir, "index.csv", "path,label\nmarvel/0001/001.jpg,1\n");
        assertEquals(dir.resolve("index.csv") + ": line 1 (header): expected columns path,class_id, found path,label (missing class_id)", openError(dir));
        Files.delete(dir.resolve("index.csv"));
        assertEquals(dir.resolve("index.csv") + ": expected a CSV file with columns path,class_id, found no such file", openError(dir));
        TestData.write(dir, "metadata.csv", "class_id,minifigure_name\n1,A\n1,B\n");
        assertEquals(dir.resolve("metadata.csv") + ": line 3, field 'class_id': expected distinct class ids, found 1 again (first on line 2)", openError(dir));
        TestData.write(dir, "metadata.csv", "class_id,name\n1,A\n");
        assertTrue(openError(dir).contains("(missing minifigure_name)"));
    }

    @Test
    void missingOrEmptyFolder(@TempDir Path dir) {
        assertEquals(dir.resolve("nope") + ": expected a data folder, found no such path", openError(dir.resolve("nope")));
        assertTrue(openError(dir).startsWith(dir + ": expected the photo set (index.csv, test.csv, metadata.csv, photos), found an empty folder"));
    }
}
