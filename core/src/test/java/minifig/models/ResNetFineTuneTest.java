package minifig.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import minifig.nn.BatchNorm2d;
import minifig.nn.SoftmaxCrossEntropy;
import minifig.optim.SGD;
import minifig.tensor.Param;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Transfer-learning hooks: split forward, freezing by stage, frozen BN statistics, head swap, parameter groups. */
class ResNetFineTuneTest {
    static final int[] TARGETS = {1, 4, 0};

    /** A narrow resnet18 (same structure and names, width 4) on 3x3x32x32 input: milliseconds per step. */
    static ResNet small(ResNetConfig cfg) { return new ResNet(cfg.withWidth(4), 5, 3, 11L); }

    static Tensor input() { return new Tensor(3, 3, 32, 32).randn(new Random(5), 1.0); }

    /** One SGD step on cross-entropy; returns the loss. */
    static float step(ResNet m, SGD sgd, Tensor x) {
        m.zeroGrad();
        SoftmaxCrossEntropy ce = new SoftmaxCrossEntropy();
        float loss = ce.forward(m.forward(x, true), TARGETS);
        m.backward(ce.backward());
        sgd.step();
        return loss;
    }

    static Map<String, float[]> snapshot(ResNet m) {
        Map<String, float[]> s = new HashMap<>();
        m.stateDict().tensors().forEach((k, t) -> s.put(k, t.data.clone()));
        return s;
    }

    @Test
    void forwardToThenForwardFromEqualsForwardAtEverySplit() {
        for (ResNetConfig cfg : List.of(ResNetConfig.RESNET18, ResNetConfig.RESNET50_KERAS)) {
            ResNet m = small(cfg);
            Tensor x = input();
            float[] full = m.forward(x, false).data;
            for (String s : ResNet.STAGES.subList(0, ResNet.STAGES.size() - 1)) {
                Tensor h = m.forwardTo(x, s, false);
                assertArrayEquals(full, m.forwardFrom(h, ResNet.stageAfter(s), false).data, cfg.name() + " split after " + s);
            }
            assertArrayEquals(new int[] {3, cfg.withWidth(4).featureDim()}, m.forwardTo(x, "pool", false).shape);
            assertArrayEquals(new int[] {3, 8 * 4 * cfg.expansion(), 1, 1}, m.forwardTo(x, "layer4", false).shape);
            assertArrayEquals(full, m.forwardFrom(x, "stem", false).data);
            assertArrayEquals(full, m.forwardTo(x, "fc", false).data);
        }
    }

    /** A training forward split in two and one backward give the same gradients as one forward and backward. */
    @Test
    void splitTrainingForwardBackpropagatesLikeTheWholeNetwork() {
        ResNet a = small(ResNetConfig.RESNET18), b = small(ResNetConfig.RESNET18);
        Tensor x = input();
        SoftmaxCrossEntropy ce = new SoftmaxCrossEntropy();
        ce.forward(a.forward(x, true), TARGETS);
        Tensor dxA = a.backward(ce.backward());
        ce.forward(b.forwardFrom(b.forwardTo(x, "layer2", true), "layer3", true), TARGETS);
        Tensor dxB = b.backward(ce.backward());
        assertArrayEquals(dxA.data, dxB.data, "input gradient");
        List<Param> pa = a.params(), pb = b.params();
        for (int i = 0; i < pa.size(); i++) assertArrayEquals(pa.get(i).grad.data, pb.get(i).grad.data);
        assertTrue(pa.get(0).grad.data[0] != 0f, "the stem got a gradient");

        // On other features (a cache) the training forwardFrom starts anew: backward stops at its input.
        ResNet c = small(ResNetConfig.RESNET18);
        Tensor h = c.forwardTo(x, "layer2", true);
        ce.forward(c.forwardFrom(h.copy(), "layer3", true), TARGETS);
        c.zeroGrad();
        assertArrayEquals(h.shape, c.backward(ce.backward()).shape, "gradient w.r.t. the cached features");
        assertFalse(nonZero(c.conv1.weight.grad), "the stem is not part of that backward");
    }

