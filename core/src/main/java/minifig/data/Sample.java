package minifig.data;

import java.nio.file.Path;

/**
 * One labelled photo: {@code path} as written in the CSV (relative to the data folder, '/'-separated, the
 * key used in split files and reports), its class id, and the resolved {@code file} on disk.
 */
public record Sample(String path, int classId, Path file) {
    @Override
    public String toString() {
        return path + " (class " + classId + ")";
    }
}
