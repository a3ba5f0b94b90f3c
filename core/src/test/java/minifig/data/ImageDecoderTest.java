package minifig.data;

import minifig.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.*;

class ImageDecoderTest {
    static byte[] encode(BufferedImage img, String format) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, format, bo), "no writer for " + format);
        return bo.toByteArray();
    }

    private static String error(byte[] bytes) {
        return assertThrows(BadInputException.class, () -> ImageDecoder.decode(bytes, "p.img")).getMessage();
    }

    @Test
    void realPhotoMatchesImageIoPixels() throws Exception {
        Sample s = TestData.real().publishedTrain().get(0);
        RgbImage img = ImageDecoder.decode(s.file());
        BufferedImage ref = ImageIO.read(s.file().toFile());
        assertEquals(512, img.width);
        assertEquals(512, img.height);
        for (int[] p : new int[][]{{0, 0}, {511, 0}, {100, 300}, {511, 511}}) {
            int argb = ref.getRGB(p[0], p[1]);
            assertArrayEquals(new int[]{(argb >> 16) & 255, (argb >> 8) & 255, argb & 255},
                    new int[]{img.get(p[0], p[1], 0), img.get(p[0], p[1], 1), img.get(p[0], p[1], 2)});
        }
    }

    @Test
    void grayscaleIsReplicatedWithoutGammaChange() throws Exception {
        BufferedImage g = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        g.getRaster().setSample(1, 1, 0, 100);
        RgbImage img = ImageDecoder.decode(encode(g, "png"), "g.png");
        assertEquals(100, img.get(1, 1, 0));
        assertEquals(100, img.get(1, 1, 1));
        assertEquals(100, img.get(1, 1, 2));
        assertEquals(0, img.get(0, 0, 2));
    }

    @Test
    void alphaIsCompositedOnWhite() throws Exception {
        BufferedImage a = new BufferedImage(3, 1, BufferedImage.TYPE_INT_ARGB);
        a.setRGB(0, 0, 0x00ff0000);   // transparent red
        a.setRGB(1, 0, 0x80ff0000);   // half red
        a.setRGB(2, 0, 0xff00ff00);   // opaque green
        RgbImage img = ImageDecoder.decode(encode(a, "png"), "a.png");
        assertArrayEquals(new int[]{255, 255, 255}, px(img, 0, 0));
        assertArrayEquals(new int[]{255, 127, 127}, px(img, 1, 0));
        assertArrayEquals(new int[]{0, 255, 0}, px(img, 2, 0));
    }

    @Test
    void sixteenBitPngsAreRoundedTo8Bits() throws Exception {
        BufferedImage g = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
        g.getRaster().setSample(0, 0, 0, 65535);
        g.getRaster().setSample(1, 0, 0, 257 * 100);
        RgbImage img = ImageDecoder.decode(encode(g, "png"), "g16.png");
        assertArrayEquals(new int[]{255, 255, 255}, px(img, 0, 0));
        assertArrayEquals(new int[]{100, 100, 100}, px(img, 1, 0));

        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster r = cm.createCompatibleWritableRaster(1, 1);
        r.setPixel(0, 0, new int[]{65535, 0, 257 * 128});
        RgbImage rgb = ImageDecoder.decode(encode(new BufferedImage(cm, r, false, null), "png"), "rgb16.png");
        assertArrayEquals(new int[]{255, 0, 128}, px(rgb, 0, 0));
    }

    @Test
    void paletteImages() throws Exception {
        IndexColorModel icm = new IndexColorModel(8, 2, new byte[]{10, (byte) 200}, new byte[]{20, 0}, new byte[]{30, 5});
        BufferedImage p = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_INDEXED, icm);
        p.getRaster().setSample(1, 0, 0, 1);
        RgbImage img = ImageDecoder.decode(encode(p, "png"), "p.png");
        assertArrayEquals(new int[]{10, 20, 30}, px(img, 0, 0));
        assertArrayEquals(new int[]{200, 0, 5}, px(img, 1, 0));
    }

    /** A 4-channel JPEG (what CMYK photos from print workflows are). */
    static byte[] fourChannelJpeg(int value) throws IOException {
        WritableRaster ras = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 8, 8, 4, null);
        int[] all = new int[8 * 8 * 4];
        Arrays.fill(all, value);
        ras.setPixels(0, 0, 8, 8, all);
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bo)) {
            w.setOutput(out);
            w.write(null, new IIOImage(ras, null, null), null);
        }
        return bo.toByteArray();
    }

    @Test
    void cmykJpegIsConvertedThroughItsColourModel() throws Exception {
        // JDK 25 decodes 4-channel JPEGs as CMYK; the two extremes must come out as opposite extremes.
        RgbImage a = ImageDecoder.decode(fourChannelJpeg(0), "cmyk0.jpg");
        RgbImage b = ImageDecoder.decode(fourChannelJpeg(255), "cmyk255.jpg");
        assertEquals(8, a.width);
        int la = px(a, 3, 3)[0] + px(a, 3, 3)[1] + px(a, 3, 3)[2], lb = px(b, 3, 3)[0] + px(b, 3, 3)[1] + px(b, 3, 3)[2];
        assertTrue(Math.abs(la - lb) > 600, "CMYK extremes decoded to " + Arrays.toString(px(a, 3, 3)) + " and " + Arrays.toString(px(b, 3, 3)));
    }

    @Test
    void zeroByteAndNonImageFiles(@TempDir Path dir) throws Exception {
        Path empty = Files.write(dir.resolve("e.jpg"), new byte[0]);
        assertEquals(empty + ": expected a JPEG or PNG image, found an empty (0-byte) file",
                assertThrows(BadInputException.class, () -> ImageDecoder.decode(empty)).getMessage());
        assertEquals("p.img: expected a JPEG or PNG image, found text or unknown data (11 bytes starting 68656c6c6f20776f)",
                error("hello world".getBytes()));
        Path none = dir.resolve("none.jpg");
        assertEquals(none + ": expected an image file, found no such file",
                assertThrows(BadInputException.class, () -> ImageDecoder.decode(none)).getMessage());
    }

    @Test
    void truncatedAndCorruptFiles() throws Exception {
        byte[] jpg = Files.readAllBytes(TestData.real().publishedTrain().get(0).file());
        String m = error(Arrays.copyOf(jpg, jpg.length / 2));
        assertTrue(m.startsWith("p.img: expected a complete JPEG image, found a truncated or corrupt one ("), m);
        m = error(Arrays.copyOf(jpg, 300));
        assertTrue(m.startsWith("p.img: expected a readable JPEG or PNG image, found a truncated or corrupt file ("), m);
        byte[] corrupt = jpg.clone();
        for (int i = 2000; i < 6000; i++) corrupt[i] = (byte) (i * 7);
        assertTrue(error(corrupt).contains("truncated or corrupt"));
        BufferedImage big = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < 64; i++) big.setRGB(i, i, 0x123456 * i);
        byte[] png = encode(big, "png");
        m = error(Arrays.copyOf(png, png.length / 2));
        assertTrue(m.startsWith("p.img: expected a readable JPEG or PNG image, found a truncated or corrupt file"), m);
        for (String s : new String[]{m}) assertFalse(s.contains("\n"));
    }

    /** A valid small PNG whose header claims w x h (CRC fixed up, so only the size is wrong). */
    static byte[] pngClaiming(int w, int h) throws IOException {
        byte[] png = encode(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "png");
        ByteBuffer bb = ByteBuffer.wrap(png);
        bb.putInt(16, w).putInt(20, h);     // IHDR data starts at 16 (8 signature + 4 length + 4 type)
        CRC32 crc = new CRC32();
        crc.update(png, 12, 17);            // type + 13 data bytes
        bb.putInt(29, (int) crc.getValue());
        return png;
    }

    @Test
    void hugeDimensionsAreRefusedFromTheHeader() throws Exception {
        assertEquals("p.img: expected an image at most 10000 pixels a side and 50 Mpx, found png 20000x20000 (refused before decoding)",
                error(pngClaiming(20000, 20000)));
        assertTrue(error(pngClaiming(9000, 9000)).contains("found png 9000x9000 (refused"));   // 81 Mpx
        // A JPEG whose frame header claims 60000x60000.
        byte[] jpg = encode(new BufferedImage(8, 8, BufferedImage.TYPE_3BYTE_BGR), "jpeg");
        int sof = 2;
        while (!((jpg[sof] & 0xff) == 0xff && (jpg[sof + 1] & 0xff) == 0xc0)) sof++;
        ByteBuffer.wrap(jpg).putShort(sof + 5, (short) 60000).putShort(sof + 7, (short) 60000);
        assertEquals("p.img: expected an image at most 10000 pixels a side and 50 Mpx, found JPEG 60000x60000 (refused before decoding)",
                error(jpg));
    }

    static int[] px(RgbImage img, int x, int y) {
        return new int[]{img.get(x, y, 0), img.get(x, y, 1), img.get(x, y, 2)};
    }
}
