package minifig.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import minifig.data.ClassInfo;
import minifig.data.LabelSet;
import minifig.data.Sample;
import minifig.io.AtomicFiles;

/**
 * The files an evaluation leaves in a run folder: the text report, a JSON summary, confusion.csv, the
 * confusion heat map PNG and the list of misclassified photos (the deck's "favorite misclassifications").
 */
public final class EvalReport {
    private EvalReport() {}

    public static Evaluation evaluation(LabelSet labels, Inference.Outputs outputs) {
        int k = labels.size();
        String[] names = new String[k], universes = new String[k];
        for (int i = 0; i < k; i++) {
            ClassInfo c = labels.get(i);
            names[i] = labels.displayName(i);
            universes[i] = c.universe();
        }
        return new Evaluation(names, universes, outputs.labels(), outputs.ranked());
    }

    /** One misclassified photo: its path in the set, actual and predicted names, and the predicted probability. */
    public record Miss(String path, String actual, String predicted, double probability) {}

    public static List<Miss> misclassified(LabelSet labels, Inference.Outputs o) {
        List<Miss> misses = new java.util.ArrayList<>();
        for (int i = 0; i < o.size(); i++) {
            int[] r = Evaluation.rank(o.scores()[i]);
            if (r[0] == o.labels()[i]) continue;
            Sample s = o.samples().get(i);
            misses.add(new Miss(s.path(), labels.displayName(o.labels()[i]), labels.displayName(r[0]),
                    Inference.probabilities(o.scores()[i])[r[0]]));
        }
        return misses;
    }

    /** Writes eval.txt, eval.json, confusion.csv, confusion.png and misclassified.csv into {@code dir}. */
    public static void write(Path dir, LabelSet labels, Inference.Outputs o, Evaluation ev) {
        AtomicFiles.writeString(dir.resolve("eval.txt"), ev.format());
        Map<String, Object> json = new LinkedHashMap<>(ev.toJson());
        json.put("misclassified", misclassified(labels, o));
        AtomicFiles.writeString(dir.resolve("eval.json"), Trainer.toJson(json));
        AtomicFiles.writeString(dir.resolve("confusion.csv"), ev.confusionCsv());
        StringBuilder sb = new StringBuilder("path,actual,predicted,probability\n");
        for (Miss m : misclassified(labels, o)) {
            sb.append(String.format(Locale.ROOT, "%s,%s,%s,%.4f%n", Evaluation.csv(m.path()), Evaluation.csv(m.actual()), Evaluation.csv(m.predicted()), m.probability()));
        }
        AtomicFiles.writeString(dir.resolve("misclassified.csv"), sb.toString());
        try {
            Charts.confusion(dir.resolve("confusion.png"), ev.confusion, ev.names);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
