package minifig.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import minifig.BadInputException;
import minifig.data.ImageDecoder;
import minifig.data.Resize;
import minifig.data.RgbImage;
import minifig.data.Sample;
import minifig.io.AtomicFiles;

/**
 * The run's one-page summary, {@code report.html}: configuration, loss and accuracy curves, confusion matrix,
 * per-class and per-universe tables, and every misclassified test photo captioned "Actual: ... / Predicted: ...".
 *
 * The page is self-contained so it opens offline from the run folder, or after being mailed or copied alone:
 * the CSS is inline and every image (the charts and a small JPEG thumbnail of each misclassified photo, made
 * from the photo file at report time) is embedded as a base64 data URI. Every piece of text is HTML-escaped.
 *
 * <pre>
 * // after training (Trainer) or evaluation (EvalCommand), with the run folder's charts already written:
 * RunReport.write(runDir, "minifig train: resnet18", RunReport.configMap(cfg), ev,
 *         EvalReport.misclassified(labels, outputs), RunReport.photoFiles(outputs.samples()));
 * // or, for full control:
 * RunReport.builder("title").config(map).chart("loss", lossPng).evaluation(ev)
 *         .misclassified(misses, photos::get).history(rows).write(runDir.resolve("report.html"));
 * </pre>
 */
public final class RunReport {
    /** The report's file name inside a run folder. */
    public static final String FILE = "report.html";
    /** The charts {@link #write(Path, String, Map, Evaluation, List, Map)} embeds when the run folder has them. */
    public static final List<String> CHART_FILES = List.of("loss.png", "accuracy.png", "confusion.png");
    /** Thumbnail shorter side in pixels: the misclassified photos are shown small, as in the deck. */
    public static final int THUMBNAIL_SIDE = 160;

    private static final ObjectMapper JSON = new ObjectMapper();

    private RunReport() {}

    /**
     * Writes {@code runDir/report.html} atomically and returns its path. Embeds loss.png, accuracy.png and
     * confusion.png from {@code runDir} when they exist (eval runs have no curves). {@code photos} maps a
     * {@link EvalReport.Miss#path()} to the photo file (see {@link #photoFiles}); a photo that is missing or
     * unreadable is shown as a captioned placeholder instead of failing the report.
     */
    public static Path write(Path runDir, String title, Map<String, ?> config, Evaluation evaluation,
                             List<EvalReport.Miss> misses, Map<String, Path> photos) {
        Builder b = builder(title).config(config).evaluation(evaluation).misclassified(misses, photos::get);
        for (String chart : CHART_FILES) {
            Path png = runDir.resolve(chart);
            if (!Files.isRegularFile(png)) continue;
            if (chart.equals("confusion.png")) b.confusionImage(png);
            else b.chart(chart.substring(0, chart.length() - 4), png);
        }
        Path out = runDir.resolve(FILE);
        b.write(out);
        return out;
    }

    /** Sample path (as in {@link EvalReport.Miss#path()}) to photo file, e.g. from {@code Inference.Outputs.samples()}. */
    public static Map<String, Path> photoFiles(List<Sample> samples) {
        Map<String, Path> m = new LinkedHashMap<>();
        for (Sample s : samples) m.put(s.path(), s.file());
        return m;
    }

    /** A record or bean (e.g. TrainConfig) as an ordered key/value map, through Jackson, for the configuration table. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> configMap(Object config) {
        return JSON.convertValue(config, LinkedHashMap.class);
    }

    public static Builder builder(String title) { return new Builder(title); }

    /** Collects what the report shows; every part is optional except the title. */
    public static final class Builder {
        private final String title;
        private final Map<String, Object> config = new LinkedHashMap<>();
        private final List<String[]> charts = new ArrayList<>();     // caption, data URI
        private String confusionImage;                                // data URI or null
        private Evaluation evaluation;
        private List<EvalReport.Miss> misses = List.of();
        private Function<String, Path> photoFile = p -> null;
        private List<Trainer.EpochRow> history = List.of();
        private int thumbnailSide = THUMBNAIL_SIDE;

        private Builder(String title) { this.title = Objects.requireNonNull(title, "title"); }

        /** Adds key/value rows to the configuration table (values: strings, numbers, lists or maps, shown as JSON). */
        public Builder config(Map<String, ?> entries) {
            if (entries != null) config.putAll(entries);
            return this;
        }

        /** Embeds a PNG chart (read now) under {@code caption}, in the Charts section. */
        public Builder chart(String caption, Path png) {
            charts.add(new String[] {caption, pngUri(png)});
            return this;
        }

