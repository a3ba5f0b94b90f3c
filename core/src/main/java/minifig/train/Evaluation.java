package minifig.train;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Classification metrics from (actual, ranked predictions): accuracy, top-5, the confusion matrix, a per-class
 * table (n, tp, fn, fp, precision, recall, F1, as Tribuo prints it), macro averages, the most-confused pairs
 * and universe-level accuracy (is a Marvel character at least called a Marvel character?).
 *
 * Classes are indices 0..K-1; {@code names} and {@code universes} describe them for printing.
 */
public final class Evaluation {
    public final int k;
    public final String[] names;
    public final String[] universes;
    /** confusion[actual][predicted] = number of photos. */
    public final int[][] confusion;
    public final int n;
    public final int correct;
    public final int top5Correct;

    /**
     * @param actual   true class index per photo
     * @param ranked   per photo, class indices sorted by decreasing score (at least 1 entry; top-5 uses up to 5)
     */
    public Evaluation(String[] names, String[] universes, int[] actual, int[][] ranked) {
        if (names.length != universes.length) throw new IllegalArgumentException("names and universes differ in length");
        if (actual.length != ranked.length) throw new IllegalArgumentException("actual and ranked differ in length");
        this.k = names.length;
        this.names = names;
        this.universes = universes;
        this.confusion = new int[k][k];
        this.n = actual.length;
        int c = 0, c5 = 0;
        for (int i = 0; i < n; i++) {
            int a = actual[i], p = ranked[i][0];
            if (a < 0 || a >= k || p < 0 || p >= k) throw new IllegalArgumentException("class index out of range at photo " + i);
            confusion[a][p]++;
            if (a == p) c++;
            for (int j = 0; j < Math.min(5, ranked[i].length); j++) {
                if (ranked[i][j] == a) { c5++; break; }
            }
        }
        this.correct = c;
        this.top5Correct = c5;
    }