    @Test
    void frozenStagesKeepTheirWeightsAndStatisticsThroughSgdSteps() {
        ResNet m = small(ResNetConfig.RESNET18);
        m.freezeThrough("layer3");
        assertEquals("layer3", m.lastFrozenStage());
        for (String s : List.of("stem", "layer1", "layer2", "layer3")) assertTrue(m.isFrozen(s), s);
        assertFalse(m.isFrozen("layer4"));
        assertFalse(m.isFrozen("fc"));
        for (BatchNorm2d bn : m.batchNorms("layer2")) assertTrue(bn.statsFrozen());
        for (BatchNorm2d bn : m.batchNorms("layer4")) assertFalse(bn.statsFrozen());

        Map<String, float[]> before = snapshot(m);
        SGD sgd = m.sgd(0.1, 10, 0.9, 1e-4, false);
        Tensor x = input();
        step(m, sgd, x);
        step(m, sgd, x);
        Map<String, float[]> after = snapshot(m);
        int frozen = 0, changed = 0;
        for (String k : before.keySet()) {
            boolean frozenStage = !k.startsWith("layer4") && !k.startsWith("fc");
            boolean same = java.util.Arrays.equals(before.get(k), after.get(k));
            if (frozenStage) {
                assertTrue(same, k + " changed although its stage is frozen");
                frozen++;
            } else if (!same) {
                changed++;
            }
        }
        assertTrue(frozen > 50, "checked " + frozen + " frozen tensors");
        // layer4 and fc: every parameter and running statistic moved; num_batches_tracked went 0 -> 2.
        assertEquals(before.keySet().stream().filter(k -> k.startsWith("layer4") || k.startsWith("fc")).count(), changed);
        assertEquals(2f, after.get("layer4.1.bn2.num_batches_tracked")[0]);
        assertEquals(0f, after.get("layer3.1.bn2.num_batches_tracked")[0]);

        m.unfreezeAll();
        assertNull(m.lastFrozenStage());
        step(m, sgd, x);
        assertFalse(java.util.Arrays.equals(after.get("conv1.weight"), m.conv1.weight.value.data), "unfrozen stem trains");
    }

    /** With its statistics frozen, a stage computes in a training forward exactly what it computes in eval mode. */
    @Test
    void frozenBatchNormStatisticsBehaveAsEvalMode() {
        ResNet m = small(ResNetConfig.RESNET50_KERAS);
        Tensor x = input();
        m.forward(x, true);                             // move the running statistics away from 0 / 1 first
        m.freezeAllBatchNormStats(true);
        Map<String, float[]> before = snapshot(m);
        assertArrayEquals(m.forward(x, false).data, m.forward(x, true).data);
        Map<String, float[]> after = snapshot(m);
        for (String k : before.keySet()) assertArrayEquals(before.get(k), after.get(k), k);
        for (Param p : m.params()) assertFalse(p.frozen, "statistics only: parameters stay trainable");
        m.freezeAllBatchNormStats(false);
        assertNotEquals(m.forward(x, false).data[0], m.forward(x, true).data[0], "batch statistics again");
    }

    /** backward on a, backwardParams on b (same input, same loss): every parameter gradient is identical. */
    private static void assertSameGradients(ResNet a, ResNet b, String what) {
        Tensor x = input();
        SoftmaxCrossEntropy ce = new SoftmaxCrossEntropy();
        ce.forward(a.forward(x, true), TARGETS);
        assertEquals(x.shape.length, a.backward(ce.backward()).shape.length, "backward returns dX");
        ce.forward(b.forward(x, true), TARGETS);
        b.backwardParams(ce.backward());
        List<Param> pa = a.params(), pb = b.params();
        for (int i = 0; i < pa.size(); i++) assertArrayEquals(pa.get(i).grad.data, pb.get(i).grad.data, what + " param " + i);
    }

    /** backwardParams skips the frozen prefix but leaves the trainable gradients exactly as backward does. */
    @Test
    void backwardParamsMatchesBackwardOnTrainableParameters() {
        ResNet a = small(ResNetConfig.RESNET18), b = small(ResNetConfig.RESNET18);
        a.freezeThrough("layer3");
        b.freezeThrough("layer3");
        assertSameGradients(a, b, "frozen through layer3");
        for (Param p : b.stageParams("layer4")) assertTrue(nonZero(p.grad), "layer4 gradient");
    }

