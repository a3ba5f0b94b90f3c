package minifig.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTML run report: content, escaping, embedded thumbnails and charts, and self-containment. */
class RunReportTest {

    /** A small synthetic run: 4 classes (one with HTML-hostile characters), 10 photos, 3 misclassified. */
    static final class Fixture {
        final Path dir;
        final Evaluation ev;
        final List<EvalReport.Miss> misses = new ArrayList<>();
        final Map<String, Path> photos = new LinkedHashMap<>();

        Fixture(Path dir) throws IOException {
            this.dir = dir;
            String[] names = {"Spider-Man", "Dr. <b>Strange</b> & 'Co'", "Harry Potter", "Yoda"};
            String[] universes = {"Marvel", "Marvel", "Harry Potter", "Star Wars"};
            int[] actual = {0, 0, 0, 1, 1, 2, 2, 2, 3, 3};
            int[] predicted = {0, 0, 1, 1, 0, 2, 2, 3, 3, 3};
            int[][] ranked = new int[actual.length][];
            for (int i = 0; i < actual.length; i++) {
                ranked[i] = new int[] {predicted[i], (predicted[i] + 1) % 4, (predicted[i] + 2) % 4, (predicted[i] + 3) % 4};
            }
            ev = new Evaluation(names, universes, actual, ranked);
            for (int i = 0; i < actual.length; i++) {
                String rel = "photos/" + i + ".jpg";
                Path f = dir.resolve(rel);
                Files.createDirectories(f.getParent());
                writePhoto(f, i);
                photos.put(rel, f);
                if (actual[i] != predicted[i]) misses.add(new EvalReport.Miss(rel, names[actual[i]], names[predicted[i]], 0.5 + 0.1 * i / 10));
            }
        }

        /** A 320x240 photo: magenta (a colour the page itself never uses) with a dark diagonal bar. */
        static void writePhoto(Path f, int seed) throws IOException {
            BufferedImage img = new BufferedImage(320, 240, BufferedImage.TYPE_3BYTE_BGR);
            Graphics2D g = img.createGraphics();
            g.setColor(new Color(255, 0, 255));
            g.fillRect(0, 0, 320, 240);
            g.setColor(new Color(20, 20, 20 + 20 * seed));
            g.fillRect(40 + 10 * seed, 20, 30, 200);
            g.dispose();
            ImageIO.write(img, "jpg", f.toFile());
        }
    }

    static final Pattern MISS_FIGURE = Pattern.compile("<figure class=\"miss\">");
    static final Pattern THUMB = Pattern.compile("<figure class=\"miss\"><img src=\"data:image/jpeg;base64,([A-Za-z0-9+/=]+)\"");

    static int count(Pattern p, String s) {
        Matcher m = p.matcher(s);
        int n = 0;
        while (m.find()) n++;
        return n;
    }

