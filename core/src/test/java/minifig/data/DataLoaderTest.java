package minifig.data;

import minifig.BadInputException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class DataLoaderTest {
    @TempDir
    static Path dir;
    static Dataset ds;
    static Split split;
    static ImageCache cache;
    static final Preprocessing PP = Preprocessing.torch(24, 20);

    /** The fake set with real little PNGs (random pixels, 40x32) in place of the empty placeholders. */
    @BeforeAll
    static void setUp() throws Exception {
        TestData.fakeSet(dir);
        Random rng = new Random(9);
        try (var files = Files.walk(dir)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".jpg")).toList()) {
                BufferedImage img = new BufferedImage(40, 32, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 32; y++) for (int x = 0; x < 40; x++) img.setRGB(x, y, rng.nextInt());
                ImageIO.write(img, "png", p.toFile());   // a PNG named .jpg: decoding goes by content
            }
        }
        ds = Dataset.open(dir);
        split = Split.published(ds);
        cache = ImageCache.build(ds.all(), 24, Resize.Filter.TRIANGLE, 2);
    }

    private static DataLoader.Builder train(int prefetch) {
        return DataLoader.builder(split.train(), split.labels(), cache, PP).batchSize(5).augmentation(Augmentation.standard())
                .shuffle(true).seed(11).prefetch(prefetch);
    }

    private static List<Batch> all(DataLoader dl, int epoch) {
        List<Batch> out = new ArrayList<>();
        try (DataLoader.Epoch e = dl.epoch(epoch)) {
            for (Batch b : e) out.add(b);
        }
        return out;
    }

    private static void assertSameBatches(List<Batch> a, List<Batch> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).images().shape, b.get(i).images().shape);
            assertArrayEquals(a.get(i).images().data, b.get(i).images().data, 0f, "batch " + i);
            assertArrayEquals(a.get(i).labels(), b.get(i).labels());
            assertEquals(a.get(i).samples(), b.get(i).samples());
        }
    }

    @Test
    void cacheHoldsDownscaledPhotos() {
        assertEquals(15, cache.size());
        RgbImage img = cache.get(ds.publishedTrain().get(0));
        assertEquals(30, img.width);    // 40x32 -> shorter side 24: 30x24
        assertEquals(24, img.height);
        assertEquals(15L * 30 * 24 * 3, cache.bytes());
    }

    @Test
    void batchesCoverTheEpochWithCorrectLabels() {
        DataLoader dl = train(2).build();
        assertEquals(3, dl.batchesPerEpoch());
        List<Batch> batches = all(dl, 0);
        assertEquals(List.of(5, 5, 2), batches.stream().map(Batch::size).toList());
        Set<Sample> seen = new HashSet<>();
        for (Batch b : batches) {
            assertArrayEquals(new int[]{b.size(), 3, 20, 20}, b.images().shape);
            for (int k = 0; k < b.size(); k++) {
                assertEquals(split.labels().indexOf(b.samples().get(k).classId()), b.labels()[k]);
                assertTrue(seen.add(b.samples().get(k)));
            }
        }
        assertEquals(new HashSet<>(split.train()), seen);
    }

    @Test
    void backgroundThreadGivesTheSameBatchesAsTheCallerThread() {
        List<Batch> threaded = all(train(2).build(), 1);
        assertSameBatches(threaded, all(train(0).build(), 1));
        assertSameBatches(threaded, all(train(1).build(), 1));
        assertSameBatches(threaded, all(train(2).build(), 1));
    }

    @Test
    void epochsAndSeedsDiffer() {
        DataLoader dl = train(2).build();
        List<Batch> e0 = all(dl, 0), e1 = all(dl, 1), other = all(train(2).seed(12).build(), 0);
        assertNotEquals(e0.get(0).samples(), e1.get(0).samples());
        assertFalse(Arrays.equals(e0.get(0).images().data, other.get(0).images().data));
        assertSameBatches(e0, all(dl, 0));   // an epoch can be replayed
    }

    @Test
    void evalLoaderIsTheFixedTransformInOrder() {
        DataLoader dl = DataLoader.builder(split.test(), split.labels(), cache, PP).batchSize(2).build();
        List<Batch> b = all(dl, 0);
        assertEquals(2, b.size());
        assertEquals(1, b.get(1).size());      // last partial batch kept
        assertEquals(split.test().subList(0, 2), b.get(0).samples());
        Sample s = split.test().get(2);
        float[] expected = PP.toTensor(List.of(PP.resizeAndCrop(ImageDecoder.decode(s.file())))).data;
        assertArrayEquals(expected, b.get(1).images().data, 0f);
        assertSameBatches(b, all(dl, 5));      // no augmentation, no shuffle: every epoch the same
    }

    @Test
    void mirrorOddEpochsAlternatesThePhotoAndItsMirrorImage() {
        DataLoader plain = DataLoader.builder(split.test(), split.labels(), cache, PP).batchSize(3).build();
        DataLoader mirrored = DataLoader.builder(split.test(), split.labels(), cache, PP).batchSize(3).mirrorOddEpochs(true).build();
        assertSameBatches(all(plain, 0), all(mirrored, 0));
        assertSameBatches(all(mirrored, 1), all(mirrored, 3));
        float[] a = all(plain, 0).get(0).images().data, m = all(mirrored, 1).get(0).images().data;
        int s = PP.inputSize();
        boolean differs = false;
        for (int plane = 0; plane < a.length / (s * s); plane++) {
            for (int y = 0; y < s; y++) {
                for (int x = 0; x < s; x++) {
                    int at = (plane * s + y) * s;
                    assertEquals(a[at + x], m[at + s - 1 - x], 0f, "plane " + plane + " row " + y + " column " + x);
                    differs |= a[at + x] != m[at + x];
                }
            }
        }
        assertTrue(differs, "the test photos must not be symmetric, or this test proves nothing");
    }

    @Test
    void dropLast() {
        DataLoader dl = train(2).dropLast(true).batchSize(5).build();
        assertEquals(2, dl.batchesPerEpoch());  // 12 photos
        assertEquals(2, all(dl, 0).size());
    }

    @Test
    void closingEarlyStopsTheProducer() {
        DataLoader dl = train(1).batchSize(1).build();
        try (DataLoader.Epoch e = dl.epoch(0)) {
            assertNotNull(e.next());
        }
        // Nothing left blocked: a fresh epoch still runs to the end.
        assertEquals(12, all(dl, 0).size());
    }

    @Test
    void producerFailuresReachTheConsumer() {
        // A photo source that fails on the third photo: batch 0 arrives, batch 1 rethrows on the caller.
        Sample third = split.test().get(2);
        ImageSource failing = s -> {
            if (s.equals(third)) throw new BadInputException(s.path() + ": broken");
            return cache.get(s);
        };
        DataLoader dl = DataLoader.builder(split.test(), split.labels(), failing, PP).batchSize(2).build();
        try (DataLoader.Epoch e = dl.epoch(0)) {
            assertEquals(2, e.next().size());
            var ex = assertThrows(BadInputException.class, e::next);
            assertEquals("test/003.jpg: broken", ex.getMessage());
            assertFalse(e.hasNext());
        }
    }

    @Test
    void badPhotosAreNamedWhenCaching(@TempDir Path tmp) throws Exception {
        Path set = TestData.fakeSet(tmp);      // empty placeholder "photos"
        Dataset bad = Dataset.open(set);
        var e = assertThrows(BadInputException.class, () -> ImageCache.build(bad.all(), 24, Resize.Filter.TRIANGLE, 2));
        assertEquals(set.resolve("marvel/0001/001.jpg") + ": expected a JPEG or PNG image, found an empty (0-byte) file (and 14 more bad photos)",
                e.getMessage());
    }
}