    /** With everything trainable, backwardParams (no image gradient) adds exactly backward's gradients. */
    @Test
    void backwardParamsSkipsOnlyTheImageGradient() {
        for (ResNetConfig cfg : List.of(ResNetConfig.RESNET18, ResNetConfig.RESNET50_KERAS)) {
            ResNet a = small(cfg), b = small(cfg);
            assertSameGradients(a, b, cfg.name());
            assertTrue(nonZero(b.conv1.weight.grad), "the stem conv still gets its weight gradient");
            assertTrue(b.conv1.needsInputGrad(), "the switch is only off during backwardParams");
        }
    }

    @Test
    void replaceHeadGivesANewSeededTrainableClassifier() {
        ResNet m = small(ResNetConfig.RESNET18), n = small(ResNetConfig.RESNET18);
        m.freezeThrough("fc");
        m.replaceHead(7, 99L);
        n.replaceHead(7, 99L);
        assertEquals(7, m.numClasses());
        assertArrayEquals(new int[] {3, 7}, m.forward(input(), false).shape);
        assertArrayEquals(new int[] {7, m.featureDim()}, m.stateDict().params().get("fc.weight").value.shape);
        assertArrayEquals(new int[] {7}, m.stateDict().params().get("fc.bias").value.shape);
        assertArrayEquals(m.fc().weight.value.data, n.fc().weight.value.data, "same seed, same head");
        assertFalse(m.isFrozen("fc"), "the new head trains");
        assertTrue(m.isFrozen("layer4"), "the backbone stays frozen");
        assertEquals("pool", m.lastFrozenStage());
        float bound = (float) (1 / Math.sqrt(m.featureDim()));
        for (float v : m.fc().weight.value.data) assertTrue(Math.abs(v) <= bound);
        assertThrows(IllegalArgumentException.class, () -> m.replaceHead(0, 1L));
    }

    @Test
    void parameterGroupsSplitHeadFromBackboneWithTheirOwnRates() {
        ResNet m = small(ResNetConfig.RESNET18);
        List<Param> head = m.headParams(), backbone = m.backboneParams();
        assertEquals(List.of(m.fc().weight, m.fc().bias), head);
        List<Param> all = new ArrayList<>(backbone);
        all.addAll(head);
        assertEquals(m.params(), all, "backbone then head covers every parameter once, in state_dict order");
        assertEquals(all.size(), new HashSet<>(all).size());

        SGD sgd = m.sgd(0.01, 10, 0, 0, false);
        assertEquals(List.of("backbone", "head"), sgd.groups().stream().map(g -> g.name).toList());
        assertEquals(10, sgd.groups().get(1).lrScale);
        Param w = m.fc().weight, c = m.conv1.weight;
        float w0 = w.value.data[0], c0 = c.value.data[0];
        m.zeroGrad();
        w.grad.data[0] = 1f;
        c.grad.data[0] = 1f;
        sgd.step();
        assertEquals(w0 - 0.1f, w.value.data[0], 1e-6f, "head at 10x the base rate");
        assertEquals(c0 - 0.01f, c.value.data[0], 1e-6f, "backbone at the base rate");
    }

    @Test
    void stagesAreNamedAndChecked() {
        ResNet m = small(ResNetConfig.RESNET18);
        assertEquals(List.of("stem", "layer1", "layer2", "layer3", "layer4", "pool", "fc"), ResNet.STAGES);
        assertEquals(List.of(m.conv1.weight, m.bn1.weight, m.bn1.bias), m.stageParams("stem"));
        assertEquals(List.of(), m.stageParams("pool"));
        assertSame(m.bn1, m.batchNorms("stem").get(0));
        assertEquals(5, m.batchNorms("layer2").size(), "2 blocks x 2 + the downsample BN");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.setFrozen("layer5", true));
        assertTrue(e.getMessage().contains("layer5") && e.getMessage().contains("layer4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ResNet.stageAfter("fc"));
        assertThrows(IllegalStateException.class, () -> small(ResNetConfig.RESNET18).backward(new Tensor(3, 5)));
    }

    static boolean nonZero(Tensor t) {
        for (float v : t.data) if (v != 0f) return true;
        return false;
    }
}
