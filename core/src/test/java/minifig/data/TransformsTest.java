package minifig.data;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static minifig.data.ImageDecoderTest.px;
import static org.junit.jupiter.api.Assertions.*;

class TransformsTest {
    static RgbImage random(int w, int h, long seed) {
        RgbImage img = new RgbImage(w, h);
        new Random(seed).nextBytes(img.data);
        return img;
    }

    static void assertConstant(RgbImage img, int r, int g, int b) {
        for (int y = 0; y < img.height; y++) for (int x = 0; x < img.width; x++) assertArrayEquals(new int[]{r, g, b}, px(img, x, y));
    }

    @Test
    void resizeOfAConstantImageIsConstant() {
        RgbImage c = RgbImage.constant(37, 23, 200, 17, 90);
        for (Resize.Filter f : Resize.Filter.values()) {
            for (int[] size : new int[][]{{10, 7}, {74, 46}, {37, 5}, {1, 1}, {100, 3}}) {
                RgbImage out = Resize.resize(c, size[0], size[1], f);
                assertEquals(size[0], out.width);
                assertEquals(size[1], out.height);
                assertConstant(out, 200, 17, 90);
            }
        }
    }

    @Test
    void boxHalvingAveragesBlocks() {
        RgbImage img = random(6, 4, 1);
        RgbImage out = Resize.resize(img, 3, 2, Resize.Filter.BOX);
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 3; x++) {
                for (int c = 0; c < 3; c++) {
                    int sum = img.get(2 * x, 2 * y, c) + img.get(2 * x + 1, 2 * y, c) + img.get(2 * x, 2 * y + 1, c) + img.get(2 * x + 1, 2 * y + 1, c);
                    assertEquals(Math.round(sum / 4.0f), out.get(x, y, c), "pixel " + x + "," + y + " channel " + c);
                }
            }
        }
    }

    @Test
    void triangleHalvingUsesWeights1331LikePil() {
        RgbImage row = new RgbImage(8, 1);
        row.set(3, 0, 0, 80);
        RgbImage out = Resize.resize(row, 4, 1, Resize.Filter.TRIANGLE);
        // Output 1 is centred on source 3.0: taps 1..4 weigh 1,3,3,1 (/8); output 2 reaches source 3 with 1/8.
        assertArrayEquals(new int[]{0, 30, 10, 0}, new int[]{out.get(0, 0, 0), out.get(1, 0, 0), out.get(2, 0, 0), out.get(3, 0, 0)});
    }

    @Test
    void triangleUpscalingInterpolates() {
        RgbImage row = new RgbImage(2, 1);
        row.set(1, 0, 0, 200);
        RgbImage out = Resize.resize(row, 4, 1, Resize.Filter.TRIANGLE);
        // Centres at 0.25, 0.75, 1.25, 1.75 source pixels: edge-clamped, then 1/4 and 3/4 of the way.
        assertArrayEquals(new int[]{0, 50, 150, 200}, new int[]{out.get(0, 0, 0), out.get(1, 0, 0), out.get(2, 0, 0), out.get(3, 0, 0)});
    }

    @Test
    void shorterSideKeepsAspect() {
        RgbImage out = Resize.shorterSide(RgbImage.constant(512, 384, 1, 2, 3), 256, Resize.Filter.TRIANGLE);
        assertEquals(341, out.width);
        assertEquals(256, out.height);
        RgbImage same = RgbImage.constant(256, 300, 1, 2, 3);
        assertSame(same, Resize.shorterSide(same, 256, Resize.Filter.TRIANGLE));
    }

    @Test
    void centerCropPicksTheCentre() {
        RgbImage img = new RgbImage(5, 5);
        for (int y = 0; y < 5; y++) for (int x = 0; x < 5; x++) img.set(x, y, 0, 10 * y + x);
        RgbImage c = img.centerCrop(3, 3);
        assertEquals(11, c.get(0, 0, 0));
        assertEquals(22, c.get(1, 1, 0));
        assertEquals(33, c.get(2, 2, 0));
        // Odd margin (6 - 3 = 3): torchvision rounds 1.5 half-to-even, to 2.
        RgbImage w = new RgbImage(6, 1);
        for (int x = 0; x < 6; x++) w.set(x, 0, 0, x);
        assertEquals(2, w.centerCrop(3, 1).get(0, 0, 0));
    }

    @Test
    void flipMirrorsRows() {
        RgbImage img = random(5, 3, 2);
        RgbImage f = img.flipHorizontal();
        for (int y = 0; y < 3; y++) for (int x = 0; x < 5; x++) assertArrayEquals(px(img, x, y), px(f, 4 - x, y));
        assertArrayEquals(img.data, f.flipHorizontal().data);
    }

    @Test
    void rotationIsCounterClockwiseAndKeepsConstants() {
        RgbImage img = new RgbImage(4, 4);
        img.set(3, 0, 0, 255);                           // top-right corner
        RgbImage r = Transforms.rotate(img, 90);
        assertEquals(255, r.get(0, 0, 0));               // ... moves to the top-left
        assertEquals(0, r.get(3, 0, 0));
        assertArrayEquals(img.data, Transforms.rotate(img, 0).data);
        assertConstant(Transforms.rotate(RgbImage.constant(9, 7, 5, 6, 7), 7.5), 5, 6, 7);  // edge fill: no black corners
        RgbImage x = random(8, 8, 3);
        assertArrayEquals(x.data, Transforms.rotate(Transforms.rotate(x, 90), -90).data);
    }

    @Test
    void colourJitterFactors() {
        RgbImage img = RgbImage.constant(2, 1, 100, 50, 250);
        assertArrayEquals(new int[]{50, 25, 125}, px(Transforms.colorJitter(img, 0.5, 1, 1), 0, 0));
        assertArrayEquals(new int[]{200, 100, 255}, px(Transforms.colorJitter(img, 2, 1, 1), 0, 0));   // clamped
        int grey = (int) Math.round(0.299 * 100 + 0.587 * 50 + 0.114 * 250);
        assertArrayEquals(new int[]{grey, grey, grey}, px(Transforms.colorJitter(img, 1, 1, 0), 1, 0));
        assertArrayEquals(new int[]{grey, grey, grey}, px(Transforms.colorJitter(img, 1, 0, 1), 0, 0));  // contrast 0: the mean grey
        RgbImage x = random(6, 6, 4);
        assertArrayEquals(x.data, Transforms.colorJitter(x, 1, 1, 1).data);
    }

    @Test
    void randomResizedCropWithFullScaleIsAPlainResize() {
        RgbImage img = random(40, 40, 5);
        RgbImage a = Transforms.randomResizedCrop(img, 20, 1, 1, 1, 1, Resize.Filter.TRIANGLE, new Random(1));
        assertArrayEquals(Resize.resize(img, 20, 20, Resize.Filter.TRIANGLE).data, a.data);
    }

    @Test
    void augmentationIsDeterministicPerSeed() {
        RgbImage img = random(64, 48, 6);
        Augmentation aug = Augmentation.standard();
        RgbImage a = aug.apply(img, 32, Resize.Filter.TRIANGLE, new Random(42));
        RgbImage b = aug.apply(img, 32, Resize.Filter.TRIANGLE, new Random(42));
        RgbImage c = aug.apply(img, 32, Resize.Filter.TRIANGLE, new Random(43));
        assertEquals(32, a.width);
        assertEquals(32, a.height);
        assertArrayEquals(a.data, b.data);
        assertFalse(java.util.Arrays.equals(a.data, c.data));
    }

    @Test
    void augmentationJsonRoundTripAndValidation() {
        Augmentation a = Augmentation.standard();
        assertEquals(a, Augmentation.fromJson(a.toJson(), "run.json"));
        var e = assertThrows(minifig.BadInputException.class, () -> Augmentation.fromJson(
                a.toJson().replace("\"scaleMin\":0.35", "\"scaleMin\":2.0"), "run.json"));
        assertTrue(e.getMessage().startsWith("run.json: augmentation: expected a valid object"), e.getMessage());
        assertTrue(e.getMessage().contains("expected 0 < min <= max <= 1, found [2.0, 1.0]"), e.getMessage());
    }
}
