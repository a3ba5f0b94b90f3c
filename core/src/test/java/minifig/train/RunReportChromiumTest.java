package minifig.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens report.html in headless Chromium as a person would: the DOM holds one figure per misclassified photo,
 * and the screenshot is not blank and shows the embedded photos. Skipped where no Chromium is installed
 * (Debian: {@code apt-get install -y chromium}; or set MINIFIG_CHROMIUM to a Chromium/Chrome binary).
 */
class RunReportChromiumTest {

    static Path chromium() {
        String env = System.getenv("MINIFIG_CHROMIUM");
        List<String> candidates = new ArrayList<>();
        if (env != null && !env.isBlank()) candidates.add(env);
        candidates.addAll(List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"));
        for (String c : candidates) {
            Path p = Path.of(c);
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    /** Runs headless Chromium on {@code page} with {@code extra} arguments and returns its stdout. */
    static String run(Path chromium, Path profile, Path page, String... extra) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + profile));
        cmd.addAll(List.of(extra));
        cmd.add(page.toUri().toString());
        Path stdout = Files.createTempFile(profile.getParent(), "chromium", ".out");
        Path stderr = Files.createTempFile(profile.getParent(), "chromium", ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish within 90 s: " + cmd);
        }
        String out = Files.readString(stdout, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), () -> "chromium failed: " + cmd + "\n" + readQuietly(stderr));
        return out;
    }

    static String readQuietly(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    @Test
    void rendersInHeadlessChromiumWithEveryMisclassifiedPhoto(@TempDir Path tmp) throws Exception {
        Path chromium = chromium();
        assumeTrue(chromium != null, "headless Chromium not found (apt-get install -y chromium, or set MINIFIG_CHROMIUM): "
                + "skipping the browser rendering check of report.html");

        RunReportTest.Fixture fx = new RunReportTest.Fixture(tmp);
        Path run = tmp.resolve("run");
        Charts.confusion(run.resolve("confusion.png"), fx.ev.confusion, fx.ev.names);
        Path report = RunReport.write(run, "chromium check", Map.of("model", "custom"), fx.ev, fx.misses, fx.photos);
        int expectedMisses = fx.ev.n - fx.ev.correct;

        // 1. The DOM as Chromium parsed it: one <figure class="miss"> per misclassified photo, each with its image.
        String dom = run(chromium, tmp.resolve("profile-dom"), report, "--dump-dom");
        assertTrue(dom.contains("<h1>chromium check</h1>"), "the page was parsed: " + dom.substring(0, Math.min(200, dom.length())));
        assertEquals(expectedMisses, RunReportTest.count(RunReportTest.MISS_FIGURE, dom), "misclassified photos shown");
        assertEquals(expectedMisses, RunReportTest.count(RunReportTest.THUMB, dom), "each with an embedded thumbnail");

        // 2. The rendered pixels: not blank, and the magenta test photos are really drawn (decoded, not broken icons).
        Path png = tmp.resolve("shot.png");
        run(chromium, tmp.resolve("profile-shot"), report, "--window-size=1280,2600", "--screenshot=" + png);
        BufferedImage shot = ImageIO.read(png.toFile());
        String keep = System.getProperty("minifig.report.keep");   // -Dminifig.report.keep=DIR to look at the page yourself
        if (keep != null) {
            Files.createDirectories(Path.of(keep));
            Files.copy(report, Path.of(keep, "report.html"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.copy(png, Path.of(keep, "report.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        assertNotNull(shot, "screenshot written");
        double sum = 0, sumSq = 0;
        long magenta = 0, n = (long) shot.getWidth() * shot.getHeight();
        for (int y = 0; y < shot.getHeight(); y++) {
            for (int x = 0; x < shot.getWidth(); x++) {
                int rgb = shot.getRGB(x, y), r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
                double lum = 0.299 * r + 0.587 * g + 0.114 * b;
                sum += lum;
                sumSq += lum * lum;
                if (r > 220 && g < 50 && b > 220) magenta++;
            }
        }
        double mean = sum / n, variance = sumSq / n - mean * mean;
        assertTrue(variance > 100, "screenshot is not blank: luminance variance " + variance);
        // Each thumbnail is drawn 160x160 (object-fit: cover) and is mostly magenta: expect well over 10k pixels each.
        assertTrue(magenta > expectedMisses * 10_000L, "the " + expectedMisses + " photos are drawn: " + magenta + " magenta pixels");
    }
}