    /** Sorts class indices by decreasing score (ties by index, so results are deterministic). */
    public static int[] rank(float[] scores) {
        Integer[] idx = new Integer[scores.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        java.util.Arrays.sort(idx, (x, y) -> scores[x] != scores[y] ? Float.compare(scores[y], scores[x]) : Integer.compare(x, y));
        int[] r = new int[idx.length];
        for (int i = 0; i < r.length; i++) r[i] = idx[i];
        return r;
    }

    public double accuracy() { return n == 0 ? 0 : (double) correct / n; }

    public double top5() { return n == 0 ? 0 : (double) top5Correct / n; }

    /** One row of the per-class table. */
    public record ClassRow(int index, String name, int n, int tp, int fn, int fp,
                           double precision, double recall, double f1) {}

    public List<ClassRow> perClass() {
        List<ClassRow> rows = new ArrayList<>();
        for (int c = 0; c < k; c++) {
            int tp = confusion[c][c], rowSum = 0, colSum = 0;
            for (int j = 0; j < k; j++) { rowSum += confusion[c][j]; colSum += confusion[j][c]; }
            int fn = rowSum - tp, fp = colSum - tp;
            // Conventions as scikit-learn's zero_division=0: an undefined ratio counts as 0.
            double prec = tp + fp == 0 ? 0 : (double) tp / (tp + fp);
            double rec = tp + fn == 0 ? 0 : (double) tp / (tp + fn);
            double f1 = prec + rec == 0 ? 0 : 2 * prec * rec / (prec + rec);
            rows.add(new ClassRow(c, names[c], rowSum, tp, fn, fp, prec, rec, f1));
        }
        return rows;
    }

    /** Macro averages over the classes that appear in the evaluated photos (n > 0): precision, recall, F1. */
    public double[] macro() {
        double p = 0, r = 0, f = 0;
        int m = 0;
        for (ClassRow row : perClass()) {
            if (row.n() == 0) continue;
            p += row.precision(); r += row.recall(); f += row.f1(); m++;
        }
        return m == 0 ? new double[3] : new double[] {p / m, r / m, f / m};
    }

    public record Pair(int actual, int predicted, int count) {}

    /** Off-diagonal cells, most frequent first (ties by actual then predicted index). */
    public List<Pair> mostConfused(int limit) {
        List<Pair> pairs = new ArrayList<>();
        for (int a = 0; a < k; a++) {
            for (int p = 0; p < k; p++) {
                if (a != p && confusion[a][p] > 0) pairs.add(new Pair(a, p, confusion[a][p]));
            }
        }
        pairs.sort(Comparator.comparingInt(Pair::count).reversed()
                .thenComparingInt(Pair::actual).thenComparingInt(Pair::predicted));
        return pairs.subList(0, Math.min(limit, pairs.size()));
    }

    public record UniverseRow(String universe, int n, int characterCorrect, int universeCorrect) {}

    /** Per universe of the actual class: photos, right character, right universe (the deck's grouping). */
    public List<UniverseRow> perUniverse() {
        Map<String, int[]> acc = new TreeMap<>();
        for (int a = 0; a < k; a++) {
            for (int p = 0; p < k; p++) {
                int cnt = confusion[a][p];
                if (cnt == 0) continue;
                int[] v = acc.computeIfAbsent(universes[a], u -> new int[3]);
                v[0] += cnt;
                if (a == p) v[1] += cnt;
                if (universes[a].equals(universes[p])) v[2] += cnt;
            }
        }
        List<UniverseRow> rows = new ArrayList<>();
        acc.forEach((u, v) -> rows.add(new UniverseRow(u, v[0], v[1], v[2])));
        return rows;
    }

    /** Fraction of photos whose predicted character is from the right universe. */
    public double universeAccuracy() {
        int ok = 0;
        for (UniverseRow r : perUniverse()) ok += r.universeCorrect();
        return n == 0 ? 0 : (double) ok / n;
    }

    /** The human-readable report: summary, per-class table, macro averages, confusion matrix, pairs, universes. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "accuracy: %.4f (%d/%d)   top-5: %.4f (%d/%d)   universe: %.4f%n",
                accuracy(), correct, n, top5(), top5Correct, n, universeAccuracy()));
        sb.append('\n');
        int w = 4;
        for (String s : names) w = Math.max(w, s.length());
        w = Math.min(w, 28);
        String rowFmt = "%3s  %-" + w + "s %4s %4s %4s %4s %9s %7s %6s%n";
        sb.append(String.format(Locale.ROOT, rowFmt, "#", "class", "n", "tp", "fn", "fp", "precision", "recall", "f1"));
        for (ClassRow r : perClass()) {
            if (r.n() == 0 && r.fp() == 0) continue;
            sb.append(String.format(Locale.ROOT, rowFmt, r.index(), clip(r.name(), w), r.n(), r.tp(), r.fn(), r.fp(),
                    f3(r.precision()), f3(r.recall()), f3(r.f1())));
        }
        double[] m = macro();
        sb.append(String.format(Locale.ROOT, rowFmt, "", "macro average", n, correct, n - correct, n - correct,
                f3(m[0]), f3(m[1]), f3(m[2])));
        sb.append("\nconfusion matrix (rows: actual, columns: predicted; '.' = 0)\n");
        sb.append(formatMatrix());
        List<Pair> pairs = mostConfused(10);
        if (!pairs.isEmpty()) {
            sb.append("\nmost confused (actual -> predicted: count)\n");
            for (Pair p : pairs) {
                sb.append(String.format(Locale.ROOT, "  %s -> %s: %d%n", names[p.actual()], names[p.predicted()], p.count()));
            }
        }
        sb.append("\nby universe (of the actual character)\n");
        sb.append(String.format(Locale.ROOT, "  %-16s %4s %10s %10s%n", "universe", "n", "character", "universe"));
        for (UniverseRow u : perUniverse()) {
            sb.append(String.format(Locale.ROOT, "  %-16s %4d %10s %10s%n", u.universe(), u.n(),
                    f3((double) u.characterCorrect() / u.n()), f3((double) u.universeCorrect() / u.n())));
        }
        return sb.toString();
    }

    /** The matrix with class indices as headers and a name legend, compact enough for 36 classes. */
    public String formatMatrix() {
        StringBuilder sb = new StringBuilder();
        int cw = Math.max(2, String.valueOf(Math.max(k - 1, maxCell())).length()) + 1;
        sb.append(" ".repeat(5));
        for (int p = 0; p < k; p++) sb.append(pad(String.valueOf(p), cw));
        sb.append('\n');
        for (int a = 0; a < k; a++) {
            sb.append(pad(String.valueOf(a), 4)).append(' ');
            for (int p = 0; p < k; p++) sb.append(pad(confusion[a][p] == 0 ? "." : String.valueOf(confusion[a][p]), cw));
            sb.append('\n');
        }
        sb.append("legend:");
        for (int c = 0; c < k; c++) sb.append(c % 4 == 0 ? "\n  " : "   ").append(c).append('=').append(names[c]);
        return sb.append('\n').toString();
    }

    /** confusion.csv: a header of predicted names, one row per actual class. */
    public String confusionCsv() {
        StringBuilder sb = new StringBuilder("actual\\predicted");
        for (String name : names) sb.append(',').append(csv(name));
        sb.append('\n');
        for (int a = 0; a < k; a++) {
            sb.append(csv(names[a]));
            for (int p = 0; p < k; p++) sb.append(',').append(confusion[a][p]);
            sb.append('\n');
        }
        return sb.toString();
    }

    /** The machine-readable summary behind {@code eval --json}. */
    public Map<String, Object> toJson() {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("accuracy", accuracy());
        j.put("top5", top5());
        j.put("n", n);
        j.put("correct", correct);
        j.put("universe_accuracy", universeAccuracy());
        double[] m = macro();
        j.put("macro_precision", m[0]);
        j.put("macro_recall", m[1]);
        j.put("macro_f1", m[2]);
        List<Map<String, Object>> pc = new ArrayList<>();
        for (ClassRow r : perClass()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("index", r.index());
            row.put("name", r.name());
            row.put("n", r.n());
            row.put("tp", r.tp());
            row.put("fn", r.fn());
            row.put("fp", r.fp());
            row.put("precision", r.precision());
            row.put("recall", r.recall());
            row.put("f1", r.f1());
            pc.add(row);
        }
        j.put("per_class", pc);
        j.put("confusion", confusion);
        return j;
    }

    private int maxCell() {
        int m = 0;
        for (int[] row : confusion) for (int v : row) m = Math.max(m, v);
        return m;
    }

    private static String f3(double v) { return String.format(Locale.ROOT, "%.3f", v); }

    private static String pad(String s, int w) { return " ".repeat(Math.max(0, w - s.length())) + s; }

    private static String clip(String s, int w) { return s.length() <= w ? s : s.substring(0, w - 1) + "~"; }

    /** A CSV field: quoted (with doubled quotes) when it holds a comma or a quote. */
    static String csv(String s) {
        return s.contains(",") || s.contains("\"") ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }
}