        /** Embeds the confusion heat map PNG (Charts.confusion) in the confusion section, above the table. */
        public Builder confusionImage(Path png) {
            confusionImage = pngUri(png);
            return this;
        }

        private static String pngUri(Path png) {
            try {
                return "data:image/png;base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(png));
            } catch (IOException e) {
                throw new BadInputException(png + ": cannot read the chart for the report (" + e.getMessage() + ")");
            }
        }

        public Builder evaluation(Evaluation ev) {
            this.evaluation = ev;
            return this;
        }

        /** The misclassified photos, in the order shown; {@code photoFile} finds each one's file (null = not found). */
        public Builder misclassified(List<EvalReport.Miss> misses, Function<String, Path> photoFile) {
            this.misses = List.copyOf(misses);
            this.photoFile = Objects.requireNonNull(photoFile, "photoFile");
            return this;
        }

        /** The per-epoch rows of a training run, shown as a table under the curves. */
        public Builder history(List<Trainer.EpochRow> rows) {
            this.history = List.copyOf(rows);
            return this;
        }

        /** Thumbnail shorter side in pixels (default {@value #THUMBNAIL_SIDE}). */
        public Builder thumbnailSide(int side) {
            if (side < 8 || side > 1024) throw new IllegalArgumentException("thumbnail side must be 8..1024, got " + side);
            this.thumbnailSide = side;
            return this;
        }

        /** Writes the page to {@code html} atomically. */
        public void write(Path html) { AtomicFiles.writeString(html, render()); }

        /** The whole page. */
        public String render() {
            StringBuilder h = new StringBuilder(1 << 16);
            h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                    .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                    .append("<title>").append(esc(title)).append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n")
                    .append("<h1>").append(esc(title)).append("</h1>\n");
            if (evaluation != null) summary(h, evaluation);
            if (!config.isEmpty()) configuration(h);
            if (!charts.isEmpty() || !history.isEmpty()) curves(h);
            if (evaluation != null) {
                confusion(h, evaluation, confusionImage);
                perClass(h, evaluation);
                universes(h, evaluation);
            }
            missesSection(h);
            h.append("<footer>Written by minifig-cnn. Self-contained: all images are embedded.</footer>\n</body>\n</html>\n");
            return h.toString();
        }

        private void summary(StringBuilder h, Evaluation ev) {
            double[] m = ev.macro();
            h.append("<section id=\"summary\"><div class=\"cards\">\n");
            card(h, "accuracy", pct(ev.accuracy()), ev.correct + " / " + ev.n + " photos");
            card(h, "top-5", pct(ev.top5()), ev.top5Correct + " / " + ev.n);
            card(h, "universe", pct(ev.universeAccuracy()), "right universe");
            card(h, "macro F1", f3(m[2]), "precision " + f3(m[0]) + ", recall " + f3(m[1]));
            card(h, "misclassified", Integer.toString(misses.size()), "photos shown below");
            h.append("</div></section>\n");
        }

        private static void card(StringBuilder h, String label, String value, String sub) {
            h.append("<div class=\"card\"><div class=\"label\">").append(esc(label)).append("</div><div class=\"value\">")
                    .append(esc(value)).append("</div><div class=\"sub\">").append(esc(sub)).append("</div></div>\n");
        }

        private void configuration(StringBuilder h) {
            h.append("<section id=\"config\"><h2>Configuration</h2>\n<table class=\"kv\">\n");
            config.forEach((k, v) -> h.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(valueText(v)))
                    .append("</td></tr>\n"));
            h.append("</table></section>\n");
        }

        private void curves(StringBuilder h) {
            h.append("<section id=\"charts\"><h2>Charts</h2>\n<div class=\"charts\">\n");
            for (String[] c : charts) {
                h.append("<figure class=\"chart\"><img src=\"").append(c[1]).append("\" alt=\"").append(esc(c[0]))
                        .append("\"><figcaption>").append(esc(c[0])).append("</figcaption></figure>\n");
            }
            h.append("</div>\n");
            if (!history.isEmpty()) {
                h.append("<details><summary>Epochs (").append(history.size()).append(")</summary>\n<table class=\"num\">\n")
                        .append("<tr><th>epoch</th><th>train loss</th><th>train acc</th><th>val loss</th><th>val acc</th>")
                        .append("<th>lr</th><th>images/s</th><th>seconds</th></tr>\n");
                for (Trainer.EpochRow r : history) {
                    h.append("<tr><td>").append(r.epoch()).append("</td><td>").append(f4(r.trainLoss())).append("</td><td>")
                            .append(f4(r.trainAcc())).append("</td><td>").append(f4(r.valLoss())).append("</td><td>")
                            .append(f4(r.valAcc())).append("</td><td>").append(String.format(Locale.ROOT, "%.3g", r.lr()))
                            .append("</td><td>").append(String.format(Locale.ROOT, "%.1f", r.imagesPerSec())).append("</td><td>")
                            .append(String.format(Locale.ROOT, "%.1f", r.seconds())).append("</td></tr>\n");
                }
                h.append("</table></details>\n");
            }
            h.append("</section>\n");
        }

