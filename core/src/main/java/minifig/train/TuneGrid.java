package minifig.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import minifig.BadInputException;

/**
 * The hyper-parameter grid of {@code minifig tune}: values for learning rate, momentum, weight decay and
 * epochs; the points are their cartesian product, learning rate varying slowest. Values keep their given
 * order; repeats are dropped.
 *
 * A grid file is JSON or Java properties with the keys lr, momentum, weight_decay and epochs, each a list
 * (or one value); keys it leaves out come from the command line or the defaults:
 * <pre>
 * {"lr": [0.001, 0.003, 0.01], "weight_decay": [0, 1e-4], "epochs": [15, 30]}
 *
 * lr = 0.001, 0.003, 0.01
 * weight_decay = 0, 1e-4
 * </pre>
 */
public record TuneGrid(List<Double> lr, List<Double> momentum, List<Double> weightDecay, List<Integer> epochs) {
    public static final List<String> KEYS = List.of("lr", "momentum", "weight_decay", "epochs");

    /** One combination of the grid. */
    public record Point(double lr, double momentum, double weightDecay, int epochs) {}

    public TuneGrid {
        lr = distinct(lr);
        momentum = distinct(momentum);
        weightDecay = distinct(weightDecay);
        epochs = distinct(epochs);
        check("--lr", lr, "positive numbers", v -> v > 0 && Double.isFinite(v));
        check("--momentum", momentum, "numbers in [0, 1)", v -> v >= 0 && v < 1);
        check("--weight-decay", weightDecay, "numbers >= 0", v -> v >= 0 && Double.isFinite(v));
        check("--epochs", epochs, "positive whole numbers", v -> v >= 1);
    }

    private static <T> List<T> distinct(List<T> values) {
        return values == null ? List.of() : List.copyOf(new LinkedHashSet<>(values));
    }

    private static <T> void check(String flag, List<T> values, String expected, java.util.function.Predicate<T> ok) {
        if (values.isEmpty()) throw new BadInputException(flag + ": expected at least one value, found none");
        for (T v : values) if (!ok.test(v)) throw new BadInputException(flag + ": expected " + expected + ", found " + v);
    }

    /** Every combination, learning rate slowest, then momentum, weight decay, epochs. */
    public List<Point> points() {
        List<Point> out = new ArrayList<>();
        for (double a : lr) for (double m : momentum) for (double w : weightDecay) for (int e : epochs) out.add(new Point(a, m, w, e));
        return out;
    }

    public int size() { return lr.size() * momentum.size() * weightDecay.size() * epochs.size(); }

    /**
     * The axes a grid file gives, each null when absent. JSON when the file starts with '{', else properties.
     * Errors name the file, the key and what was expected.
     */
    public static Axes read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read the grid file (" + e.getMessage() + ")", e);
        }
        return text.stripLeading().startsWith("{") ? fromJson(file, text) : fromProperties(file, text);
    }

    /** Axes as read from a grid file or the command line; null = not given. */
    public record Axes(List<Double> lr, List<Double> momentum, List<Double> weightDecay, List<Integer> epochs) {
        /** This, with each axis not given here taken from {@code fallback}. */
        public Axes or(Axes fallback) {
            return new Axes(lr != null ? lr : fallback.lr, momentum != null ? momentum : fallback.momentum,
                    weightDecay != null ? weightDecay : fallback.weightDecay, epochs != null ? epochs : fallback.epochs);
        }

        public TuneGrid grid() { return new TuneGrid(lr, momentum, weightDecay, epochs); }
    }

    private static Axes fromJson(Path file, String text) {
        JsonNode root;
        try {
            root = Trainer.JSON.readTree(text);
        } catch (IOException e) {
            throw new BadInputException(file + ": expected a JSON object of grid axes, found invalid JSON (" + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()) + ")", e);
        }
        if (!root.isObject()) throw new BadInputException(file + ": expected a JSON object of grid axes, found " + root.getNodeType());
        root.fieldNames().forEachRemaining(k -> key(file, k));
        return new Axes(jsonNumbers(file, root, "lr"), jsonNumbers(file, root, "momentum"), jsonNumbers(file, root, "weight_decay"),
                ints(file, "epochs", jsonNumbers(file, root, "epochs")));
    }

    private static List<Double> jsonNumbers(Path file, JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (n == null) return null;
        List<Double> out = new ArrayList<>();
        for (JsonNode v : n.isArray() ? n : List.of(n)) {
            if (!v.isNumber()) throw new BadInputException(file + ": '" + key + "': expected numbers, found " + v);
            out.add(v.asDouble());
        }
        return out;
    }

    private static Axes fromProperties(Path file, String text) {
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
        } catch (IOException | IllegalArgumentException e) {
            throw new BadInputException(file + ": expected a JSON object or key = values lines, found unreadable text (" + e.getMessage() + ")", e);
        }
        for (String k : p.stringPropertyNames()) key(file, k);
        return new Axes(numbers(file, "lr", p.getProperty("lr")), numbers(file, "momentum", p.getProperty("momentum")),
                numbers(file, "weight_decay", p.getProperty("weight_decay")), ints(file, "epochs", numbers(file, "epochs", p.getProperty("epochs"))));
    }

    private static void key(Path file, String k) {
        if (!KEYS.contains(k)) throw new BadInputException(file + ": key '" + k + "': expected one of " + KEYS + ", found an unknown key");
    }

    private static List<Double> numbers(Path file, String key, String csv) {
        if (csv == null) return null;
        List<Double> out = new ArrayList<>();
        for (String s : csv.split(",")) {
            try {
                out.add(Double.parseDouble(s.strip()));
            } catch (NumberFormatException e) {
                throw new BadInputException(file + ": '" + key + "': expected comma-separated numbers, found '" + s.strip() + "'");
            }
        }
        return out;
    }

    private static List<Integer> ints(Path file, String key, List<Double> values) {
        if (values == null) return null;
        List<Integer> out = new ArrayList<>();
        for (double v : values) {
            if (v != Math.rint(v) || v < 1 || v > 100_000) {
                throw new BadInputException(file + ": '" + key + "': expected positive whole numbers, found " + v);
            }
            out.add((int) v);
        }
        return out;
    }

    /** A number as short as it reads ("0.003", "1e-04" stays "0.0001", "0"). */
    static String num(double v) {
        if (v == 0) return "0";
        String s = java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
        return s.length() <= 10 ? s : String.format(Locale.ROOT, "%.4g", v);
    }
}