    @Test
    void showsEveryMisclassifiedPhotoWithCaptionsAndEmbeddedThumbnails(@TempDir Path tmp) throws IOException {
        Fixture fx = new Fixture(tmp);
        assertEquals(fx.ev.n - fx.ev.correct, fx.misses.size(), "fixture: misses agree with the evaluation");
        String html = RunReport.builder("test run").evaluation(fx.ev).misclassified(fx.misses, fx.photos::get).render();

        assertEquals(3, count(MISS_FIGURE, html));
        Matcher m = THUMB.matcher(html);
        int thumbs = 0;
        while (m.find()) {
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(1))));
            assertNotNull(img, "thumbnail decodes as a JPEG");
            assertEquals(RunReport.THUMBNAIL_SIDE, Math.min(img.getWidth(), img.getHeight()), "downscaled to the thumbnail side");
            assertEquals(Math.round(320.0 * RunReport.THUMBNAIL_SIDE / 240), img.getWidth(), "aspect ratio kept");
            thumbs++;
        }
        assertEquals(3, thumbs);
        assertTrue(html.contains("Actual: Spider-Man</span><br><span class=\"predicted\">Predicted: Dr. &lt;b&gt;Strange&lt;/b&gt; &amp; &#39;Co&#39;"),
                "caption of the first miss, escaped");
        assertTrue(html.contains("Actual: Harry Potter</span><br><span class=\"predicted\">Predicted: Yoda"));
    }

    @Test
    void escapesEveryTextAndKeepsNoRawMarkupFromData(@TempDir Path tmp) throws IOException {
        Fixture fx = new Fixture(tmp);
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("model", "<script>alert(1)</script>");
        cfg.put("out", "runs/a&b\"c");
        cfg.put("list", List.of(1, 2));
        String html = RunReport.builder("<title> & \"quotes\"").config(cfg).evaluation(fx.ev)
                .misclassified(fx.misses, fx.photos::get).render();
        assertFalse(html.contains("<script"), "no script element from data");
        assertFalse(html.contains("<b>"), "class names are text, not markup");
        assertTrue(html.contains("<th>model</th><td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"));
        assertTrue(html.contains("<td>runs/a&amp;b&quot;c</td>"));
        assertTrue(html.contains("<td>[1,2]</td>"), "non-scalar values as JSON");
        assertTrue(html.contains("<title>&lt;title&gt; &amp; &quot;quotes&quot;</title>"));
        assertEquals("&lt;a href=&#39;x&#39;&gt;&amp;&quot;", RunReport.esc("<a href='x'>&\""));
    }

    @Test
    void tablesCarryTheEvaluationNumbers(@TempDir Path tmp) throws IOException {
        Fixture fx = new Fixture(tmp);
        String html = RunReport.builder("t").evaluation(fx.ev).render();
        // 7/10 right; universe: Spider-Man->Strange and Strange->Spider-Man stay in Marvel, Harry Potter->Yoda does not.
        assertTrue(html.contains("<div class=\"value\">70.0%</div><div class=\"sub\">7 / 10 photos</div>"));
        assertTrue(html.contains("<div class=\"label\">universe</div><div class=\"value\">90.0%</div>"));
        assertTrue(html.contains("<tr><td class=\"text\">Marvel</td><td>5</td><td>60.0%</td><td>100.0%</td></tr>"));
        assertTrue(html.contains("<tr><td class=\"text\">Harry Potter</td><td>3</td><td>66.7%</td><td>66.7%</td></tr>"));
        // Yoda: n 2, tp 2, fn 0, fp 1 -> precision 0.667, recall 1, F1 0.8
        assertTrue(html.contains("<td class=\"text\">Yoda</td><td class=\"text\">Star Wars</td><td>2</td><td>2</td><td>0</td><td>1</td>"
                + "<td>0.667</td><td>1.000</td><td>0.800</td>"));
        // confusion cell Harry Potter -> Yoda holds 1
        assertTrue(html.contains("title=\"Harry Potter -&gt; Yoda: 1\">1</td>"));
        assertTrue(html.contains("<h2>Misclassified photos (0)</h2>"), "no misses given, none shown");
    }

    @Test
    void missingOrBrokenPhotoGetsAPlaceholderNotAFailure(@TempDir Path tmp) throws IOException {
        Fixture fx = new Fixture(tmp);
        Files.writeString(fx.photos.get(fx.misses.get(0).path()), "not a jpeg");
        Files.delete(fx.photos.get(fx.misses.get(1).path()));
        String html = RunReport.builder("t").misclassified(fx.misses, fx.photos::get).render();
        assertEquals(3, count(MISS_FIGURE, html));
        assertEquals(2, count(Pattern.compile("photo not available"), html));
        assertEquals(1, count(THUMB, html));
    }

    @Test
    void writeEmbedsTheRunFolderChartsAtomicallyAndIsSelfContained(@TempDir Path tmp) throws IOException {
        Fixture fx = new Fixture(tmp);
        Path run = tmp.resolve("run");
        Files.createDirectories(run);
        Charts.lines(run.resolve("loss.png"), "loss", "loss",
                List.of(new Charts.Curve("train", List.of(2.0, 1.2, 0.8)), new Charts.Curve("validation", List.of(2.1, 1.5, 1.1))));
        Charts.confusion(run.resolve("confusion.png"), fx.ev.confusion, fx.ev.names);
        Path out = RunReport.write(run, "run", Map.of("epochs", 3), fx.ev, fx.misses, fx.photos);
        assertEquals(run.resolve("report.html"), out);
        String html = Files.readString(out);
        assertEquals(2, count(Pattern.compile("<figure class=\"chart\"><img src=\"data:image/png;base64,"), html),
                "loss.png and confusion.png embedded; accuracy.png absent so skipped");
        assertTrue(html.indexOf("<figcaption>confusion</figcaption>") > html.indexOf("<h2>Confusion matrix</h2>"),
                "the heat map sits in the confusion section");
        assertTrue(html.contains("<details><summary>As a table</summary>"), "the HTML table folds away under the image");
        assertTrue(html.contains("<figcaption>loss</figcaption>") && html.contains("<figcaption>confusion</figcaption>"));
        assertFalse(html.contains("<figcaption>accuracy</figcaption>"));
        // Self-contained: no reference to anything outside the page.
        assertFalse(Pattern.compile("(src|href)=\"(?!data:)").matcher(html).find(), "only data: URIs");
        assertFalse(html.contains("<link") || html.contains("@import") || html.contains("url("), "no external CSS");
        try (var files = Files.list(run)) {
            assertEquals(0, files.filter(p -> p.getFileName().toString().endsWith(".tmp")).count(), "no temp file left");
        }
    }

    @Test
    void historyTableAndConfigMapOfARecord() {
        TrainConfig cfg = new TrainConfig("custom", null, "all", "/data", "lego36", null, 0.1, 2, 16, 0.01, 0.9,
                1e-4, false, "cosine", 10, 0.1, 0, 64, 73, "standard", 10, 8, 0, 42, 2, "runs/x");
        Map<String, Object> m = RunReport.configMap(cfg);
        assertEquals("custom", m.get("model"));
        assertEquals(42, ((Number) m.get("seed")).intValue());
        assertEquals(List.of("model", "weights", "finetune"), new ArrayList<>(m.keySet()).subList(0, 3), "record order kept");
        String html = RunReport.builder("t").config(m)
                .history(List.of(new Trainer.EpochRow(1, 1.5, 0.25, 1.6, 0.2, 0.01, 30.5, 12.0),
                        new Trainer.EpochRow(2, 1.1, 0.5, 1.3, Double.NaN, 0.005, 31.0, 24.0)))
                .render();
        assertTrue(html.contains("<tr><th>weights</th><td>null</td></tr>"));
        assertTrue(html.contains("<summary>Epochs (2)</summary>"));
        assertTrue(html.contains("<tr><td>2</td><td>1.1000</td><td>0.5000</td><td>1.3000</td><td>n/a</td><td>0.00500</td>"));
    }
}
