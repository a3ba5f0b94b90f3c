package minifig.nn;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Random;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.Test;

class LinearTest {

    @Test
    void gradientsMatchFiniteDifferences() {
        Random rng = new Random(1);
        Linear fc = new Linear(7, 5, true, rng);
        GradCheck.checkLayer(fc, GradCheck.randn(rng, 3, 7), List.of(fc.weight, fc.bias), 2, 40);
        Linear noBias = new Linear(4, 3, false, rng);
        GradCheck.checkLayer(noBias, GradCheck.randn(rng, 2, 4), List.of(noBias.weight), 2, 40);
    }

    @Test
    void forwardIsXTimesWTransposedPlusB() {
        Linear fc = new Linear(2, 3, true, new Random(0));
        System.arraycopy(new float[] {1, 2, 3, 4, 5, 6}, 0, fc.weight.value.data, 0, 6);   // W [3, 2]
        System.arraycopy(new float[] {0.5f, -1, 2}, 0, fc.bias.value.data, 0, 3);
        Tensor y = fc.forward(new Tensor(new float[] {1, -1, 2, 0}, 2, 2), false);
        assertArrayEquals(new float[] {-0.5f, -2, 1, 2.5f, 5, 12}, y.data);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> fc.forward(new Tensor(2, 3), false));
        assertEquals("Linear input: expected shape [N, 2], got [2, 3]", e.getMessage());
    }

    @Test
    void defaultInitBound() {
        Linear fc = new Linear(64, 10, true, new Random(9));
        double bound = 1 / 8.0;
        for (float v : fc.weight.value.data) assertTrue(Math.abs(v) <= bound);
        for (float v : fc.bias.value.data) assertTrue(Math.abs(v) <= bound);
        assertEquals(List.of("weight", "bias"), List.copyOf(StateDict.of(fc).params().keySet()));
    }
}
