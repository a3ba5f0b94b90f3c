package minifig.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The fast GEMM equals the naive reference and EJML over awkward shapes, transposes, strides and threads. */
class GemmTest extends KernelTestBase {
    /** One GEMM problem stored with row strides wider than needed and data at an offset. */
    private record Problem(boolean ta, boolean tb, int M, int N, int K, float[] A, int offA, int lda,
                           float[] B, int offB, int ldb, float[] C0, int offC, int ldc) {}

    private static Problem problem(Random r, boolean ta, boolean tb, int M, int N, int K, boolean padded) {
        int aRows = ta ? K : M, aCols = ta ? M : K, bRows = tb ? N : K, bCols = tb ? K : N;
        int lda = aCols + (padded ? 1 + r.nextInt(5) : 0), ldb = bCols + (padded ? 1 + r.nextInt(5) : 0);
        int ldc = N + (padded ? 1 + r.nextInt(5) : 0);
        int offA = padded ? r.nextInt(7) : 0, offB = padded ? r.nextInt(7) : 0, offC = padded ? r.nextInt(7) : 0;
        float[] A = random(r, offA + aRows * lda + 3), B = random(r, offB + bRows * ldb + 3);
        float[] C = random(r, offC + M * ldc + 3);
        return new Problem(ta, tb, M, N, K, A, offA, lda, B, offB, ldb, C, offC, ldc);
    }

    @FunctionalInterface
    private interface Sgemm {
        void run(boolean ta, boolean tb, int M, int N, int K, float[] A, int offA, int lda, float[] B, int offB,
                 int ldb, float[] C, int offC, int ldc, boolean acc);
    }

    private static float[] run(Sgemm g, Problem p, boolean acc) {
        float[] C = p.C0.clone();
        g.run(p.ta, p.tb, p.M, p.N, p.K, p.A, p.offA, p.lda, p.B, p.offB, p.ldb, C, p.offC, p.ldc, acc);
        return C;
    }

    /** Every element, including the padding around C, which no kernel may touch. */
    private static void assertClose(float[] want, float[] got, int K, String what) {
        double tol = 1e-5 * (K + 1);
        for (int i = 0; i < want.length; i++) {
            if (Math.abs(want[i] - got[i]) > tol) {
                throw new AssertionError(what + ": element " + i + " want " + want[i] + " got " + got[i]);
            }
        }
    }

    private static void check(Sgemm fast, Problem p, String what) {
        for (boolean acc : new boolean[] {false, true}) {
            float[] naive = run(GemmNaive::sgemm, p, acc);
            String w = what + " ta=" + p.ta + " tb=" + p.tb + " " + p.M + "x" + p.N + "x" + p.K + " acc=" + acc;
            assertClose(naive, run(GemmEjml::sgemm, p, acc), p.K, "EJML " + w);
            assertClose(naive, run(fast, p, acc), p.K, w);
        }
    }

