package minifig.data;

import minifig.BadInputException;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A train/test split of the photo set with its class list.
 *
 * <ul>
 * <li>{@code lego36} (default): classes 1-36, the 425 photos of index.csv and test.csv pooled, split per class
 *     with {@code Math.round(0.2 * n)} test photos (340 train / 85 test). Generated from {@link #LEGO36_SEED};
 *     the same split is committed as data/splits/lego36.csv (a test keeps the two equal).</li>
 * <li>{@code published}: the set's own index.csv / test.csv (38 classes, 371 / 79).</li>
 * <li>a split file: CSV with columns path,class_id,subset (train|test), as written by {@link #write}.</li>
 * </ul>
 * Validation ({@link #carveValidation}) and k-fold ({@link #kFold}) only ever divide {@link #train()}.
 */
public record Split(String name, LabelSet labels, List<Sample> train, List<Sample> test) {
    public static final String LEGO36 = "lego36", PUBLISHED = "published";
    /** The seed lego36 was generated with. Changing it changes the committed split file. */
    public static final long LEGO36_SEED = 36;
    public static final int LEGO36_CLASSES = 36;
    public static final double LEGO36_TEST_FRACTION = 0.2;

    public Split {
        train = List.copyOf(train);
        test = List.copyOf(test);
    }

    /**
     * What the CLI calls: {@code splitFile} when non-null, else the named split ({@code lego36} when null).
     */
    public static Split load(Dataset ds, String name, Path splitFile) {
        if (splitFile != null) return fromFile(ds, splitFile);
        if (name == null || name.equals(LEGO36)) return lego36(ds);
        if (name.equals(PUBLISHED)) return published(ds);
        throw new BadInputException("--split " + name + ": expected " + LEGO36 + " or " + PUBLISHED + " (or --split-file FILE), found '" + name + "'");
    }

    /** The published index.csv / test.csv split over every class that has photos. */
    public static Split published(Dataset ds) {
        return of(PUBLISHED, ds, ds.publishedTrain(), ds.publishedTest());
    }

    /** The default 36-class split, regenerated from {@link #LEGO36_SEED}. */
    public static Split lego36(Dataset ds) {
        return stratified(LEGO36, ds, LEGO36_CLASSES, LEGO36_TEST_FRACTION, LEGO36_SEED);
    }

    /**
     * Pools index.csv + test.csv for classes 1..maxClass and, per class, takes {@code Math.round(fraction * n)}
     * photos as test (half-up; for fraction 0.2 and whole n no ties arise, so the rule never matters there).
     * Per class the photos are sorted by path and shuffled with {@code new Random(Seeds.mix(seed, classId))}:
     * the split depends only on the seed and the file lists, never on CSV row order.
     */
    public static Split stratified(String name, Dataset ds, int maxClass, double fraction, long seed) {
        Map<Integer, List<Sample>> byClass = byClass(ds.all());
        List<Sample> train = new ArrayList<>(), test = new ArrayList<>();
        for (var e : byClass.entrySet()) {
            int id = e.getKey();
            if (id > maxClass) continue;
            List<Sample> photos = new ArrayList<>(e.getValue());
            photos.sort(Comparator.comparing(Sample::path));
            Seeds.shuffle(photos, new Random(Seeds.mix(seed, id)));
            int nTest = (int) Math.round(fraction * photos.size());
            test.addAll(photos.subList(0, nTest));
            train.addAll(photos.subList(nTest, photos.size()));
        }
        Comparator<Sample> order = Comparator.comparingInt(Sample::classId).thenComparing(Sample::path);
        train.sort(order);
        test.sort(order);
        return of(name, ds, train, test);
    }

    /** Reads a path,class_id,subset file; paths are relative to the data folder, not to the split file. */
    public static Split fromFile(Dataset ds, Path file) {
        CsvTable t = CsvTable.read(file, List.of("path", "class_id", "subset"));
        Map<String, CsvTable.Row> seen = new HashMap<>();
        List<Sample> train = new ArrayList<>(), test = new ArrayList<>();
        for (CsvTable.Row r : t.rows) {
            String subset = r.require("subset", "train or test");
            if (!subset.equals("train") && !subset.equals("test")) throw r.error("subset", "train or test", "'" + subset + "'");
            Sample s = Dataset.sample(ds.dir(), r, ds.metadata(), seen);
            (subset.equals("train") ? train : test).add(s);
        }
        if (train.isEmpty()) throw new BadInputException(file + ": expected rows with subset 'train', found none");
        TreeSet<Integer> trainIds = new TreeSet<>();
        for (Sample s : train) trainIds.add(s.classId());
        for (Sample s : test) {
            if (!trainIds.contains(s.classId())) {
                throw new BadInputException(file + ": class " + s.classId() + ": expected train photos for every class with test photos, found none");
            }
        }
        String name = file.getFileName().toString().replaceFirst("\\.csv$", "");
        return of(name, ds, train, test);
    }

    private static Split of(String name, Dataset ds, List<Sample> train, List<Sample> test) {
        TreeSet<Integer> ids = new TreeSet<>();
        for (Sample s : train) ids.add(s.classId());
        for (Sample s : test) ids.add(s.classId());
        return new Split(name, ds.labels(ids), train, test);
    }

    static Map<Integer, List<Sample>> byClass(List<Sample> samples) {
        Map<Integer, List<Sample>> m = new TreeMap<>();
        for (Sample s : samples) m.computeIfAbsent(s.classId(), k -> new ArrayList<>()).add(s);
        return m;
    }

    /**
     * Holds out about {@code fraction} of each class's TRAIN photos as validation: per class
     * {@code Math.round(fraction * n)}, at least 1 when fraction > 0 and n >= 2, and at most n - 1 so every
     * class keeps a training photo. Seeded per class like {@link #stratified}; the test part is untouched.
     */
    public Fold carveValidation(double fraction, long seed) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new BadInputException("validation fraction: expected a number in [0, 1), found " + fraction);
        }
        List<Sample> tr = new ArrayList<>(), val = new ArrayList<>();
        for (var e : byClass(train).entrySet()) {
            List<Sample> photos = new ArrayList<>(e.getValue());
            photos.sort(Comparator.comparing(Sample::path));
            Seeds.shuffle(photos, new Random(Seeds.mix(seed, 0x7a1, e.getKey())));
            int n = photos.size();
            int v = (int) Math.round(fraction * n);
            if (fraction > 0 && n >= 2) v = Math.max(v, 1);
            v = Math.min(v, n - 1);
            val.addAll(photos.subList(0, v));
            tr.addAll(photos.subList(v, n));
        }
        return new Fold(inOrder(tr, train), inOrder(val, train));
    }

    /**
     * Stratified k-fold over TRAIN: each class's photos (seeded shuffle) are dealt to folds in turn, the
     * starting fold continuing from the previous class so fold sizes differ by at most one. Fold i's val
     * part is the photos dealt to it; its train part is the rest. Needs >= 2 train photos per class so that
     * no fold takes a class's last training photo.
     */
    public List<Fold> kFold(int k, long seed) {
        Map<Integer, List<Sample>> byClass = byClass(train);
        if (k < 2 || k > train.size()) {
            throw new BadInputException("k-fold: expected k between 2 and " + train.size() + ", found " + k);
        }
        for (var e : byClass.entrySet()) {
            if (e.getValue().size() < 2) {
                throw new BadInputException("k-fold: class " + e.getKey() + ": expected at least 2 training photos, found " + e.getValue().size());
            }
        }
        List<List<Sample>> folds = new ArrayList<>();
        for (int i = 0; i < k; i++) folds.add(new ArrayList<>());
        int next = 0;
        for (var e : byClass.entrySet()) {
            List<Sample> photos = new ArrayList<>(e.getValue());
            photos.sort(Comparator.comparing(Sample::path));
            Seeds.shuffle(photos, new Random(Seeds.mix(seed, 0xf01d, e.getKey())));
            for (Sample s : photos) {
                folds.get(next).add(s);
                next = (next + 1) % k;
            }
        }
        List<Fold> out = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            List<Sample> val = folds.get(i), tr = new ArrayList<>();
            for (int j = 0; j < k; j++) if (j != i) tr.addAll(folds.get(j));
            out.add(new Fold(inOrder(tr, train), inOrder(val, train)));
        }
        return out;
    }

    /** {@code part} in the order its samples have in {@code reference}. */
    private static List<Sample> inOrder(List<Sample> part, List<Sample> reference) {
        Map<Sample, Integer> pos = new HashMap<>();
        for (int i = 0; i < reference.size(); i++) pos.put(reference.get(i), i);
        List<Sample> sorted = new ArrayList<>(part);
        sorted.sort(Comparator.comparingInt(pos::get));
        return sorted;
    }

    /** The split as CSV text: header path,class_id,subset, train rows then test rows, '\n' line ends. */
    public String toCsv() {
        StringWriter w = new StringWriter();
        CSVFormat format = CSVFormat.DEFAULT.builder().setRecordSeparator("\n").setHeader("path", "class_id", "subset").get();
        try (CSVPrinter p = new CSVPrinter(w, format)) {
            for (Sample s : train) p.printRecord(s.path(), s.classId(), "train");
            for (Sample s : test) p.printRecord(s.path(), s.classId(), "test");
        } catch (IOException e) {
            throw new IllegalStateException(e); // a StringWriter does not fail
        }
        return w.toString();
    }

    /** Writes {@link #toCsv()} to {@code file} atomically (temp file, fsync, rename). */
    public void write(Path file) {
        minifig.io.AtomicFiles.writeString(file, toCsv());
    }

    /** Photos per class in train and test, for reports: class id -> {train, test}. */
    public Map<Integer, int[]> counts() {
        Map<Integer, int[]> m = new LinkedHashMap<>();
        for (ClassInfo c : labels.classes()) m.put(c.id(), new int[2]);
        for (Sample s : train) m.get(s.classId())[0]++;
        for (Sample s : test) m.get(s.classId())[1]++;
        return m;
    }

    @Override
    public String toString() {
        return name + ": " + labels.size() + " classes, " + train.size() + " train / " + test.size() + " test";
    }
}
