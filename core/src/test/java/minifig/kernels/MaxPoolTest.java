package minifig.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The vectorised max pooling == the reference window loop: values, argmax (ties, NaN, -infinity), all shapes. */
class MaxPoolTest extends KernelTestBase {
    /** Values from a small set, so windows are full of ties (as after a ReLU), plus NaN and -infinity sprinkled in. */
    private static float[] input(Random r, int n, boolean specials) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextInt(4) - 1;
            if (specials && r.nextInt(40) == 0) x[i] = Float.NaN;
            if (specials && r.nextInt(10) == 0) x[i] = Float.NEGATIVE_INFINITY;
        }
        return x;
    }

    @Test
    void fastEqualsReferenceOverShapesTiesAndSpecials() {
        Random r = new Random(21);
        int cases = 0;
        for (int k = 1; k <= 4; k++) {
            for (int stride = 1; stride <= 3; stride++) {
                for (int pad = 0; pad <= k / 2; pad++) {
                    for (int[] hw : new int[][] {{1, 1}, {5, 5}, {7, 12}, {12, 7}, {17, 33}, {2, 9}}) {
                        int H = hw[0], W = hw[1];
                        int OH = Im2col.outSize(H, k, stride, pad), OW = Im2col.outSize(W, k, stride, pad);
                        if (OH <= 0 || OW <= 0) continue;
                        for (boolean specials : new boolean[] {false, true}) {
                            int planes = 3;
                            float[] x = input(r, planes * H * W, specials);
                            // An all -infinity plane: every window's max is -infinity, argmax its first real position.
                            if (specials) java.util.Arrays.fill(x, 0, H * W, Float.NEGATIVE_INFINITY);
                            float[] want = new float[planes * OH * OW], got = new float[want.length];
                            byte[] wantArg = new byte[want.length], gotArg = new byte[want.length];
                            MaxPoolNaive.forward(x, planes, H, W, k, stride, pad, want, wantArg);
                            MaxPool.forward(x, planes, H, W, k, stride, pad, got, gotArg);
                            String what = "k=" + k + " stride=" + stride + " pad=" + pad + " " + H + "x" + W + " specials=" + specials;
                            assertArrayEquals(want, got, what);
                            assertArrayEquals(wantArg, gotArg, what + " argmax");
                            float[] noArg = new float[want.length];
                            MaxPool.forward(x, planes, H, W, k, stride, pad, noArg, null);
                            assertArrayEquals(want, noArg, what + " without argmax");
                            cases++;
                        }
                    }
                }
            }
        }
        assertEquals(true, cases > 100, "cases run: " + cases);
    }

    /** The ResNet stem shape, big enough to split over threads. */
    @Test
    void stemShapeOnTwoThreads() {
        Parallel.setThreads(2);
        Random r = new Random(2);
        int planes = 16, H = 112, W = 112, OH = 56;
        float[] x = input(r, planes * H * W, true);
        float[] want = new float[planes * OH * OH], got = new float[want.length];
        byte[] wantArg = new byte[want.length], gotArg = new byte[want.length];
        MaxPoolNaive.forward(x, planes, H, W, 3, 2, 1, want, wantArg);
        MaxPool.forward(x, planes, H, W, 3, 2, 1, got, gotArg);
        assertArrayEquals(want, got);
        assertArrayEquals(wantArg, gotArg);
        float[] noArg = new float[want.length];      // inference's loop (no argmax), split over the threads too
        MaxPool.forward(x, planes, H, W, 3, 2, 1, noArg, null);
        assertArrayEquals(want, noArg);
    }
}