    private static final int[] SIZES = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65};

    @Test
    void facadeMatchesNaiveAndEjmlOnOddShapesAllTransposes() {
        Random r = new Random(42);
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                for (int t = 0; t < 40; t++) {
                    int M = SIZES[r.nextInt(SIZES.length)], N = SIZES[r.nextInt(SIZES.length)];
                    int K = SIZES[r.nextInt(SIZES.length)];
                    check(Gemm::sgemm, problem(r, ta, tb, M, N, K, t % 2 == 0), "Gemm");
                }
            }
        }
    }

    @Test
    void smallBlocksCrossEveryCacheBlockBoundary() {
        // Tiny MC/KC/NC make a small problem span many blocks: the k-block accumulate path and partial blocks.
        GemmBlocked tiny = new GemmBlocked(8, 5, 40);
        Random r = new Random(7);
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                for (int[] s : new int[][] {{17, 63, 11}, {65, 7, 17}, {9, 65, 63}, {1, 1, 1}, {33, 41, 5}}) {
                    check((a, b, M, N, K, A, oa, la, B, ob, lb, C, oc, lc, acc) ->
                            tiny.sgemm(a, b, M, N, K, A, oa, la, B, ob, lb, C, oc, lc, acc, 1),
                            problem(r, ta, tb, s[0], s[1], s[2], true), "tiny blocks");
                }
            }
        }
    }

    /** The product with A packed once by {@link GemmBlocked#pack}, B a stored matrix. */
    private static Sgemm prePacked(GemmBlocked g) {
        return (ta, tb, M, N, K, A, oa, la, B, ob, lb, C, oc, lc, acc) ->
                g.sgemm(g.pack(ta, M, K, A, oa, la), N, GemmBlocked.matrix(tb, B, ob, lb), C, oc, lc, acc);
    }

    /** A packed into a reused buffer: one larger than needed, left full of NaN by the caller (stale contents). */
    private static Sgemm prePackedInto(GemmBlocked g) {
        return (ta, tb, M, N, K, A, oa, la, B, ob, lb, C, oc, lc, acc) -> {
            float[] into = new float[GemmBlocked.packedSize(M, K) + 7];
            java.util.Arrays.fill(into, Float.NaN);
            GemmBlocked.PackedA a = g.pack(ta, M, K, A, oa, la, into);
            assertSame(into, a.panels, "the buffer is used");
            g.sgemm(a, N, GemmBlocked.matrix(tb, B, ob, lb), C, oc, lc, acc);
        };
    }

    @Test
    void prePackedAEqualsNaiveAcrossBlocksAndThreads() {
        Random r = new Random(19);
        GemmBlocked tiny = new GemmBlocked(8, 5, 40);
        for (boolean ta : new boolean[] {false, true}) {
            for (int[] s : new int[][] {{17, 63, 11}, {65, 7, 17}, {1, 1, 1}, {33, 41, 5}, {4, 9, 2}}) {
                check(prePacked(tiny), problem(r, ta, false, s[0], s[1], s[2], true), "pre-packed A, tiny blocks");
                check(prePacked(GemmBlocked.DEFAULT), problem(r, ta, true, s[0], s[1], s[2], true), "pre-packed A");
                check(prePackedInto(tiny), problem(r, ta, false, s[0], s[1], s[2], true), "A packed into a stale buffer, tiny blocks");
                check(prePackedInto(GemmBlocked.DEFAULT), problem(r, ta, true, s[0], s[1], s[2], true), "A packed into a stale buffer");
            }
            // Past the parallel threshold, split over N and over M; the packed A is shared by the threads.
            for (int[] s : new int[][] {{63, 300, 129}, {301, 17, 450}}) {
                Problem p = problem(r, ta, false, s[0], s[1], s[2], true);
                for (int threads : new int[] {1, 2, 3}) {
                    Parallel.setThreads(threads);
                    check(prePacked(tiny), p, "pre-packed A, tiny blocks, threads=" + threads);
                    check(prePacked(GemmBlocked.DEFAULT), p, "pre-packed A, threads=" + threads);
                }
            }
        }
        GemmBlocked.PackedA a = GemmBlocked.DEFAULT.pack(false, 4, 6, new float[24], 0, 6);
        assertEquals(4, a.rows());
        assertEquals(6, a.depth());
        assertThrows(IllegalArgumentException.class,
                () -> tiny.sgemm(a, 3, GemmBlocked.matrix(false, new float[18], 0, 3), new float[12], 0, 3, false));
    }

    /**
     * op(B) copied into the kernel's panel layout from float {@code off} of a fresh array, its padding columns NaN (the
     * kernel may read them but must drop their results), then multiplied in place with a packed A.
     */
    private static Sgemm inPlaceB(GemmBlocked g, int off) {
        return (ta, tb, M, N, K, A, oa, la, B, ob, lb, C, oc, lc, acc) ->
                g.sgemm(g.pack(ta, M, K, A, oa, la), N, GemmBlocked.inPlace(panels(tb, B, ob, lb, K, N, off, 5), off, K), C, oc, lc, acc);
    }

    /**
     * op(B) [K, N] written by hand in the in-place panel layout (panel j / NR, row p, lane j mod NR) from float off of a
     * NaN-filled array with {@code slack} floats after the last panel.
     */
    private static float[] panels(boolean tb, float[] B, int ob, int lb, int K, int N, int off, int slack) {
        int nr = GemmBlocked.NR, count = (N + nr - 1) / nr;
        float[] b = new float[off + count * K * nr + slack];
        java.util.Arrays.fill(b, Float.NaN);
        for (int p = 0; p < K; p++) {
            for (int j = 0; j < N; j++) b[off + j / nr * K * nr + p * nr + j % nr] = tb ? B[ob + j * lb + p] : B[ob + p * lb + j];
        }
        return b;
    }

    @Test
    void bPanelsReadInPlaceEqualNaiveAcrossBlocksAndThreads() {
        Random r = new Random(23);
        GemmBlocked tiny = new GemmBlocked(8, 5, 40);
        for (boolean tb : new boolean[] {false, true}) {
            // tiny blocks: several k blocks, row blocks (all of B "packed" per column block) and column blocks
            for (int[] s : new int[][] {{17, 63, 11}, {65, 7, 17}, {1, 1, 1}, {33, 41, 5}, {4, 49, 2}, {9, 24, 12}}) {
                check(inPlaceB(tiny, 3), problem(r, false, tb, s[0], s[1], s[2], true), "B in place, tiny blocks");
                check(inPlaceB(GemmBlocked.DEFAULT, 0), problem(r, true, tb, s[0], s[1], s[2], true), "B in place");
            }
            Problem p = problem(r, false, tb, 64, 301, 129, true);
            for (int threads : new int[] {1, 2, 3}) {
                Parallel.setThreads(threads);
                check(inPlaceB(tiny, 7), p, "B in place, tiny blocks, threads=" + threads);
                check(inPlaceB(GemmBlocked.DEFAULT, 7), p, "B in place, threads=" + threads);
            }
        }
        // its packer, for other callers, copies whole panels: the same as packing the matrix, for full panels
        int K = 13, N = 2 * GemmBlocked.NR;
        float[] B = random(r, K * N), want = new float[K * N], got = new float[K * N];
        GemmBlocked.matrix(false, B, 0, N).pack(4, 6, GemmBlocked.NR, GemmBlocked.NR, want, 0);
        GemmBlocked.inPlace(panels(false, B, 0, N, K, N, 0, 0), 0, K).pack(4, 6, GemmBlocked.NR, GemmBlocked.NR, got, 0);
        assertClose(want, got, 1, "in-place panels copied");
        assertThrows(IllegalArgumentException.class, () -> GemmBlocked.inPlace(new float[GemmBlocked.NR * 3], 1, 3));
        assertThrows(IllegalArgumentException.class, () -> GemmBlocked.inPlace(new float[GemmBlocked.NR], 0, 0));
    }

    @Test
    void multiThreadedEqualsSingleThreadedAndNaive() {
        Random r = new Random(3);
        // Big enough to pass the parallel threshold; one wide (split over N) and one tall (split over M).
        for (int[] s : new int[][] {{63, 300, 129}, {301, 17, 450}, {130, 130, 130}}) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    Problem p = problem(r, ta, tb, s[0], s[1], s[2], true);
                    for (int threads : new int[] {1, 2, 3}) {
                        Parallel.setThreads(threads);
                        check(Gemm::sgemm, p, "threads=" + threads);
                    }
                }
            }
        }
    }

    @Test
    void columnSlabsOfTallProductsEqualOneThreadBitForBit() {
        // Taller than one row block and wider than tall: the threads split the columns, each packing A for itself.
        Random r = new Random(23);
        GemmBlocked small = new GemmBlocked(12, 7, 48);
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                for (int[] s : new int[][] {{40, 700, 90}, {13, 1000, 170}, {100, 2000, 30}}) {
                    Problem p = problem(r, ta, tb, s[0], s[1], s[2], true);
                    float[] one = null;
                    for (int threads : new int[] {1, 2, 3}) {
                        Parallel.setThreads(threads);
                        check((a, b, M, N, K, A, oa, la, B, ob, lb, C, oc, lc, acc) ->
                                small.sgemm(a, b, M, N, K, A, oa, la, B, ob, lb, C, oc, lc, acc),
                                p, "shared packed A, threads=" + threads);
                        float[] c = p.C0().clone();
                        small.sgemm(ta, tb, s[0], s[1], s[2], p.A(), p.offA(), p.lda(), p.B(), p.offB(), p.ldb(), c, p.offC(), p.ldc(), true);
                        if (one == null) one = c;
                        else assertArrayEquals(one, c, "threads=" + threads + " differs from one thread");
                    }
                }
            }
        }
    }

    /** The k blocks a product of depth K runs, in order. */
    private static java.util.List<Integer> kBlocks(GemmBlocked g, int K) {
        java.util.List<Integer> blocks = new java.util.ArrayList<>();
        for (int pc = 0; pc < K; pc += blocks.get(blocks.size() - 1)) blocks.add(g.kBlock(K, pc));
        return blocks;
    }

    @Test
    void aProductUpToAQuarterDeeperThanKcIsOneKBlock() {
        // The ResNet depths with KC = 1024: layer2's 3x3 (1152) is one block; layer3's (2304) and layer4's (4608) keep
        // KC-deep blocks and their rests.
        GemmBlocked d = GemmBlocked.DEFAULT;
        assertEquals(java.util.List.of(147), kBlocks(d, 147));
        assertEquals(java.util.List.of(1152), kBlocks(d, 1152));
        assertEquals(java.util.List.of(1280), kBlocks(d, 1280));
        assertEquals(java.util.List.of(1024, 257), kBlocks(d, 1281));
        assertEquals(java.util.List.of(1024, 1024, 256), kBlocks(d, 2304));
        assertEquals(java.util.List.of(1024, 1024, 1024, 1024, 512), kBlocks(d, 4608));
        GemmBlocked tiny = new GemmBlocked(8, 8, 40);
        assertEquals(java.util.List.of(10), kBlocks(tiny, 10));
        assertEquals(java.util.List.of(8, 3), kBlocks(tiny, 11));
        assertEquals(java.util.List.of(8, 8, 8, 2), kBlocks(tiny, 26));
        // With AVX-512's 6 x 4 tile the bounds change no bit: it starts each block's chain from C, so every element
        // of C is one FMA chain over all of K whatever the blocks (one block of 64 here), with A read in place or
        // packed, B stored or transposed, on one thread or three. AVX2's 3 x 3 tile adds each block's chain to C, so
        // there the blocks round differently and only the threads and the pre-packed A must agree with one thread.
        GemmBlocked deep = new GemmBlocked(8, 64, 40), reference = GemmBlocked.MR == 6 ? deep : tiny;
        Random r = new Random(37);
        for (int K : new int[] {9, 10, 26}) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    Problem p = problem(r, ta, tb, 40, 6000, K, true);     // past the parallel threshold: threads split N
                    check((a, b, M, N, k, A, oa, la, B, ob, lb, C, oc, lc, acc) ->
                            tiny.sgemm(a, b, M, N, k, A, oa, la, B, ob, lb, C, oc, lc, acc, 1), p, "joined k blocks");
                    check(prePacked(tiny), p, "joined k blocks, pre-packed A");
                    for (boolean acc : new boolean[] {false, true}) {
                        float[] one = p.C0().clone();
                        reference.sgemm(ta, tb, p.M(), p.N(), K, p.A(), p.offA(), p.lda(), p.B(), p.offB(), p.ldb(), one, p.offC(), p.ldc(), acc, 1);
                        for (int threads : new int[] {1, 3}) {
                            Parallel.setThreads(threads);
                            float[] c = p.C0().clone();
                            tiny.sgemm(ta, tb, p.M(), p.N(), K, p.A(), p.offA(), p.lda(), p.B(), p.offB(), p.ldb(), c, p.offC(), p.ldc(), acc, threads);
                            assertArrayEquals(one, c, "K=" + K + " ta=" + ta + " tb=" + tb + " acc=" + acc + " threads=" + threads);
                            c = p.C0().clone();
                            tiny.sgemm(tiny.pack(ta, p.M(), K, p.A(), p.offA(), p.lda()), p.N(),
                                    GemmBlocked.matrix(tb, p.B(), p.offB(), p.ldb()), c, p.offC(), p.ldc(), acc);
                            assertArrayEquals(one, c, "pre-packed A, K=" + K + " ta=" + ta + " tb=" + tb + " acc=" + acc + " threads=" + threads);
                        }
                    }
                }
            }
        }
    }

    @Test
    void aColumnsBitsDoNotDependOnTheTileThatComputesIt() {
        // A conv's GEMM lays its images side by side, so where an image's pixels fall among the NR-column panels depends
        // on the batch. A column must come out the same from a full tile and from an edge tile, or an image's output
        // would depend on its batch-mates. Small k blocks make K span several: an edge tile that added C after its
        // own chain, while a full tile starts its chain from C, differed in the last bits. M = 27 also sends the narrow
        // last panel through its twelve-row kernel (pairs of full row tiles), in row blocks of 12 and 30.
        Random r = new Random(31);
        for (int M : new int[] {9, 27}) {
            for (int mc : new int[] {12, 30}) columnsKeepTheirBits(r, new GemmBlocked(mc, 16, 2 * GemmBlocked.NR), M);
        }
    }

    @Test
    void aRowsBitsDoNotDependOnTheTileThatComputesIt() {
        // Blocks of 6k + 2 rows (128, 512) end in two four-row tiles instead of a six-row and a two-row one. A row
        // must come out the same whichever tile computes it: the rows of an M-row product and the same rows inside a
        // taller product (other tiles) agree bit for bit, and both equal the naive product. A read in place and
        // packed, B stored and transposed, panels full and narrow, one and several k blocks and row blocks.
        Random r = new Random(41);
        for (GemmBlocked g : new GemmBlocked[] {GemmBlocked.DEFAULT, new GemmBlocked(30, 16, 2 * GemmBlocked.NR)}) {
            for (int M : new int[] {8, 14, 20, 26, 38, 128}) {
                for (int N : new int[] {GemmBlocked.NR + 7, 2 * GemmBlocked.V - 3}) {
                    for (boolean ta : new boolean[] {false, true}) {
                        for (boolean tb : new boolean[] {false, true}) {
                            Problem p = problem(r, ta, tb, M, N, 53, false);
                            check((a, b, m, n, k, A, oa, la, B, ob, lb, C, oc, lc, acc) ->
                                    g.sgemm(a, b, m, n, k, A, oa, la, B, ob, lb, C, oc, lc, acc, 1), p, "rows in 4 + 4 tiles");
                            check(prePacked(g), p, "rows in 4 + 4 tiles, pre-packed A");
                            for (int extra : new int[] {1, 2, 4, 6}) rowsKeepTheirBits(r, g, p, M + extra);
                        }
                    }
                }
            }
        }
    }

    /** p's product, and the same rows of A inside a taller product of mTall rows, agree bit for bit. */
    private static void rowsKeepTheirBits(Random r, GemmBlocked g, Problem p, int mTall) {
        int M = p.M(), N = p.N(), K = p.K();
        // op(A) of mTall rows whose first M rows are p's: stored [M, K] (or [K, M] with ta), dense
        float[] tall = random(r, mTall * K);
        for (int i = 0; i < M; i++) {
            for (int k = 0; k < K; k++) {
                float v = p.ta() ? p.A()[p.offA() + k * p.lda() + i] : p.A()[p.offA() + i * p.lda() + k];
                if (p.ta()) tall[k * mTall + i] = v;
                else tall[i * K + k] = v;
            }
        }
        int ldaTall = p.ta() ? mTall : K;
        for (boolean accumulate : new boolean[] {false, true}) {
            float[] c = p.C0().clone(), cTall = random(r, mTall * N);
            for (int i = 0; i < M; i++) System.arraycopy(c, p.offC() + i * p.ldc(), cTall, i * N, N);
            g.sgemm(p.ta(), p.tb(), M, N, K, p.A(), p.offA(), p.lda(), p.B(), p.offB(), p.ldb(), c, p.offC(), p.ldc(), accumulate, 1);
            g.sgemm(p.ta(), p.tb(), mTall, N, K, tall, 0, ldaTall, p.B(), p.offB(), p.ldb(), cTall, 0, N, accumulate, 1);
            for (int i = 0; i < M; i++) {
                assertArrayEquals(java.util.Arrays.copyOfRange(c, p.offC() + i * p.ldc(), p.offC() + i * p.ldc() + N),
                        java.util.Arrays.copyOfRange(cTall, i * N, (i + 1) * N),
                        "M=" + M + " inside " + mTall + " rows, row " + i + ", N=" + N + " ta=" + p.ta() + " tb=" + p.tb()
                                + ", accumulate=" + accumulate);
            }
        }
    }

    /** An M x (NR + 7) product, and the same with its columns moved right by a few places, agree bit for bit. */
    private static void columnsKeepTheirBits(Random r, GemmBlocked g, int M) {
        int K = 53, N = GemmBlocked.NR + 7;
        for (boolean accumulate : new boolean[] {false, true}) {
            for (int shift : new int[] {1, 5, GemmBlocked.NR - 3, GemmBlocked.NR + 2}) {
                int N2 = N + shift;
                float[] A = random(r, M * K), B = random(r, K * N), C = random(r, M * N);
                float[] B2 = random(r, K * N2), C2 = random(r, M * N2);
                for (int p = 0; p < K; p++) System.arraycopy(B, p * N, B2, p * N2 + shift, N);
                for (int i = 0; i < M; i++) System.arraycopy(C, i * N, C2, i * N2 + shift, N);
                g.sgemm(false, false, M, N, K, A, 0, K, B, 0, N, C, 0, N, accumulate, 1);
                g.sgemm(false, false, M, N2, K, A, 0, K, B2, 0, N2, C2, 0, N2, accumulate, 1);
                for (int i = 0; i < M; i++) {
                    assertArrayEquals(java.util.Arrays.copyOfRange(C, i * N, (i + 1) * N),
                            java.util.Arrays.copyOfRange(C2, i * N2 + shift, i * N2 + shift + N),
                            "M=" + M + ", row " + i + ", columns moved by " + shift + ", accumulate=" + accumulate);
                }
            }
        }
    }

    @Test
    void simpleVectorStepMatchesNaive() {
        Random r = new Random(9);
        for (boolean ta : new boolean[] {false, true}) {
            for (int t = 0; t < 20; t++) {
                Problem p = problem(r, ta, false, SIZES[r.nextInt(SIZES.length)], SIZES[r.nextInt(SIZES.length)],
                        SIZES[r.nextInt(SIZES.length)], t % 2 == 0);
                check((a, b, M, N, K, A, oa, la, B, ob, lb, C, oc, lc, acc) ->
                        GemmVectorSimple.sgemm(a, M, N, K, A, oa, la, B, ob, lb, C, oc, lc, acc), p, "simple");
            }
        }
    }

    @Test
    void denseConvenienceFormAndZeroK() {
        Random r = new Random(5);
        float[] A = random(r, 17 * 9), B = random(r, 9 * 65), C = new float[17 * 65], want = new float[17 * 65];
        Gemm.sgemm(17, 65, 9, A, B, C);
        GemmNaive.sgemm(false, false, 17, 65, 9, A, 0, 9, B, 0, 65, want, 0, 65, false);
        assertClose(want, C, 9, "dense");
        float[] c = {1, 2, 3, 4};
        Gemm.sgemm(false, false, 2, 2, 0, new float[0], 0, 0, new float[0], 0, 2, c, 0, 2, true);
        assertEquals(3f, c[2]);
        Gemm.sgemm(false, false, 2, 2, 0, new float[0], 0, 0, new float[0], 0, 2, c, 0, 2, false);
        assertEquals(0f, c[2]);
    }

    @Test
    void rejectsBadArguments() {
        float[] a = new float[6], b = new float[6], c = new float[4];
        assertThrows(IllegalArgumentException.class, () -> Gemm.sgemm(2, 2, 4, a, b, c));
        assertThrows(IllegalArgumentException.class, () -> Gemm.sgemm(-1, 2, 3, a, b, c));
        assertThrows(IllegalArgumentException.class, () -> Gemm.sgemm(2, 2, 3, a, b, a));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 2, 2, 3, a, 1, 3, b, 0, 2, c, 0, 2, false));
        assertTrue(e.getMessage().contains("GEMM A"), e.getMessage());
    }
}
