package minifig.data;

import minifig.BadInputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Finds the photo folder: {@code --data DIR} when given, else {@code data/lego-minifigures} (filled by
 * {@code data/get-dataset.sh}) when it exists, else {@code ../shared/data/lego-minifigures}; both defaults
 * are relative to the working directory.
 */
public final class DataDir {
    public static final Path DEFAULT = Path.of("data", "lego-minifigures");
    public static final Path SHARED = Path.of("..", "shared", "data", "lego-minifigures");

    private DataDir() {}

    /** {@link #resolve(String, Path)} relative to the current working directory. */
    public static Path resolve(String dataFlag) {
        return resolve(dataFlag, Path.of("").toAbsolutePath());
    }

    /**
     * The data folder to use, absolute and normalised. {@code dataFlag} is the {@code --data} value or null.
     * Throws BadInputException when the chosen folder is missing, not a folder, empty, or lacks metadata.csv.
     */
    public static Path resolve(String dataFlag, Path workingDir) {
        Path dir;
        if (dataFlag != null && !dataFlag.isBlank()) {
            dir = workingDir.resolve(dataFlag);
            if (!Files.exists(dir)) {
                throw new BadInputException("--data " + dataFlag + ": expected a folder with the photo set, found no such path ("
                        + dir.toAbsolutePath().normalize() + ")");
            }
        } else {
            Path local = workingDir.resolve(DEFAULT), shared = workingDir.resolve(SHARED);
            if (Files.exists(local)) dir = local;
            else if (Files.exists(shared)) dir = shared;
            else {
                throw new BadInputException("data folder: expected " + local.normalize() + " or " + shared.normalize()
                        + ", found neither; run data/get-dataset.sh or pass --data DIR");
            }
        }
        dir = dir.toAbsolutePath().normalize();
        check(dir);
        return dir;
    }

    /** Throws unless {@code dir} is a non-empty folder holding metadata.csv. */
    public static void check(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new BadInputException(dir + ": expected a data folder, found " + (Files.exists(dir) ? "a file" : "no such path"));
        }
        try (Stream<Path> s = Files.list(dir)) {
            if (s.findAny().isEmpty()) {
                throw new BadInputException(dir + ": expected the photo set (index.csv, test.csv, metadata.csv, photos), "
                        + "found an empty folder; run data/get-dataset.sh");
            }
        } catch (IOException e) {
            throw new BadInputException(dir + ": cannot list the data folder (" + e.getMessage() + ")", e);
        }
        if (!Files.isRegularFile(dir.resolve("metadata.csv"))) {
            throw new BadInputException(dir + ": expected metadata.csv in the data folder, found none");
        }
    }
}
