package minifig.data;

import minifig.BadInputException;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Decodes a photo file (JPEG, PNG, or anything else ImageIO reads) into an 8-bit {@link RgbImage}, refusing
 * bad files with a one-line BadInputException instead of a stack trace, an OOM or a silently grey image.
 *
 * <ul>
 * <li>Dimensions are read from the header before any pixel is decoded; more than {@link #MAX_SIDE} pixels a
 *     side or {@link #MAX_PIXELS} in total is refused (a decompression bomb would otherwise exhaust memory).</li>
 * <li>Zero-byte, non-image, truncated and corrupt files are refused. ImageIO decodes a truncated JPEG with only
 *     a warning (the missing part comes out grey), so decoder warnings count as errors.</li>
 * <li>Grayscale is replicated to R = G = B (sample values taken as they are, as PIL does: no gamma change);
 *     alpha is composited on white; 16-bit samples are rounded to 8 bits; palette and CMYK images are converted
 *     to sRGB through their ColorModel.</li>
 * </ul>
 */
public final class ImageDecoder {
    public static final int MAX_SIDE = 10_000;
    public static final long MAX_PIXELS = 50_000_000L;
    /** Larger files are refused before reading; the photos are ~30 kB. */
    public static final long MAX_FILE_BYTES = 256L << 20;

    private ImageDecoder() {}

    /** Reads and decodes {@code file}. */
    public static RgbImage decode(Path file) {
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new BadInputException(file + ": expected an image file under " + (MAX_FILE_BYTES >> 20) + " MB, found " + size + " bytes");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BadInputException(file + ": expected an image file, found no such file");
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        return decode(bytes, file.toString());
    }

    /** Decodes an encoded image held in memory; {@code name} names it in error messages. */
    public static RgbImage decode(byte[] bytes, String name) {
        if (bytes.length == 0) throw new BadInputException(name + ": expected a JPEG or PNG image, found an empty (0-byte) file");
        BufferedImage img;
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new BadInputException(name + ": expected a JPEG or PNG image, found " + describe(bytes));
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                String format = reader.getFormatName();
                int w = reader.getWidth(0), h = reader.getHeight(0);
                if (w > MAX_SIDE || h > MAX_SIDE || (long) w * h > MAX_PIXELS || w < 1 || h < 1) {
                    throw new BadInputException(name + ": expected an image at most " + MAX_SIDE + " pixels a side and "
                            + MAX_PIXELS / 1_000_000 + " Mpx, found " + format + " " + w + "x" + h + " (refused before decoding)");
                }
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((src, msg) -> {
                    // Stray bytes between JPEG segments are harmless (libjpeg and PIL decode such files fine).
                    if (!msg.contains("extraneous bytes")) warnings.add(msg);
                });
                img = reader.read(0);
                if (!warnings.isEmpty()) {
                    throw new BadInputException(name + ": expected a complete " + format + " image, found a truncated or corrupt one ("
                            + CsvTable.oneLine(String.join("; ", warnings)) + ")");
                }
            } finally {
                reader.dispose();
            }
        } catch (BadInputException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new BadInputException(name + ": expected a readable JPEG or PNG image, found a truncated or corrupt file ("
                    + CsvTable.oneLine(messageChain(e)) + ")", e);
        } catch (OutOfMemoryError e) {
            throw new BadInputException(name + ": image too large to decode in this JVM's heap", e);
        }
        if (img == null) throw new BadInputException(name + ": expected an image, found a file with no image data");
        return toRgb(img, name);
    }

    /** Converts any decoded image to 8-bit sRGB-ish RGB (see the class comment for the rules). */
    static RgbImage toRgb(BufferedImage img, String name) {
        int w = img.getWidth(), h = img.getHeight();
        RgbImage out = new RgbImage(w, h);
        byte[] d = out.data;
        if (img.getType() == BufferedImage.TYPE_3BYTE_BGR) { // the JPEG fast path
            byte[] bgr = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
            for (int i = 0; i < d.length; i += 3) {
                d[i] = bgr[i + 2];
                d[i + 1] = bgr[i + 1];
                d[i + 2] = bgr[i];
            }
            return out;
        }
        ColorModel cm = img.getColorModel();
        int csType = cm.getColorSpace().getType();
        Raster r = img.getRaster();
        int bands = r.getNumBands();
        boolean component = cm instanceof ComponentColorModel;
        boolean gray = component && csType == ColorSpace.TYPE_GRAY && bands == (cm.hasAlpha() ? 2 : 1);
        boolean rgb = component && csType == ColorSpace.TYPE_RGB && bands == (cm.hasAlpha() ? 4 : 3);
        if (gray || rgb) {
            // Read raw samples: going through getRGB would apply the linear-gray -> sRGB gamma to grayscale.
            int colours = gray ? 1 : 3;
            double[] max = new double[bands];
            for (int b = 0; b < bands; b++) max[b] = (1L << r.getSampleModel().getSampleSize(b)) - 1;
            boolean premultiplied = cm.isAlphaPremultiplied();
            int[] px = new int[bands];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    r.getPixel(x, y, px);
                    double a = cm.hasAlpha() ? px[bands - 1] / max[bands - 1] : 1;
                    for (int c = 0; c < 3; c++) {
                        int b = colours == 1 ? 0 : c;
                        double v = px[b] / max[b] * 255;
                        if (cm.hasAlpha()) v = premultiplied ? v + 255 * (1 - a) : v * a + 255 * (1 - a);
                        d[(y * w + x) * 3 + c] = (byte) clamp255(v);
                    }
                }
            }
            return out;
        }
        // Palette, packed-int RGB, CMYK and other colour spaces: let the ColorModel convert to sRGB ARGB.
        int[] row = new int[w];
        try {
            for (int y = 0; y < h; y++) {
                img.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) {
                    int argb = row[x], a = argb >>> 24;
                    for (int c = 0; c < 3; c++) {
                        int v = (argb >> (16 - 8 * c)) & 0xff;
                        d[(y * w + x) * 3 + c] = (byte) (a == 255 ? v : clamp255((v * a + 255 * (255 - a)) / 255.0));
                    }
                }
            }
        } catch (RuntimeException e) {
            throw new BadInputException(name + ": expected RGB, grayscale, palette or CMYK pixels, found an unsupported colour model ("
                    + cm.getClass().getSimpleName() + ", colour space type " + csType + ", " + bands + " bands)", e);
        }
        return out;
    }

    private static int clamp255(double v) {
        long r = Math.round(v);
        return (int) Math.max(0, Math.min(255, r));
    }

    private static String messageChain(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (!sb.isEmpty()) sb.append(": ");
            sb.append(t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName());
            if (t.getCause() == t) break;
        }
        return sb.toString();
    }

    /** A short description of what a file that no image reader recognised starts with. */
    static String describe(byte[] b) {
        int n = Math.min(b.length, 8);
        StringBuilder hex = new StringBuilder();
        boolean text = true;
        for (int i = 0; i < n; i++) {
            hex.append(String.format("%02x", b[i] & 0xff));
            if (b[i] < 0x09 || (b[i] > 0x0d && b[i] < 0x20)) text = false;
        }
        return (text ? "text or unknown data" : "an unknown format") + " (" + b.length + " bytes starting " + hex + ")";
    }
}
