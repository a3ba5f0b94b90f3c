package minifig.data;

import minifig.BadInputException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The photo set on disk: metadata.csv (class names), index.csv and test.csv (the published train/test
 * lists). Every path is checked to stay inside the folder and to exist when the set is opened, so later
 * stages never meet a missing file. Splits ({@link Split}) are built from this.
 */
public final class Dataset {
    public static final String INDEX = "index.csv", TEST = "test.csv", METADATA = "metadata.csv";

    /** One metadata.csv row. {@code legoNames} is kept verbatim (a Python-literal list). */
    public record Meta(int classId, String legoIds, String legoNames, String name) {}

    private final Path dir;
    private final Map<Integer, Meta> meta;          // by class id, ascending
    private final List<Sample> publishedTrain, publishedTest;
    private final Map<Integer, String> universe = new HashMap<>();

    private Dataset(Path dir, Map<Integer, Meta> meta, List<Sample> train, List<Sample> test) {
        this.dir = dir;
        this.meta = Collections.unmodifiableMap(meta);
        this.publishedTrain = List.copyOf(train);
        this.publishedTest = List.copyOf(test);
        // A class's universe is the top folder of its training photos (test photos all live in test/).
        Map<Integer, Map<String, Integer>> votes = new HashMap<>();
        for (List<Sample> part : List.of(train, test)) {
            for (Sample s : part) {
                int slash = s.path().indexOf('/');
                String top = slash < 0 ? "" : s.path().substring(0, slash);
                if (top.isEmpty() || top.equals("test")) continue;
                votes.computeIfAbsent(s.classId(), k -> new TreeMap<>()).merge(top, 1, Integer::sum);
            }
        }
        votes.forEach((id, v) -> universe.put(id,
                v.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey()));
    }

    /** Opens the set in {@code dir}: reads and checks metadata.csv, index.csv and test.csv. */
    public static Dataset open(Path dir) {
        DataDir.check(dir);
        dir = dir.toAbsolutePath().normalize();
        Map<Integer, Meta> meta = readMetadata(dir.resolve(METADATA));
        Map<String, CsvTable.Row> seen = new HashMap<>();
        List<Sample> train = readList(dir, dir.resolve(INDEX), meta, seen);
        List<Sample> test = readList(dir, dir.resolve(TEST), meta, seen);
        return new Dataset(dir, meta, train, test);
    }

    /** Reads metadata.csv: class_id,lego_ids,lego_names,minifigure_name (quoted fields allowed). */
    public static Map<Integer, Meta> readMetadata(Path file) {
        CsvTable t = CsvTable.read(file, List.of("class_id", "minifigure_name"));
        Map<Integer, Meta> meta = new TreeMap<>();
        Map<Integer, Integer> lineOf = new HashMap<>();
        for (CsvTable.Row r : t.rows) {
            int id = r.requireInt("class_id");
            if (id < 1) throw r.error("class_id", "a positive class id", String.valueOf(id));
            String name = r.require("minifigure_name", "a minifigure name");
            if (meta.containsKey(id)) {
                throw r.error("class_id", "distinct class ids", id + " again (first on line " + lineOf.get(id) + ")");
            }
            meta.put(id, new Meta(id, r.get("lego_ids"), r.get("lego_names"), name));
            lineOf.put(id, r.line());
        }
        if (meta.isEmpty()) throw new BadInputException(file + ": expected at least one class, found no rows");
        return meta;
    }

    /** Reads a path,class_id list; {@code seen} catches a photo listed twice across files. */
    static List<Sample> readList(Path dir, Path file, Map<Integer, Meta> meta, Map<String, CsvTable.Row> seen) {
        CsvTable t = CsvTable.read(file, List.of("path", "class_id"));
        List<Sample> out = new ArrayList<>();
        for (CsvTable.Row r : t.rows) out.add(sample(dir, r, meta, seen));
        return out;
    }

    /** Checks one row's path and class id and builds its Sample. */
    static Sample sample(Path dir, CsvTable.Row r, Map<Integer, Meta> meta, Map<String, CsvTable.Row> seen) {
        String path = r.require("path", "a photo path relative to the data folder");
        int id = r.requireInt("class_id");
        if (!meta.containsKey(id)) {
            throw r.error("class_id", "a class id listed in metadata.csv (" + idRange(meta.keySet()) + ")", String.valueOf(id));
        }
        Path file = resolveInside(dir, r, path);
        String key = dir.relativize(file).toString().replace('\\', '/');
        CsvTable.Row first = seen.putIfAbsent(key, r);
        if (first != null) {
            throw r.error("path", "each photo listed once", "'" + path + "' again (first at " + first.where(null) + ")");
        }
        return new Sample(path, id, file);
    }

    /** Resolves a CSV path against the data folder, refusing absolute paths, '..' and missing files. */
    static Path resolveInside(Path dir, CsvTable.Row r, String path) {
        boolean absolute = path.startsWith("/") || path.startsWith("\\") || path.matches("^[A-Za-z]:.*");
        boolean parent = false;
        for (String seg : path.split("[/\\\\]")) if (seg.equals("..")) parent = true;
        Path file = absolute || parent ? null : dir.resolve(path).normalize();
        if (file == null || !file.startsWith(dir)) {
            throw r.error("path", "a path inside the data folder (relative, no '..')", "'" + path + "'");
        }
        if (!Files.isRegularFile(file)) {
            throw r.error("path", "an existing photo file", Files.exists(file) ? "a folder '" + path + "'" : "no file '" + path + "' in " + dir);
        }
        return file;
    }

    static String idRange(Collection<Integer> ids) {
        int lo = Collections.min(ids), hi = Collections.max(ids);
        return hi - lo + 1 == ids.size() ? lo + ".." + hi : ids.size() + " ids between " + lo + " and " + hi;
    }

    public Path dir() { return dir; }

    /** metadata.csv rows by class id (ascending). */
    public Map<Integer, Meta> metadata() { return meta; }

    /** index.csv in file order. */
    public List<Sample> publishedTrain() { return publishedTrain; }

    /** test.csv in file order. */
    public List<Sample> publishedTest() { return publishedTest; }

    /** index.csv followed by test.csv. */
    public List<Sample> all() {
        List<Sample> all = new ArrayList<>(publishedTrain);
        all.addAll(publishedTest);
        return all;
    }

    /** The class's universe (top folder of its non-test photos), or "unknown". */
    public String universe(int classId) { return universe.getOrDefault(classId, "unknown"); }

    public ClassInfo classInfo(int classId) {
        Meta m = meta.get(classId);
        if (m == null) throw new IllegalArgumentException("class id " + classId + " is not in " + METADATA);
        return new ClassInfo(classId, m.name(), universe(classId));
    }

    /** A LabelSet over the given class ids (each must be in metadata.csv). */
    public LabelSet labels(Collection<Integer> classIds) {
        Map<Integer, ClassInfo> infos = new LinkedHashMap<>();
        for (int id : classIds) infos.putIfAbsent(id, classInfo(id));
        return new LabelSet(infos.values());
    }
}
