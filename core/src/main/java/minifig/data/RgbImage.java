package minifig.data;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;

/**
 * A decoded 8-bit RGB photo, the compact form the pipeline caches: {@code data[(y * width + x) * 3 + c]}
 * with c = 0 red, 1 green, 2 blue (HWC, one byte per sample, read as unsigned 0..255).
 */
public final class RgbImage {
    public final int width, height;
    public final byte[] data;

    public RgbImage(int width, int height, byte[] data) {
        if (width < 1 || height < 1 || data.length != (long) width * height * 3) {
            throw new IllegalArgumentException("RgbImage " + width + "x" + height + " needs " + (long) width * height * 3
                    + " bytes, got " + data.length);
        }
        this.width = width;
        this.height = height;
        this.data = data;
    }

    public RgbImage(int width, int height) {
        this(width, height, new byte[Math.multiplyExact(Math.multiplyExact(width, height), 3)]);
    }

    /** An image filled with one colour. */
    public static RgbImage constant(int width, int height, int r, int g, int b) {
        RgbImage img = new RgbImage(width, height);
        for (int i = 0; i < img.data.length; i += 3) {
            img.data[i] = (byte) r;
            img.data[i + 1] = (byte) g;
            img.data[i + 2] = (byte) b;
        }
        return img;
    }

    /** Sample {@code c} of pixel (x, y) as 0..255. */
    public int get(int x, int y, int c) {
        return data[(y * width + x) * 3 + c] & 0xff;
    }

    public void set(int x, int y, int c, int v) {
        data[(y * width + x) * 3 + c] = (byte) v;
    }

    public int shorterSide() { return Math.min(width, height); }

    /** The {@code w x h} region with top-left corner (x, y), copied. */
    public RgbImage crop(int x, int y, int w, int h) {
        if (x < 0 || y < 0 || w < 1 || h < 1 || x + w > width || y + h > height) {
            throw new IllegalArgumentException("crop " + w + "x" + h + "+" + x + "+" + y + " outside " + width + "x" + height);
        }
        RgbImage out = new RgbImage(w, h);
        for (int row = 0; row < h; row++) {
            System.arraycopy(data, ((y + row) * width + x) * 3, out.data, row * w * 3, w * 3);
        }
        return out;
    }

    /**
     * The centred {@code w x h} region. The offset is {@code rint((width - w) / 2)} (half to even, like
     * Python's round in torchvision's center_crop), so odd margins match PyTorch preprocessing.
     */
    public RgbImage centerCrop(int w, int h) {
        if (w > width || h > height) {
            throw new IllegalArgumentException("centre crop " + w + "x" + h + " larger than the image " + width + "x" + height);
        }
        return crop((int) Math.rint((width - w) / 2.0), (int) Math.rint((height - h) / 2.0), w, h);
    }

    /** Mirrored left-right. */
    public RgbImage flipHorizontal() {
        RgbImage out = new RgbImage(width, height);
        for (int y = 0; y < height; y++) {
            int row = y * width * 3;
            for (int x = 0; x < width; x++) {
                int s = row + x * 3, d = row + (width - 1 - x) * 3;
                out.data[d] = data[s];
                out.data[d + 1] = data[s + 1];
                out.data[d + 2] = data[s + 2];
            }
        }
        return out;
    }

    /** A TYPE_3BYTE_BGR copy, e.g. to save an augmented sample with ImageIO for inspection. */
    public BufferedImage toBufferedImage() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        byte[] bgr = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < data.length; i += 3) {
            bgr[i] = data[i + 2];
            bgr[i + 1] = data[i + 1];
            bgr[i + 2] = data[i];
        }
        return img;
    }

    public long bytes() { return data.length; }

    @Override
    public String toString() { return "RgbImage " + width + "x" + height; }
}
