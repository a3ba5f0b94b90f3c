package minifig.nn;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Random;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.Test;

class LossTest {

    @Test
    void softmaxCrossEntropyGradient() {
        Random rng = new Random(1);
        Tensor logits = GradCheck.randn(rng, 5, 7);
        GradCheck.checkLoss(new SoftmaxCrossEntropy(), logits, new int[] {0, 6, 3, 3, 1}, 2, 35);
    }

    @Test
    void nllLossGradientAndComposedWithLogSoftmax() {
        Random rng = new Random(2);
        int[] t = {2, 0, 1, 3};
        GradCheck.checkLoss(new NLLLoss(), GradCheck.randn(rng, 4, 4), t, 3, 16);

        // log_softmax + NLL: the chain through both, checked end to end ...
        Tensor x = GradCheck.randn(rng, 4, 4);
        LogSoftmax ls = new LogSoftmax();
        NLLLoss nll = new NLLLoss();
        float loss = nll.forward(ls.forward(x, true), t);
        Tensor dx = ls.backward(nll.backward());
        GradCheck.checkTensor("log_softmax+nll", x, dx, () -> nll.forward(ls.forward(x, true), t), 16,
                new Random(4), GradCheck.LOSS_H, GradCheck.TOL, 0);
        // ... and equal to the fused cross-entropy, value and gradient.
        SoftmaxCrossEntropy ce = new SoftmaxCrossEntropy();
        assertEquals(ce.forward(x, t), loss, 1e-6);
        Tensor dce = ce.backward();
        for (int i = 0; i < dx.size(); i++) assertEquals(dce.data[i], dx.data[i], 1e-6);
    }

    @Test
    void knownValues() {
        // Uniform logits over K classes: loss log(K); gradient (1/K - onehot)/N.
        Tensor x = new Tensor(2, 4);
        SoftmaxCrossEntropy ce = new SoftmaxCrossEntropy();
        assertEquals(Math.log(4), ce.forward(x, new int[] {1, 3}), 1e-6);
        Tensor d = ce.backward();
        assertEquals((0.25 - 1) / 2, d.get(0, 1), 1e-7);
        assertEquals(0.25 / 2, d.get(0, 0), 1e-7);
        NLLLoss nll = new NLLLoss();
        assertEquals(-(0.5 - 2) / 2, nll.forward(new Tensor(new float[] {0.5f, 9, 9, -2}, 2, 2), new int[] {0, 1}), 1e-6);
        // Extreme logits keep a finite loss and gradient.
        assertEquals(2000f, ce.forward(new Tensor(new float[] {-1000, 1000}, 1, 2), new int[] {0}), 1e-3);
        for (float v : ce.backward().data) assertTrue(Float.isFinite(v));
    }

    @Test
    void badTargetsAreClearErrors() {
        Tensor x = new Tensor(2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SoftmaxCrossEntropy().forward(x, new int[] {0, 3}));
        assertEquals("SoftmaxCrossEntropy: target 3 of sample 1 is outside [0, 3)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new NLLLoss().forward(x, new int[] {0}));
        assertEquals("NLLLoss: expected 2 targets, got 1", e.getMessage());
        assertThrows(IllegalStateException.class, () -> new NLLLoss().backward());
    }

    @Test
    void lossesAreNotLayersButComposeWithThem() {
        assertFalse(Layer.class.isAssignableFrom(NLLLoss.class));
        assertTrue(Loss.class.isAssignableFrom(SoftmaxCrossEntropy.class));
        assertEquals(List.of(), StateDict.of(new LogSoftmax()).paramList());
    }
}
