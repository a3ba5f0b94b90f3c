package minifig.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Implicit im2col panels == packing the explicit col matrix of the naive im2col, and the GEMMs agree. */
class Im2colPanelsTest extends KernelTestBase {
    /**
     * {images, C, H, W, K, stride, pad}: 1x1 (plain and strided: a 1x1/2 gathers from x in vectors, up to the array's
     * end), 3x3, 7x7 stem-like, strides 1-3 (strided runs read column phases), odd sizes, wide and tiny maps.
     */
    private static List<int[]> configs() {
        List<int[]> out = new ArrayList<>();
        for (int k : new int[] {1, 3, 7}) {
            for (int stride : new int[] {1, 2, 3}) {
                for (int pad : new int[] {0, 1, 3}) {
                    // {5, 70}: output rows of 35 at stride 2, runs longer than a 16-lane vector
                    for (int[] hw : new int[][] {{7, 7}, {8, 5}, {13, 9}, {1, 11}, {30, 29}, {5, 70}}) {
                        if (hw[0] + 2 * pad < k || hw[1] + 2 * pad < k) continue;
                        for (int images : new int[] {1, 3}) out.add(new int[] {images, 2, hw[0], hw[1], k, stride, pad});
                    }
                }
            }
        }
        return out;
    }

    /** The explicit col [C*K*K, images*OH*OW] of the reference im2col. */
    private static float[] col(float[] x, int xOff, int[] c, int OHW) {
        int images = c[0], C = c[1], H = c[2], W = c[3], K = c[4];
        int cols = images * OHW;
        float[] col = new float[C * K * K * cols];
        float[] one = new float[C * K * K * OHW];
        for (int i = 0; i < images; i++) {
            Im2colNaive.im2col(x, xOff + i * C * H * W, C, H, W, K, K, c[5], c[6], one, 0);
            for (int r = 0; r < C * K * K; r++) System.arraycopy(one, r * OHW, col, r * cols + i * OHW, OHW);
        }
        return col;
    }

    @Test
    void panelsEqualPackedCol() {
        Random r = new Random(3);
        for (int[] c : configs()) {
            int images = c[0], C = c[1], H = c[2], W = c[3], K = c[4];
            int OHW = Im2col.outSize(H, K, c[5], c[6]) * Im2col.outSize(W, K, c[5], c[6]);
            // images at the array's start (a stride-2 split reads x's first and last rows through a row buffer) or not
            int xOff = images == 1 ? 0 : 7, rows = C * K * K, cols = images * OHW;
            float[] x = random(r, xOff + images * C * H * W + 5);
            float[] col = col(x, xOff, c, OHW);
            Im2colPanels panels = new Im2colPanels(x, xOff, images, C, H, W, K, c[5], c[6]);
            assertEquals(rows, panels.rows());
            assertEquals(cols, panels.cols());
            // Whole matrix, then random sub-blocks (k block and column range, as the GEMM's blocking asks).
            List<int[]> blocks = new ArrayList<>(List.of(new int[] {0, rows, 0, cols}));
            for (int i = 0; i < 6; i++) {
                int pc = r.nextInt(rows), jc = r.nextInt(cols);
                blocks.add(new int[] {pc, 1 + r.nextInt(rows - pc), jc, 1 + r.nextInt(cols - jc)});
            }
            for (int[] b : blocks) {
                int panelsN = (b[3] + GemmBlocked.NR - 1) / GemmBlocked.NR, size = panelsN * GemmBlocked.NR * b[1] + 3;
                float[] want = new float[size], got = new float[size];
                java.util.Arrays.fill(got, Float.NaN);     // every packed element must be written
                want[0] = got[0] = want[1] = got[1] = want[2] = got[2] = 9f;
                GemmBlocked.packB(false, col, 0, cols, b[0], b[1], b[2], b[3], want, 3);
                panels.pack(b[0], b[1], b[2], b[3], got, 3);
                assertArrayEquals(want, got, java.util.Arrays.toString(c) + " block " + java.util.Arrays.toString(b));
            }
        }
    }

    @Test
    void gemmOnPanelsEqualsGemmOnCol() {
        Random r = new Random(5);
        // ResNet-like shapes, big enough to split over threads and to span several k blocks of a small kernel. x has no
        // slack: in the two odd 1x1/2 shapes the last panel is full and its last run (12 and 20 pixels, at panel columns
        // 52 and 44) may not spill, and its vector pairs would read one float past x's last pixel, x's end.
        int[][] cfgs = {{1, 16, 20, 20, 3, 1, 1}, {2, 8, 17, 15, 3, 2, 1}, {1, 3, 40, 40, 7, 2, 3}, {4, 24, 7, 7, 3, 1, 1},
                        {1, 40, 12, 12, 1, 2, 0}, {1, 5, 31, 23, 1, 2, 0}, {1, 3, 31, 39, 1, 2, 0}};
        for (int[] c : cfgs) {
            int images = c[0], C = c[1], H = c[2], W = c[3], K = c[4], O = 13;
            int OHW = Im2col.outSize(H, K, c[5], c[6]) * Im2col.outSize(W, K, c[5], c[6]);
            int rows = C * K * K, cols = images * OHW;
            float[] x = random(r, images * C * H * W), w = random(r, O * rows);
            float[] col = col(x, 0, c, OHW);
            for (GemmBlocked g : new GemmBlocked[] {GemmBlocked.DEFAULT, new GemmBlocked(6, 16, 48)}) {
                for (int threads : new int[] {1, 2}) {
                    Parallel.setThreads(threads);
                    float[] want = random(new Random(1), O * cols), got = want.clone();
                    g.sgemm(false, false, O, cols, rows, w, 0, rows, col, 0, cols, want, 0, cols, true);
                    g.sgemm(false, O, cols, rows, w, 0, rows, new Im2colPanels(x, 0, images, C, H, W, K, c[5], c[6]),
                            got, 0, cols, true);
                    assertArrayEquals(want, got, java.util.Arrays.toString(c) + " threads " + threads);
                }
            }
        }
    }

    @Test
    void rejectsImagesOutsideTheArray() {
        assertThrows(IllegalArgumentException.class, () -> new Im2colPanels(new float[10], 0, 1, 1, 4, 4, 3, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new Im2colPanels(new float[16], 0, 1, 1, 4, 4, 7, 1, 1));
    }
}
