package minifig.nn;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Random;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ActivationsTest {

    @Test
    void reluGradientAwayFromZeroAndZeroAtZero() {
        Random rng = new Random(1);
        GradCheck.checkLayer(new ReLU(), GradCheck.awayFromZero(rng, 0.05, 2, 3, 4, 4), List.of(), 2, 96);
        ReLU r = new ReLU();
        Tensor y = r.forward(new Tensor(new float[] {-1, 0, 2}, 3), true);
        assertArrayEquals(new float[] {0, 0, 2}, y.data);
        assertArrayEquals(new float[] {0, 0, 5}, r.backward(new Tensor(new float[] {5, 5, 5}, 3)).data);
    }

    @Test
    void flattenAndIdentity() {
        Random rng = new Random(2);
        Tensor x = GradCheck.randn(rng, 2, 3, 2, 2);
        Flatten f = new Flatten();
        Tensor y = f.forward(x, true);
        assertArrayEquals(new int[] {2, 12}, y.shape);
        assertArrayEquals(x.shape, f.backward(y).shape);
        GradCheck.checkLayer(new Sequential(new Flatten(), new Linear(12, 3, true, rng)), x, List.of(), 3, 48);
        assertSame(x, new Identity().forward(x, true));
        GradCheck.checkLayer(new Identity(), x, List.of(), 3, 24);
    }

    @Test
    void logSoftmaxGradientsAndValues() {
        Random rng = new Random(3);
        Tensor x = GradCheck.randn(rng, 4, 6);
        GradCheck.checkLayer(new LogSoftmax(), x, List.of(), 3, 24);
        // Rows of exp(y) sum to 1, and huge logits stay finite (stable log-sum-exp).
        Tensor big = new Tensor(new float[] {1000, 0, -1000, 999}, 1, 4);
        Tensor y = new LogSoftmax().forward(big, false);
        assertEquals(-Math.log1p(Math.exp(-1)), y.data[0], 1e-6);
        assertEquals(-1 - Math.log1p(Math.exp(-1)), y.data[3], 1e-5);
        double s = 0;
        for (float v : new LogSoftmax().forward(x, false).reshape(24).data) s += Math.exp(v);
        assertEquals(4.0, s, 1e-5);
    }
}
