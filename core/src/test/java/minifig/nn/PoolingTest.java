package minifig.nn;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Random;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PoolingTest {

    @ParameterizedTest(name = "max k={0} s={1} p={2} {3}x{4}")
    // the last: the largest window whose argmax fits a byte (positions 0-120)
    @CsvSource({"2, 2, 0, 6, 6", "3, 2, 1, 7, 6", "3, 1, 1, 5, 5", "2, 2, 1, 5, 7", "3, 3, 0, 8, 7", "11, 3, 5, 13, 12"})
    void maxPoolGradients(int k, int s, int p, int h, int w) {
        Random rng = new Random(k * 10 + s + p);
        // Distinct values 0.05 apart: a perturbation of h = 0.01 never changes which input wins a window.
        Tensor x = GradCheck.distinct(rng, 0.05, 2, 2, h, w);
        GradCheck.checkLayer(new MaxPool2d(k, s, p), x, List.of(), 1, 80);
    }

    @Test
    void maxPoolValuesWithPaddingAndTies() {
        // 1x1x3x3, k=2, s=2, p=1: windows clipped to the image; padding (-inf) never wins.
        Tensor x = new Tensor(new float[] {-5, -1, -2, -3, -4, -6, -7, -8, -9}, 1, 1, 3, 3);
        MaxPool2d pool = new MaxPool2d(2, 2, 1);
        Tensor y = pool.forward(x, true);
        assertArrayEquals(new int[] {1, 1, 2, 2}, y.shape);
        assertArrayEquals(new float[] {-5, -1, -3, -4}, y.data);
        // A tie sends the gradient to the first maximum only.
        Tensor t = new Tensor(new float[] {1, 1, 1, 1}, 1, 1, 2, 2);
        MaxPool2d p2 = new MaxPool2d(2);
        p2.forward(t, true);
        assertArrayEquals(new float[] {1, 0, 0, 0}, p2.backward(new Tensor(new float[] {1}, 1, 1, 1, 1)).data);
    }

    @Test
    void maxPoolRejectsAWindowTooLargeForItsByteArgmax() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MaxPool2d(12));
        assertTrue(e.getMessage().contains("at most 11") && e.getMessage().contains("got 12"), e.getMessage());
    }

    @Test
    void maxPoolBackwardSplitOverThreadsScattersEveryGradientOnce() {
        // Big enough to split (>= Elementwise.PARALLEL_MIN outputs), with 3 x 7 planes that do not divide evenly
        // between the threads: each output gradient must land on its argmax exactly once at any thread count.
        int saved = minifig.kernels.Parallel.threads();
        try {
            Random rng = new Random(3);
            Tensor x = GradCheck.randn(rng, 3, 7, 125, 123);
            Tensor[] dx = new Tensor[3];
            for (int t = 1; t <= 3; t++) {
                minifig.kernels.Parallel.setThreads(t);
                MaxPool2d pool = new MaxPool2d(3, 2, 1);
                Tensor y = pool.forward(x, true);
                assertTrue(y.size() >= minifig.kernels.Elementwise.PARALLEL_MIN, "the backward must take the split path");
                Tensor dy = GradCheck.randn(new Random(4), y.shape);
                dx[t - 1] = pool.backward(dy);
                // every output's gradient lands on one input: nothing lost, nothing added twice
                double outSum = 0, inSum = 0;
                for (float v : dy.data) outSum += v;
                for (float v : dx[t - 1].data) inSum += v;
                assertEquals(outSum, inSum, 1e-2, "threads " + t + ": gradient lost or duplicated");
            }
            assertArrayEquals(dx[0].data, dx[1].data, 0f, "2 threads");
            assertArrayEquals(dx[0].data, dx[2].data, 0f, "3 threads");
        } finally {
            minifig.kernels.Parallel.setThreads(saved);
        }
    }

    @ParameterizedTest(name = "avg k={0} s={1} p={2} {3}x{4}")
    @CsvSource({"2, 2, 0, 6, 6", "3, 2, 1, 7, 6", "7, 7, 0, 7, 7", "3, 1, 1, 4, 5", "2, 1, 0, 3, 3"})
    void avgPoolGradients(int k, int s, int p, int h, int w) {
        Random rng = new Random(k * 10 + s + p);
        GradCheck.checkLayer(new AvgPool2d(k, s, p), GradCheck.randn(rng, 2, 3, h, w), List.of(), 1, 80);
    }

    @Test
    void avgPoolCountsPaddingLikePyTorch() {
        // count_include_pad=True: the corner window of a 2x2 image with k=2, s=2, p=1 sees one pixel, divided by 4.
        Tensor x = new Tensor(new float[] {4, 8, 12, 16}, 1, 1, 2, 2);
        Tensor y = new AvgPool2d(2, 2, 1).forward(x, false);
        assertArrayEquals(new float[] {1, 2, 3, 4}, y.data);
        assertArrayEquals(new float[] {10}, new AvgPool2d(2).forward(x, false).data);
    }

    @Test
    void globalAvgPoolGradientsAndShape() {
        Random rng = new Random(5);
        Tensor x = GradCheck.randn(rng, 2, 3, 4, 5);
        GlobalAvgPool2d gap = new GlobalAvgPool2d();
        Tensor y = gap.forward(x, false);
        assertArrayEquals(new int[] {2, 3, 1, 1}, y.shape);
        // Equal to AvgPool2d with the whole map as its window (the custom net's AvgPool2d(7) at 7x7).
        Tensor x7 = GradCheck.randn(rng, 2, 3, 7, 7);
        Tensor a = new AvgPool2d(7).forward(x7, false), g = gap.forward(x7, false);
        for (int i = 0; i < a.size(); i++) assertEquals(a.data[i], g.data[i], 1e-6);
        GradCheck.checkLayer(gap, x, List.of(), 2, 120);
    }
}