        private static void confusion(StringBuilder h, Evaluation ev, String image) {
            h.append("<section id=\"confusion\"><h2>Confusion matrix</h2>\n");
            if (image != null) {
                h.append("<figure class=\"chart\"><img src=\"").append(image)
                        .append("\" alt=\"confusion matrix\"><figcaption>confusion</figcaption></figure>\n");
            }
            h.append(image != null ? "<details><summary>As a table</summary>\n" : "<div>\n")
                    .append("<p>Rows: actual class, columns: predicted class; the shade is the share of the row. ")
                    .append("Hover a cell for the names.</p>\n")
                    .append("<div class=\"scroll\"><table class=\"confusion\">\n<tr><th></th>");
            for (int p = 0; p < ev.k; p++) h.append("<th title=\"").append(esc(ev.names[p])).append("\">").append(p).append("</th>");
            h.append("</tr>\n");
            for (int a = 0; a < ev.k; a++) {
                int rowSum = 0;
                for (int v : ev.confusion[a]) rowSum += v;
                h.append("<tr><th class=\"name\">").append(a).append(' ').append(esc(ev.names[a])).append("</th>");
                for (int p = 0; p < ev.k; p++) {
                    int c = ev.confusion[a][p];
                    if (c == 0) {
                        h.append("<td></td>");
                        continue;
                    }
                    double frac = (double) c / rowSum;
                    String colour = a == p ? "46,160,67" : "214,39,40";
                    h.append("<td style=\"background:rgba(").append(colour).append(',')
                            .append(String.format(Locale.ROOT, "%.2f", 0.15 + 0.85 * frac)).append(")\" title=\"")
                            .append(esc(ev.names[a] + " -> " + ev.names[p] + ": " + c)).append("\">").append(c).append("</td>");
                }
                h.append("</tr>\n");
            }
            h.append("</table></div>\n").append(image != null ? "</details>\n" : "</div>\n");
            List<Evaluation.Pair> pairs = ev.mostConfused(10);
            if (!pairs.isEmpty()) {
                h.append("<h3>Most confused</h3>\n<table class=\"num\"><tr><th>actual</th><th>predicted</th><th>photos</th></tr>\n");
                for (Evaluation.Pair p : pairs) {
                    h.append("<tr><td class=\"text\">").append(esc(ev.names[p.actual()])).append("</td><td class=\"text\">")
                            .append(esc(ev.names[p.predicted()])).append("</td><td>").append(p.count()).append("</td></tr>\n");
                }
                h.append("</table>\n");
            }
            h.append("</section>\n");
        }

        private static void perClass(StringBuilder h, Evaluation ev) {
            h.append("<section id=\"per-class\"><h2>Per class</h2>\n<table class=\"num\">\n<tr><th>#</th><th>class</th>")
                    .append("<th>universe</th><th>n</th><th>tp</th><th>fn</th><th>fp</th><th>precision</th><th>recall</th>")
                    .append("<th>F1</th></tr>\n");
            for (Evaluation.ClassRow r : ev.perClass()) {
                if (r.n() == 0 && r.fp() == 0) continue;   // a class absent from these photos and never predicted
                h.append("<tr><td>").append(r.index()).append("</td><td class=\"text\">").append(esc(r.name()))
                        .append("</td><td class=\"text\">").append(esc(ev.universes[r.index()])).append("</td><td>")
                        .append(r.n()).append("</td><td>").append(r.tp()).append("</td><td>").append(r.fn()).append("</td><td>")
                        .append(r.fp()).append("</td><td>").append(f3(r.precision())).append("</td><td>")
                        .append(f3(r.recall())).append("</td><td>").append(f3(r.f1())).append("</td></tr>\n");
            }
            double[] m = ev.macro();
            h.append("<tr class=\"total\"><td></td><td class=\"text\">macro average</td><td></td><td>").append(ev.n)
                    .append("</td><td>").append(ev.correct).append("</td><td></td><td></td><td>").append(f3(m[0]))
                    .append("</td><td>").append(f3(m[1])).append("</td><td>").append(f3(m[2])).append("</td></tr>\n")
                    .append("</table></section>\n");
        }

