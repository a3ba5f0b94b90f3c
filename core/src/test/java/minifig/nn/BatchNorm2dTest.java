package minifig.nn;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Random;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.Test;

class BatchNorm2dTest {
    /** BN is smooth and every output moves with every input, so a larger step beats the float32 noise. */
    private static final double SMOOTH_H = 0.05;

    private static BatchNorm2d randomAffine(int c, Random rng) {
        BatchNorm2d bn = new BatchNorm2d(c);
        bn.weight.value.uniform(rng, 1.5);
        bn.bias.value.uniform(rng, 1.0);
        return bn;
    }

    @Test
    void trainingGradientsMatchFiniteDifferences() {
        Random rng = new Random(1);
        BatchNorm2d bn = randomAffine(3, rng);
        Tensor x = GradCheck.randn(rng, 3, 3, 4, 5);
        for (int i = 0; i < x.size(); i++) x.data[i] = x.data[i] * 2 + 1;   // non-zero mean, non-unit variance
        GradCheck.checkLayer(bn, x, List.of(bn.weight, bn.bias), 3, 60, SMOOTH_H, GradCheck.TOL, 0);
    }

    @Test
    void trainingGradientsWithOneValuePerImage() {
        // 1x1 maps: the statistics come from the batch dimension alone (M = 3; with M = 2 the normalised
        // output is always +-1 and the input gradient vanishes, which would test nothing).
        Random rng = new Random(2);
        BatchNorm2d bn = randomAffine(4, rng);
        GradCheck.checkLayer(bn, GradCheck.randn(rng, 3, 4, 1, 1), List.of(bn.weight, bn.bias), 3, 60, SMOOTH_H,
                GradCheck.TOL, 0);
    }

    @Test
    void frozenStatsGradientsMatchFiniteDifferencesAndKeepStats() {
        Random rng = new Random(3);
        BatchNorm2d bn = randomAffine(3, rng);
        bn.runningMean.uniform(rng, 0.5);
        for (int c = 0; c < 3; c++) bn.runningVar.data[c] = 0.5f + c;
        float[] mean = bn.runningMean.data.clone(), var = bn.runningVar.data.clone();
        bn.freezeStats(true);
        Tensor x = GradCheck.randn(rng, 2, 3, 3, 3);
        GradCheck.checkLayer(bn, x, List.of(bn.weight, bn.bias), 4, 54);
        assertArrayEquals(mean, bn.runningMean.data);
        assertArrayEquals(var, bn.runningVar.data);
        assertEquals(0f, bn.numBatchesTracked.data[0]);
        // And training-mode output with frozen stats equals eval output.
        assertArrayEquals(bn.forward(x, false).data, bn.forward(x, true).data);
    }

    @Test
    void trainingNormalisesAndUpdatesRunningStatsWithUnbiasedVariance() {
        // Channel 0 holds {1, 2, 3, 6} over N=2, H=1, W=2: mean 3, biased var 3.5, unbiased var 14/3.
        BatchNorm2d bn = new BatchNorm2d(1);
        Tensor x = new Tensor(new float[] {1, 2, 3, 6}, 2, 1, 1, 2);
        Tensor y = bn.forward(x, true);
        double s = Math.sqrt(3.5 + 1e-5);
        assertEquals((1 - 3) / s, y.data[0], 1e-6);
        assertEquals((6 - 3) / s, y.data[3], 1e-6);
        assertEquals(0.1 * 3, bn.runningMean.data[0], 1e-6);
        assertEquals(0.9 * 1 + 0.1 * 14.0 / 3, bn.runningVar.data[0], 1e-6);
        assertEquals(1f, bn.numBatchesTracked.data[0]);
        bn.forward(x, true);
        assertEquals(0.9 * 0.3 + 0.1 * 3, bn.runningMean.data[0], 1e-6);
        assertEquals(2f, bn.numBatchesTracked.data[0]);
        // Eval uses the running statistics and changes nothing.
        Tensor e = bn.forward(x, false);
        double rm = bn.runningMean.data[0], rv = bn.runningVar.data[0];
        assertEquals((2 - rm) / Math.sqrt(rv + 1e-5), e.data[1], 1e-6);
        assertEquals(2f, bn.numBatchesTracked.data[0]);
    }

    @Test
    void stateDictNamesAndFlagsAreTorchLike() {
        BatchNorm2d bn = new BatchNorm2d(5);
        StateDict sd = StateDict.of(bn);
        assertEquals(List.of("weight", "bias"), List.copyOf(sd.params().keySet()));
        assertEquals(List.of("running_mean", "running_var", "num_batches_tracked"), List.copyOf(sd.buffers().keySet()));
        assertEquals(0, bn.numBatchesTracked.rank(), "num_batches_tracked is a scalar");
        assertFalse(bn.weight.decay);
        assertFalse(bn.bias.decay);
    }

    @Test
    void singleValuePerChannelInTrainingIsAnError() {
        BatchNorm2d bn = new BatchNorm2d(2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bn.forward(new Tensor(1, 2, 1, 1), true));
        assertTrue(e.getMessage().contains("more than 1 value per channel"), e.getMessage());
        bn.forward(new Tensor(1, 2, 1, 1), false);   // fine in eval
    }
}
