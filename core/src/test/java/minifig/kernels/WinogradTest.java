package minifig.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Winograd F(2x2, 3x3) == naive im2col + naive GEMM (3x3, stride 1, padding 1), at any thread count and grouping. */
class WinogradTest extends KernelTestBase {
    private final int savedTiles = Winograd.maxTiles, savedChunk = Winograd.chunkTiles,
            savedChunkChannels = Winograd.chunkMaxChannels, savedSlotMin = Winograd.gradSlotMinImageTiles,
            savedForwardSlotMin = Winograd.forwardSlotMinTiles, savedSlotGroup = Winograd.slotGroupFloats;

    @AfterEach
    void restoreTiles() {
        Winograd.maxTiles = savedTiles;
        Winograd.chunkTiles = savedChunk;
        Winograd.chunkMaxChannels = savedChunkChannels;
        Winograd.gradSlotMinImageTiles = savedSlotMin;
        Winograd.forwardSlotMinTiles = savedForwardSlotMin;
        Winograd.slotGroupFloats = savedSlotGroup;
    }

    /**
     * {N, C, O, H, W, maxTiles}: odd and even sides (a last tile half outside the map), a 1x1 and a 1xW map, C and O
     * not multiples of the micro-tile, ResNet's 7x7 and 14x14 maps, groups of images that do not divide the batch
     * (maxTiles 20 with 16 tiles per image: one image per group), a batch in one group, tile rows longer than a
     * vector (odd 29 x 30, ResNet's 56 x 56) and planes with a ragged last vector of tiles. The configs run one after
     * another on each thread, so smaller ones reuse buffers a larger one left dirty.
     */
    private static final int[][] CONFIGS = {
        {1, 1, 1, 4, 4, 512}, {2, 3, 5, 5, 7, 512}, {1, 2, 3, 1, 1, 512}, {3, 4, 2, 1, 6, 512},
        {2, 17, 10, 7, 7, 512}, {3, 9, 8, 14, 14, 512}, {5, 6, 7, 7, 8, 20}, {4, 5, 3, 6, 6, 30},
        {2, 3, 4, 29, 30, 512}, {1, 2, 3, 56, 56, 512},
    };

    /**
     * Plane by plane (chunkMaxChannels 0) and in chunks of 1, 5, 24 and 96 tiles (ragged, across tile rows), each
     * without and with image slots where the batch has 4 images (forwardSlotMinTiles past any batch, and 1), at 1-3
     * threads: every variant equals the naive result and has the bits of the first.
     */
    @Test
    void equalsNaiveOverShapesGroupsChunksAndThreads() {
        Random r = new Random(13);
        for (int[] c : CONFIGS) {
            int N = c[0], C = c[1], O = c[2], H = c[3], W = c[4];
            Winograd.maxTiles = c[5];
            float[] x = random(r, N * C * H * W), w = random(r, O * C * 9);
            float[] want = convReference(w, O, x, N, C, H, W, 3, 1, 1);
            float[] first = null;
            for (int chunk : new int[] {0, 1, 5, 24, 96, 128}) {
                Winograd.chunkMaxChannels = chunk == 0 ? 0 : 64;
                Winograd.chunkTiles = Math.max(1, chunk);
                for (int slotMin : new int[] {Integer.MAX_VALUE, 1}) {
                    Winograd.forwardSlotMinTiles = slotMin;
                    for (int threads = 1; threads <= 3; threads++) {
                        Parallel.setThreads(threads);
                        float[] got = new float[want.length + 4];
                        Arrays.fill(got, Float.NaN);                       // every output element must be written
                        Winograd.forward(w, O, x, N, C, H, W, got, 2);
                        String what = Arrays.toString(c) + " chunks of " + chunk + ", forwardSlotMinTiles " + slotMin
                                + ", threads " + threads;
                        assertEquals(Float.NaN, got[1], what);
                        assertEquals(Float.NaN, got[2 + want.length], what);
                        float[] body = Arrays.copyOfRange(got, 2, 2 + want.length);
                        // the transforms add and subtract up to 16 products per output: a few ulps of the sum's terms
                        assertArrayEquals(want, body, 1e-5f * C * 9, what);
                        if (first == null) first = body;
                        else assertArrayEquals(first, body, 0f, what + ": not bit-identical to planes at one thread");
                    }
                }
            }
        }
    }

    /**
     * With every phase shared by the threads (gradSlotMinImageTiles past any map), with image slots wherever there are
     * images to cut (gradSlotMinImageTiles 1), and with slots of one image per group (slotGroupFloats 1, so a slot of
     * two or more images adds group after group into its dU), at 1-3 threads: each equals the naive result and has
     * the bits of the one-thread run of the same variant.
     */
    @Test
    void weightGradEqualsNaiveOverShapesGroupsAndThreads() {
        Random r = new Random(17);
        for (int[] c : CONFIGS) {     // several groups of images add into dU one after another
            int N = c[0], C = c[1], O = c[2], H = c[3], W = c[4];
            Winograd.maxTiles = c[5];
            float[] x = random(r, N * C * H * W), dy = random(r, N * O * H * W), start = random(r, O * C * 9);
            float[] want = start.clone();
            convWeightGradReference(x, dy, N, C, H, W, O, 3, 1, 1, want, 0);
            for (int variant = 0; variant < 3; variant++) {
                int minTiles = variant == 0 ? Integer.MAX_VALUE : 1;
                Winograd.gradSlotMinImageTiles = minTiles;
                Winograd.slotGroupFloats = variant == 2 ? 1 : savedSlotGroup;
                float[] first = null;
                for (int threads = 1; threads <= 3; threads++) {
                    Parallel.setThreads(threads);
                    float[] got = start.clone();                      // adds to what dW holds
                    Winograd.weightGrad(x, dy, N, C, H, W, O, got);
                    String what = Arrays.toString(c) + " gradSlotMinImageTiles " + minTiles + ", slotGroupFloats "
                            + Winograd.slotGroupFloats + ", threads " + threads;
                    // each dW sums N*H*W products per element; the transforms add a few ulps of its terms
                    assertArrayEquals(want, got, 2e-6f * N * H * W + 1e-5f, what);
                    if (first == null) first = got;
                    else assertArrayEquals(first, got, 0f, what + ": not bit-identical to one thread");
                }
            }
        }
    }

    @Test
    void appliesOnlyToThreeByThreeStrideOnePadOne() {
        assertTrue(Winograd.applies(3, 1, 1));
        assertFalse(Winograd.applies(3, 2, 1));
        assertFalse(Winograd.applies(3, 1, 0));
        assertFalse(Winograd.applies(5, 1, 2));
        assertFalse(Winograd.applies(1, 1, 0));
    }
}
