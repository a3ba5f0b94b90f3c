package minifig.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import minifig.io.AtomicFiles;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The run's PNG charts: loss and accuracy per epoch (train vs validation, as the deck plots them) with
 * JFreeChart, and a confusion-matrix heat map. Rendered headless; written atomically.
 */
public final class Charts {
    private Charts() {}

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** One named curve: y per epoch (epoch numbers start at 1). */
    public record Curve(String name, List<Double> values) {}

    /** A line chart of curves over epochs, saved as a PNG. */
    public static void lines(Path png, String title, String yLabel, List<Curve> curves) throws IOException {
        XYSeriesCollection ds = new XYSeriesCollection();
        for (Curve c : curves) {
            XYSeries s = new XYSeries(c.name());
            for (int i = 0; i < c.values().size(); i++) {
                double v = c.values().get(i);
                if (Double.isFinite(v)) s.add(i + 1, v);
            }
            ds.addSeries(s);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, "epoch", yLabel, ds,
                PlotOrientation.VERTICAL, true, false, false);
        chart.setBackgroundPaint(Color.WHITE);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, curves.get(0).values().size() <= 40);
        Color[] palette = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728)};
        for (int i = 0; i < curves.size(); i++) {
            r.setSeriesPaint(i, palette[i % palette.length]);
            r.setSeriesStroke(i, new BasicStroke(2f));
        }
        plot.setRenderer(r);
        BufferedImage img = chart.createBufferedImage(800, 500);
        writePng(png, img);
    }

    /** A heat map of confusion[actual][predicted], row-normalised colour, counts printed in the cells. */
    public static void confusion(Path png, int[][] confusion, String[] names) throws IOException {
        int k = confusion.length;
        int cell = k <= 12 ? 40 : 22, left = 190, top = 40, bottom = 190;
        int w = left + k * cell + 20, h = top + k * cell + bottom;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString("confusion matrix (rows: actual, columns: predicted)", 10, 22);
        Font small = new Font(Font.SANS_SERIF, Font.PLAIN, Math.min(12, cell / 2));
        g.setFont(small);
        for (int a = 0; a < k; a++) {
            int rowSum = 0;
            for (int v : confusion[a]) rowSum += v;
            for (int p = 0; p < k; p++) {
                double frac = rowSum == 0 ? 0 : (double) confusion[a][p] / rowSum;
                int shade = (int) Math.round(255 * (1 - frac));
                g.setColor(a == p ? new Color(shade, 255 - (int) (0.35 * (255 - shade)), shade)
                        : new Color(255, shade, shade));
                g.fillRect(left + p * cell, top + a * cell, cell, cell);
                g.setColor(new Color(230, 230, 230));
                g.drawRect(left + p * cell, top + a * cell, cell, cell);
                if (confusion[a][p] > 0) {
                    g.setColor(frac > 0.6 ? Color.WHITE : Color.BLACK);
                    String s = String.valueOf(confusion[a][p]);
                    g.drawString(s, left + p * cell + (cell - g.getFontMetrics().stringWidth(s)) / 2,
                            top + a * cell + cell / 2 + 4);
                }
            }
            g.setColor(Color.BLACK);
            String label = a + " " + names[a];
            g.drawString(clip(label, 26), 6, top + a * cell + cell / 2 + 4);
        }
        // Column labels, rotated so 36 names fit.
        Graphics2D gr = (Graphics2D) g.create();
        for (int p = 0; p < k; p++) {
            Graphics2D gc = (Graphics2D) gr.create();
            gc.translate(left + p * cell + cell / 2 + 4, top + k * cell + 6);
            gc.rotate(Math.PI / 2);
            gc.setColor(Color.BLACK);
            gc.drawString(clip(p + " " + names[p], 26), 0, 0);
            gc.dispose();
        }
        gr.dispose();
        g.dispose();
        writePng(png, img);
    }

    private static String clip(String s, int n) { return s.length() <= n ? s : s.substring(0, n - 1) + "~"; }

    private static void writePng(Path png, BufferedImage img) throws IOException {
        AtomicFiles.write(png, out -> ImageIO.write(img, "png", out));
    }
}