        private static void universes(StringBuilder h, Evaluation ev) {
            h.append("<section id=\"universes\"><h2>By universe</h2>\n")
                    .append("<p>Grouped by the actual character's universe: is the character right, and is the predicted ")
                    .append("character at least from the right universe? Overall universe accuracy: ")
                    .append(esc(pct(ev.universeAccuracy()))).append(".</p>\n<table class=\"num\">\n")
                    .append("<tr><th>universe</th><th>photos</th><th>character right</th><th>universe right</th></tr>\n");
            for (Evaluation.UniverseRow u : ev.perUniverse()) {
                h.append("<tr><td class=\"text\">").append(esc(u.universe())).append("</td><td>").append(u.n()).append("</td><td>")
                        .append(esc(pct((double) u.characterCorrect() / u.n()))).append("</td><td>")
                        .append(esc(pct((double) u.universeCorrect() / u.n()))).append("</td></tr>\n");
            }
            h.append("</table></section>\n");
        }

        private void missesSection(StringBuilder h) {
            h.append("<section id=\"misclassified\"><h2>Misclassified photos (").append(misses.size()).append(")</h2>\n");
            if (misses.isEmpty()) {
                h.append("<p>None: every photo was classified correctly.</p>\n</section>\n");
                return;
            }
            h.append("<div class=\"misses\">\n");
            for (EvalReport.Miss m : misses) {
                String uri = thumbnail(photoFile.apply(m.path()));
                h.append("<figure class=\"miss\">");
                if (uri != null) {
                    h.append("<img src=\"").append(uri).append("\" alt=\"").append(esc(m.path())).append("\">");
                } else {
                    h.append("<div class=\"nophoto\">photo not available</div>");
                }
                h.append("<figcaption><span class=\"actual\">Actual: ").append(esc(m.actual()))
                        .append("</span><br><span class=\"predicted\">Predicted: ").append(esc(m.predicted()))
                        .append("</span><br><span class=\"prob\">").append(esc(String.format(Locale.ROOT, "p = %.2f", m.probability())))
                        .append(" &middot; ").append(esc(m.path())).append("</span></figcaption></figure>\n");
            }
            h.append("</div></section>\n");
        }

        /** A base64 JPEG data URI of the photo downscaled to the thumbnail size, or null when it cannot be read. */
        private String thumbnail(Path file) {
            if (file == null || !Files.isRegularFile(file)) return null;
            try {
                RgbImage img = ImageDecoder.decode(file);
                if (img.shorterSide() > thumbnailSide) img = Resize.shorterSide(img, thumbnailSide, Resize.Filter.TRIANGLE);
                return "data:image/jpeg;base64," + Base64.getEncoder().encodeToString(jpeg(img, 0.85f));
            } catch (IOException | RuntimeException e) {
                return null;   // one unreadable photo must not cost the whole report
            }
        }
    }

    static byte[] jpeg(RgbImage img, float quality) throws IOException {
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            w.setOutput(out);
            ImageWriteParam p = w.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(quality);
            w.write(null, new IIOImage(img.toBufferedImage(), null, null), p);
        } finally {
            w.dispose();
        }
        return bytes.toByteArray();
    }

    /** HTML-escapes text for element content and double- or single-quoted attribute values. */
    public static String esc(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private static String valueText(Object v) {
        if (v == null) return "null";
        if (v instanceof String || v instanceof Number || v instanceof Boolean || v instanceof Path) return v.toString();
        try {
            return JSON.writeValueAsString(v);
        } catch (JsonProcessingException e) {
            return String.valueOf(v);
        }
    }

    private static String pct(double v) { return Double.isFinite(v) ? String.format(Locale.ROOT, "%.1f%%", 100 * v) : "n/a"; }

    private static String f3(double v) { return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3f", v) : "n/a"; }

    private static String f4(double v) { return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : "n/a"; }

    private static final String CSS = loadCss();

    private static String loadCss() {
        try (InputStream in = RunReport.class.getResourceAsStream("/report/report.css")) {
            if (in == null) throw new IllegalStateException("report/report.css is missing from the classpath");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
