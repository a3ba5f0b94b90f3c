package minifig.data;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Shared helpers: the repository root, the real photo set (tests skip when it is absent), tiny fake sets. */
final class TestData {
    private TestData() {}

    /** The repository root: the nearest ancestor of the working directory holding data/splits. */
    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("data").resolve("splits"))) p = p.getParent();
        if (p == null) throw new IllegalStateException("no data/splits above " + Path.of("").toAbsolutePath());
        return p;
    }

    private static Dataset real;

    /** The real photo set, opened once; skips the test when it is not available. */
    static synchronized Dataset real() {
        if (real == null) {
            Path root = repoRoot();
            boolean present = Files.isDirectory(root.resolve(DataDir.DEFAULT)) || Files.isDirectory(root.resolve(DataDir.SHARED));
            Assumptions.assumeTrue(present, "photo set not available (run data/get-dataset.sh)");
            real = Dataset.open(DataDir.resolve(null, root));
        }
        return real;
    }

    /** Writes {@code text} to dir/name (creating parents). */
    static Path write(Path dir, String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.createDirectories(f.getParent());
        Files.writeString(f, text);
        return f;
    }

    static final String METADATA = """
            class_id,lego_ids,lego_names,minifigure_name
            1,[76115],['Spider Mech vs. Venom'],SPIDER-MAN
            2,[75208],"[""Yoda's Hut""]",YODA
            3,[76128],"[""Molten Man Battle""]",SPIDER-MAN
            """;

    /**
     * A tiny fake set: 3 classes in two universes, 4 train photos each (a/000N/00k.jpg) and one test photo
     * each (test/00N.jpg). Photo files are empty placeholders: opening a Dataset only checks they exist.
     */
    static Path fakeSet(Path dir) throws IOException {
        write(dir, "metadata.csv", METADATA);
        StringBuilder index = new StringBuilder("path,class_id\n"), test = new StringBuilder("path,class_id\n");
        for (int c = 1; c <= 3; c++) {
            String uni = c == 2 ? "star-wars" : "marvel";
            for (int k = 1; k <= 4; k++) {
                String p = uni + "/000" + c + "/00" + k + ".jpg";
                write(dir, p, "");
                index.append(p).append(',').append(c).append('\n');
            }
            String t = "test/00" + c + ".jpg";
            write(dir, t, "");
            test.append(t).append(',').append(c).append('\n');
        }
        write(dir, "index.csv", index.toString());
        write(dir, "test.csv", test.toString());
        return dir;
    }
}
