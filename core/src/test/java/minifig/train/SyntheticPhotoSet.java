package minifig.train;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * A tiny photo set in the layout of the LEGO one (metadata.csv, index.csv, test.csv, universe/class/NNN.png),
 * generated for tests: class 1 is a red square, class 2 a green disc, class 3 a blue bar, each drawn at a
 * random position and size on a noisy grey background, so a small CNN can learn it in seconds.
 */
public final class SyntheticPhotoSet {
    private SyntheticPhotoSet() {}

    public static final String[] NAMES = {"RED SQUARE", "GREEN DISC", "BLUE BAR"};
    public static final String[] UNIVERSES = {"marvel", "marvel", "star-wars"};

    /** Writes the set into {@code dir}: {@code perClass} training and {@code testPerClass} test photos per class. */
    public static Path write(Path dir, int perClass, int testPerClass, int size, long seed) throws IOException {
        Random rng = new Random(seed);
        Files.createDirectories(dir.resolve("test"));
        StringBuilder meta = new StringBuilder("class_id,lego_ids,lego_names,minifigure_name\n");
        StringBuilder index = new StringBuilder("path,class_id\n"), test = new StringBuilder("path,class_id\n");
        int testNo = 0;
        for (int c = 0; c < NAMES.length; c++) {
            int id = c + 1;
            meta.append(id).append(",[1],\"['Set, \"\"quoted\"\"']\",").append(NAMES[c]).append('\n');
            String folder = UNIVERSES[c] + "/" + String.format("%04d", id);
            Files.createDirectories(dir.resolve(folder));
            for (int i = 0; i < perClass + testPerClass; i++) {
                BufferedImage img = draw(c, size, rng);
                String path;
                if (i < perClass) {
                    path = folder + String.format("/%03d.png", i + 1);
                    index.append(path).append(',').append(id).append('\n');
                } else {
                    path = String.format("test/%03d.png", ++testNo);
                    test.append(path).append(',').append(id).append('\n');
                }
                ImageIO.write(img, "png", dir.resolve(path).toFile());
            }
        }
        Files.writeString(dir.resolve("metadata.csv"), meta);
        Files.writeString(dir.resolve("index.csv"), index);
        Files.writeString(dir.resolve("test.csv"), test);
        return dir;
    }

    static BufferedImage draw(int cls, int size, Random rng) {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int g = 110 + rng.nextInt(40);
                img.setRGB(x, y, (g << 16) | (g << 8) | g);
            }
        }
        Graphics2D g = img.createGraphics();
        int s = size / 3 + rng.nextInt(size / 4);
        int x = rng.nextInt(size - s), y = rng.nextInt(size - s);
        switch (cls) {
            case 0 -> { g.setColor(new Color(220, 30, 30)); g.fillRect(x, y, s, s); }
            case 1 -> { g.setColor(new Color(30, 200, 40)); g.fillOval(x, y, s, s); }
            default -> { g.setColor(new Color(30, 40, 220)); g.fillRect(x, y + s / 3, s, Math.max(2, s / 3)); }
        }
        g.dispose();
        return img;
    }
}
