package minifig.nn;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import java.util.Random;
import minifig.tensor.Param;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ResidualSequentialTest {

    /** A torchvision BasicBlock with a downsample shortcut, assembled from the generic parts. */
    private static Sequential basicBlock(int in, int out, int stride, Random rng) {
        Sequential main = new Sequential()
                .add("conv1", new Conv2d(in, out, 3, stride, 1, false, rng))
                .add("bn1", new BatchNorm2d(out))
                .add("relu", new ReLU())
                .add("conv2", new Conv2d(out, out, 3, 1, 1, false, rng))
                .add("bn2", new BatchNorm2d(out));
        Sequential down = stride == 1 && in == out ? null : new Sequential(
                new Conv2d(in, out, 1, stride, 0, false, rng), new BatchNorm2d(out));
        return new Sequential().addInline(new Residual(main, down)).add("relu", new ReLU());
    }

    @Test
    void torchvisionNamesComeOutOfNestedBlocks() {
        Random rng = new Random(1);
        Sequential layer1 = new Sequential(basicBlock(2, 4, 2, rng), basicBlock(4, 4, 1, rng));
        Sequential net = new Sequential().add("layer1", layer1);
        StateDict sd = net.stateDict();
        List<String> names = List.copyOf(sd.tensors().keySet());
        assertEquals(List.of(
                "layer1.0.conv1.weight", "layer1.0.bn1.weight", "layer1.0.bn1.bias", "layer1.0.conv2.weight",
                "layer1.0.bn2.weight", "layer1.0.bn2.bias", "layer1.0.downsample.0.weight",
                "layer1.0.downsample.1.weight", "layer1.0.downsample.1.bias",
                "layer1.1.conv1.weight", "layer1.1.bn1.weight", "layer1.1.bn1.bias", "layer1.1.conv2.weight",
                "layer1.1.bn2.weight", "layer1.1.bn2.bias",
                "layer1.0.bn1.running_mean", "layer1.0.bn1.running_var", "layer1.0.bn1.num_batches_tracked",
                "layer1.0.bn2.running_mean", "layer1.0.bn2.running_var", "layer1.0.bn2.num_batches_tracked",
                "layer1.0.downsample.1.running_mean", "layer1.0.downsample.1.running_var",
                "layer1.0.downsample.1.num_batches_tracked",
                "layer1.1.bn1.running_mean", "layer1.1.bn1.running_var", "layer1.1.bn1.num_batches_tracked",
                "layer1.1.bn2.running_mean", "layer1.1.bn2.running_var", "layer1.1.bn2.num_batches_tracked"),
                names);
        assertSame(((Sequential) layer1.get("1")).get("relu").getClass(), ReLU.class);
    }

    @Test
    void residualGradientSumsBothBranches() {
        Random rng = new Random(2);
        // Identity shortcut: dx = dmain + dy.
        Conv2d c = new Conv2d(3, 3, 3, 1, 1, true, rng);
        Residual id = new Residual(c, null);
        GradCheck.checkLayer(id, GradCheck.randn(rng, 2, 3, 4, 4), List.of(c.weight, c.bias), 3, 40);
        // Projection shortcut.
        Conv2d m = new Conv2d(2, 3, 3, 2, 1, true, rng);
        Conv2d s = new Conv2d(2, 3, 1, 2, 0, false, rng);
        Residual proj = new Residual(m, s, "shortcut");
        GradCheck.checkLayer(proj, GradCheck.randn(rng, 2, 2, 5, 5), List.of(m.weight, m.bias, s.weight), 3, 40);
        assertEquals(List.of("weight", "bias", "shortcut.weight"), List.copyOf(StateDict.of(proj).params().keySet()));
    }

    @Test
    void wholeBasicBlockGradients() {
        Random rng = new Random(3);
        Sequential block = basicBlock(2, 3, 2, rng);
        Tensor x = GradCheck.randn(rng, 2, 2, 5, 5);
        List<Param> ps = block.params();
        assertEquals(9, ps.size());   // conv1, bn1 (2), conv2, bn2 (2), downsample conv, bn (2)
        // BN and ReLU inside: a small h makes crossing a ReLU kink rare; the few crossings are re-checked closer.
        GradCheck.checkLayer(block, x, ps, 4, 30, GradCheck.DEEP_H, GradCheck.DEEP_TOL, 6);
    }

    @Test
    void shapeMismatchNamesBothBranches() {
        Residual r = new Residual(new Conv2d(2, 3, 3, 2, 1, true, new Random(0)), null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> r.forward(new Tensor(1, 2, 4, 4), false));
        assertTrue(e.getMessage().contains("[1, 3, 2, 2]") && e.getMessage().contains("[1, 2, 4, 4]"), e.getMessage());
    }

    @Test
    void moduleLoadRoundTripsAndZeroGrad() {
        Random rng = new Random(4);
        Sequential a = basicBlock(2, 2, 1, rng), b = basicBlock(2, 2, 1, rng);
        a.forward(GradCheck.randn(rng, 2, 2, 3, 3), true);   // moves running stats
        Map<String, Tensor> state = a.stateDict().tensors();
        b.load(state, true);
        Tensor x = GradCheck.randn(rng, 1, 2, 3, 3);
        assertArrayEquals(a.forward(x, false).data, b.forward(x, false).data);
        a.params().get(0).grad.fill(3f);
        a.zeroGrad();
        for (Param p : a.params()) for (float g : p.grad.data) assertEquals(0f, g);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> b.load(Map.of("conv1.weight", new Tensor(1)), false));
        assertTrue(e.getMessage().contains("conv1.weight"), e.getMessage());
    }

    /** Gives a BatchNorm non-trivial eval statistics and affine terms (negative gamma: outputs of both signs). */
    private static void randomStats(BatchNorm2d bn, Random r) {
        for (int c = 0; c < bn.numFeatures; c++) {
            bn.runningMean.data[c] = r.nextFloat() - 0.5f;
            bn.runningVar.data[c] = 0.5f + r.nextFloat();
            bn.weight.value.data[c] = r.nextFloat() * 2 - 1;
            bn.bias.value.data[c] = r.nextFloat() - 0.5f;
        }
    }

    @Test
    void evalFusesBatchNormAndResidualWithTheirReluBitForBit() {
        Random r = new Random(12);
        Sequential block = basicBlock(3, 4, 2, r);
        Sequential main = (Sequential) ((Residual) block.layers().get(0)).main();
        Residual res = (Residual) block.layers().get(0);
        for (Layer l : main.layers()) if (l instanceof BatchNorm2d bn) randomStats(bn, r);
        randomStats((BatchNorm2d) ((Sequential) res.shortcut()).layers().get(1), r);
        Tensor x = new Tensor(2, 3, 9, 8).randn(r, 1.0);
        Tensor fused = block.forward(x, false);
        // Layer by layer, with the separate ReLUs the fused passes replace.
        List<Layer> m = main.layers();
        Tensor h = x;
        for (Layer l : m) h = l.forward(h, false);
        Tensor s = res.shortcut().forward(x, false);
        Tensor sum = new Tensor(h.shape);
        for (int i = 0; i < sum.size(); i++) sum.data[i] = h.data[i] + s.data[i];
        Tensor want = new ReLU().forward(sum, false);
        assertArrayEquals(want.data, fused.data);
        BatchNorm2d bn = new BatchNorm2d(4);
        randomStats(bn, r);
        Tensor y = new Tensor(3, 4, 5, 5).randn(r, 1.0);
        assertArrayEquals(new ReLU().forward(bn.forward(y, false), false).data, bn.forwardEvalRelu(y).data);
        // Training: same output, and backward works.
        Tensor trained = block.forward(x, true);
        assertEquals(x.shape[0], block.backward(new Tensor(trained.shape).fill(1f)).shape[0]);
    }

    @Test
    void trainingFusesTheResidualAddWithItsReluBitForBit() {
        Random r = new Random(22);
        Conv2d convA = new Conv2d(3, 3, 3, 1, 1, true, new Random(5)), convB = new Conv2d(3, 3, 3, 1, 1, true, new Random(5));
        Sequential fused = new Sequential(new Residual(convA, null), new ReLU());
        Residual plain = new Residual(convB, null);
        ReLU relu = new ReLU();
        Tensor x = new Tensor(2, 3, 6, 7).randn(r, 1.0), dy = new Tensor(2, 3, 6, 7).randn(r, 1.0);
        Tensor got = fused.forward(x, true), want = relu.forward(plain.forward(x, true), true);
        assertArrayEquals(want.data, got.data);
        assertArrayEquals(plain.backward(relu.backward(dy)).data, fused.backward(dy).data, "dx");
        assertArrayEquals(convB.weight.grad.data, convA.weight.grad.data, "dW");
        assertArrayEquals(convB.bias.grad.data, convA.bias.grad.data, "db");
        long cut = 0;
        for (float v : want.data) if (v == 0f) cut++;
        assertTrue(cut > 0 && cut < want.size(), "the ReLU cut " + cut + " of " + want.size());
        // an eval forward in between does not change what the training backward retraces
        fused.forward(x, true);
        fused.forward(x, false);
        relu.forward(plain.forward(x, true), true);
        assertArrayEquals(plain.backward(relu.backward(dy)).data, fused.backward(dy).data, "dx after an eval forward");
    }

    @Test
    void trainingFusesBatchNormWithItsRelu() {
        for (boolean frozenStats : new boolean[] {false, true}) {
            Random r = new Random(21);
            // Two copies of "BatchNorm, ReLU, BatchNorm" with the same parameters: one in a Sequential (the first
            // pair fused), one run layer by layer. gamma/beta random so the ReLU cuts at different places per channel.
            BatchNorm2d[] fusedBn = {new BatchNorm2d(5), new BatchNorm2d(5)}, plainBn = {new BatchNorm2d(5), new BatchNorm2d(5)};
            for (int i = 0; i < 2; i++) {
                randomStats(fusedBn[i], r);
                for (int c = 0; c < 5; c++) {
                    fusedBn[i].weight.value.data[c] = (float) r.nextGaussian();
                    fusedBn[i].bias.value.data[c] = (float) r.nextGaussian() * 0.5f;
                }
                for (Tensor[] t : new Tensor[][] {{fusedBn[i].weight.value, plainBn[i].weight.value},
                        {fusedBn[i].bias.value, plainBn[i].bias.value}, {fusedBn[i].runningMean, plainBn[i].runningMean},
                        {fusedBn[i].runningVar, plainBn[i].runningVar}}) {
                    System.arraycopy(t[0].data, 0, t[1].data, 0, t[0].size());
                }
                fusedBn[i].freezeStats(frozenStats);
                plainBn[i].freezeStats(frozenStats);
            }
            Sequential seq = new Sequential(fusedBn[0], new ReLU(), fusedBn[1]);
            ReLU relu = new ReLU();
            Tensor x = new Tensor(3, 5, 7, 9).randn(r, 2.0), dy = new Tensor(3, 5, 7, 9).randn(r, 1.0);
            // Same values; the tolerance only covers the lane order of the vector sums (reduceLanes' order is
            // unspecified, and the interpreter and C2 differ in the last bit), not a different formula.
            float tol = 1e-5f;
            for (int step = 0; step < 2; step++) {     // twice: the running statistics move the same way too
                Tensor got = seq.forward(x, true);
                Tensor want = plainBn[1].forward(relu.forward(plainBn[0].forward(x, true), true), true);
                assertArrayEquals(want.data, got.data, tol, "forward, frozen=" + frozenStats);
                Tensor dxGot = seq.backward(dy);
                Tensor dxWant = plainBn[0].backward(relu.backward(plainBn[1].backward(dy)));
                assertArrayEquals(dxWant.data, dxGot.data, tol, "dx, frozen=" + frozenStats);
                for (int i = 0; i < 2; i++) {
                    assertArrayEquals(plainBn[i].weight.grad.data, fusedBn[i].weight.grad.data, tol, "dgamma " + i);
                    assertArrayEquals(plainBn[i].bias.grad.data, fusedBn[i].bias.grad.data, tol, "dbeta " + i);
                    assertArrayEquals(plainBn[i].runningMean.data, fusedBn[i].runningMean.data, tol, "running mean " + i);
                    assertArrayEquals(plainBn[i].runningVar.data, fusedBn[i].runningVar.data, tol, "running var " + i);
                }
            }
            // the ReLU really cut something, so the mask was exercised
            Tensor h = plainBn[0].forward(x, false);
            long cut = 0;
            for (float v : h.data) if (v <= 0f) cut++;
            assertTrue(cut > h.size() / 10 && cut < h.size() * 9 / 10, "ReLU cut " + cut + " of " + h.size());
        }
    }

    @Test
    void backwardReleasesTheForwardCaches() {
        Random r = new Random(4);
        Sequential block = basicBlock(3, 4, 2, r);
        Tensor x = new Tensor(2, 3, 8, 8).randn(r, 1.0);
        Tensor dy = new Tensor(block.forward(x, true).shape).fill(1f);
        Tensor first = block.backward(dy);
        // The activations went with the first backward (conv inputs, BatchNorm x-hat, ReLU outputs).
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> block.backward(dy));
        assertTrue(e.getMessage().contains("one backward"), e.getMessage());
        block.forward(x, true);
        assertArrayEquals(first.data, block.backward(dy).data, "a new forward serves a new backward");
        MaxPool2d pool = new MaxPool2d(2, 2, 0);
        Tensor py = pool.forward(x, true);
        pool.backward(py);
        assertThrows(IllegalStateException.class, () -> pool.backward(py));
    }

    /** What a BatchNorm rebuilds for the conv after it is its training forward's output, bit for bit (odd sizes too). */
    @Test
    void batchNormRebuildsItsReluOutputBitForBit() {
        Random r = new Random(9);
        for (int[] shape : new int[][] {{2, 3, 5, 7}, {3, 4, 16, 16}, {1, 2, 1, 3}}) {
            for (boolean frozen : new boolean[] {false, true}) {
                BatchNorm2d bn = new BatchNorm2d(shape[1]).freezeStats(frozen);
                for (int c = 0; c < shape[1]; c++) {
                    bn.weight.value.data[c] = r.nextFloat() * 2 - 0.5f;
                    bn.bias.value.data[c] = r.nextFloat() - 0.5f;
                    bn.runningMean.data[c] = r.nextFloat() - 0.5f;
                }
                Tensor y = bn.forwardTrainingRelu(GradCheck.randn(r, shape));
                assertArrayEquals(y.data, bn.recomputeReluOutput().data, 0f, java.util.Arrays.toString(shape) + " frozen=" + frozen);
            }
        }
        BatchNorm2d plain = new BatchNorm2d(2);
        plain.forward(GradCheck.randn(r, 2, 2, 3, 3), true);
        assertThrows(IllegalStateException.class, plain::recomputeReluOutput);   // no ReLU ran in that forward
    }

    /**
     * In training, a conv after a fused BatchNorm + ReLU keeps no copy of its input (the BatchNorm rebuilds it in
     * backward), for ResNet-18 (basic blocks: one such conv per block; batch and frozen statistics) and ResNet-50
     * (bottlenecks: two): outputs, every gradient and the running statistics as when the conv keeps it (within
     * 1e-4 of each tensor's largest value: while the JIT warms up, two runs of a network differ in the last bits, as
     * compiled code may add a sum's vector lanes in another order; warmed up, they measured bit-identical, and the
     * rebuilt input itself is bit-identical, test above).
     */
    @Test
    void convAfterBatchNormReluRecomputesItsInputWithTheSameBits() throws Exception {
        java.lang.reflect.Field held = Conv2d.class.getDeclaredField("input");
        held.setAccessible(true);
        try {
            for (String name : new String[] {"resnet18", "resnet50"}) {
                for (boolean frozen : name.equals("resnet18") ? new boolean[] {false, true} : new boolean[] {false}) {
                    Map<String, Tensor> want = null;
                    for (boolean recompute : new boolean[] {false, false, true}) {     // the first run warms the JIT up
                        Sequential.recomputeConvInputs = recompute;
                        minifig.models.ResNet m = resnet(name, frozen);
                        Random r = new Random(4);
                        Tensor y = m.forward(GradCheck.randn(r, 2, 3, 48, 48), true);
                        int dropped = 0;
                        for (Layer l : allLayers(m)) if (l instanceof Conv2d c && held.get(c) == null) dropped++;
                        // resnet18: 8 blocks x 1 conv; resnet50: 16 blocks x 2 convs
                        assertEquals(recompute ? (name.equals("resnet18") ? 8 : 32) : 0, dropped, name + " convs without their input");
                        m.backward(GradCheck.randn(r, y.shape));
                        Map<String, Tensor> got = stepResults(m, y);
                        if (!recompute) want = got;
                        else assertSameResults(want, got, name + " frozen=" + frozen + " ");
                    }
                }
            }
        } finally {
            Sequential.recomputeConvInputs = true;
        }
    }

    /**
     * In training, ResNet's stem BatchNorm keeps no copy of the stem conv's output, which the conv recomputes in backward
     * from the image it keeps anyway (Sequential.recomputeFirstConvOutput): ResNet-18's outputs, every gradient and the
     * running statistics as when the BatchNorm keeps it (within 1e-4 of each tensor's largest value, the JIT caveat
     * above), with batch and frozen statistics; only the stem's BatchNorm drops its input, and a second backward still
     * fails clearly.
     */
    @Test
    void stemBatchNormRecomputesTheConvOutputWithTheSameResults() throws Exception {
        java.lang.reflect.Field cached = BatchNorm2d.class.getDeclaredField("input");
        cached.setAccessible(true);
        try {
            for (boolean frozen : new boolean[] {false, true}) {
                Map<String, Tensor> want = null;
                for (boolean recompute : new boolean[] {false, false, true}) {     // the first run warms the JIT up
                    Sequential.recomputeFirstConvOutputs = recompute;
                    minifig.models.ResNet m = resnet("resnet18", frozen);
                    Random r = new Random(4);
                    Tensor y = m.forward(GradCheck.randn(r, 2, 3, 48, 48), true);
                    int dropped = 0;
                    for (Layer l : allLayers(m)) if (l instanceof BatchNorm2d bn && cached.get(bn) == null) dropped++;
                    assertEquals(recompute ? 1 : 0, dropped, "BatchNorms without their input, frozen=" + frozen);
                    Tensor dy = GradCheck.randn(r, y.shape);
                    m.backward(dy);
                    Map<String, Tensor> got = stepResults(m, y);
                    if (!recompute) {
                        want = got;
                        continue;
                    }
                    assertSameResults(want, got, "resnet18 stem frozen=" + frozen + " ");
                    assertThrows(IllegalStateException.class, () -> m.bn1.backward(dy), "the stem BatchNorm's second backward");
                }
            }
        } finally {
            Sequential.recomputeFirstConvOutputs = true;
        }
    }

    /**
     * A BatchNorm right after a conv writes its dx over the conv's output (nothing else holds it), and a residual block
     * adds the shortcut's gradient into the main branch's: ResNet-18's outputs,
     * gradients and running statistics as with a new dx tensor (within 1e-4 of each tensor's largest value, the JIT
     * caveat above), and the conv output it cached now holds dx.
     */
    @Test
    void batchNormAfterAConvWritesItsDxOverTheConvOutputWithTheSameResults() throws Exception {
        java.lang.reflect.Field cached = BatchNorm2d.class.getDeclaredField("input");
        cached.setAccessible(true);
        try {
            Map<String, Tensor> want = null;
            for (boolean overwrite : new boolean[] {false, false, true}) {     // the first run warms the JIT up
                Sequential.overwriteConvOutputs = overwrite;
                Residual.addIntoMainGradient = overwrite;
                minifig.models.ResNet m = (minifig.models.ResNet) minifig.models.Models.create("resnet18", 5, 3, 3L);
                Random r = new Random(4);
                Tensor x = GradCheck.randn(r, 2, 3, 48, 48);
                Tensor y = m.forward(x, true);
                // layer1's first BatchNorm (the stem's recomputes its input in backward instead of caching it)
                BatchNorm2d bn = (BatchNorm2d) allLayers(m).stream().filter(l -> l instanceof BatchNorm2d && l != m.bn1)
                        .findFirst().orElseThrow();
                Tensor convOut = (Tensor) cached.get(bn);
                float[] before = convOut.data.clone();
                m.backward(GradCheck.randn(r, y.shape));
                assertEquals(!overwrite, java.util.Arrays.equals(before, convOut.data), "conv output overwritten: " + overwrite);
                Map<String, Tensor> got = stepResults(m, y);
                if (!overwrite) want = got;
                else assertSameResults(want, got, "");
            }
        } finally {
            Sequential.overwriteConvOutputs = true;
            Residual.addIntoMainGradient = true;
        }
    }

    /** Only a conv's output is overwritten: a BatchNorm's input from the caller or from a ReLU (which keeps it) is not. */
    @Test
    void batchNormKeepsAnInputItDidNotGetFromAConv() {
        Random r = new Random(6);
        Tensor x = GradCheck.randn(r, 2, 3, 5, 5), copy = x.copy();
        Sequential first = new Sequential(new BatchNorm2d(3), new ReLU());
        first.backward(GradCheck.randn(r, first.forward(x, true).shape));
        assertArrayEquals(copy.data, x.data, 0f, "the caller's tensor, BatchNorm first");
        BatchNorm2d alone = new BatchNorm2d(3);
        alone.forward(x, true);
        alone.backward(GradCheck.randn(r, 2, 3, 5, 5));
        assertArrayEquals(copy.data, x.data, 0f, "the caller's tensor, BatchNorm alone");
        // after a ReLU: the BatchNorm's input is the ReLU's output, which the ReLU's backward reads afterwards
        Tensor[] dx = new Tensor[2];
        for (int run = 0; run < 2; run++) {
            Sequential.overwriteConvOutputs = run == 1;
            try {
                Sequential afterRelu = new Sequential(new Conv2d(3, 3, 1, 1, 0, false, new Random(2)), new ReLU(), new BatchNorm2d(3));
                Random rr = new Random(7);
                afterRelu.forward(x, true);
                dx[run] = afterRelu.backward(GradCheck.randn(rr, 2, 3, 5, 5));
            } finally {
                Sequential.overwriteConvOutputs = true;
            }
        }
        assertArrayEquals(dx[0].data, dx[1].data, 0f, "conv, ReLU, BatchNorm: the same dx");
        // a residual block whose main branch passes dOut through: the caller's dOut is not the sum's target
        Residual identity = new Residual(new Identity(), null);
        identity.forward(x, true);
        Tensor dOut = GradCheck.randn(r, 2, 3, 5, 5), dOutCopy = dOut.copy();
        Tensor sum = identity.backward(dOut);
        assertArrayEquals(dOutCopy.data, dOut.data, 0f, "the caller's dOut");
        for (int i = 0; i < sum.size(); i++) assertEquals(2 * dOutCopy.data[i], sum.data[i], 0f);
    }

    /** A training step's output, every parameter's gradient and the buffers (running statistics), by name. */
    /** A fresh ResNet of 5 classes (seed 3) whose BatchNorms use frozen or batch statistics in training. */
    private static minifig.models.ResNet resnet(String name, boolean frozenStats) {
        minifig.models.ResNet m = (minifig.models.ResNet) minifig.models.Models.create(name, 5, 3, 3L);
        for (Layer l : allLayers(m)) if (l instanceof BatchNorm2d bn) bn.freezeStats(frozenStats);
        return m;
    }

    private static Map<String, Tensor> stepResults(minifig.models.ResNet m, Tensor y) {
        Map<String, Tensor> got = new java.util.LinkedHashMap<>();
        got.put("y", y);
        for (Map.Entry<String, Param> e : m.stateDict().params().entrySet()) got.put(e.getKey() + ".grad", e.getValue().grad);
        got.putAll(m.stateDict().buffers());
        return got;
    }

    /** Every tensor of want equals got's within 1e-4 of its largest value (the JIT caveat above). */
    private static void assertSameResults(Map<String, Tensor> want, Map<String, Tensor> got, String what) {
        for (String k : want.keySet()) GradCheck.assertSameUpToLaneOrder(want.get(k).data, got.get(k).data, what + k);
    }

    /** A ResNet's convs and BatchNorms: the stem's and every block's (main branch and shortcut). */
    private static List<Layer> allLayers(minifig.models.ResNet net) {
        List<Layer> out = new java.util.ArrayList<>(List.of(net.conv1, net.bn1));
        for (Sequential stage : net.layers) {
            for (Layer l : stage.layers()) {
                minifig.models.ResNetBlock b = (minifig.models.ResNetBlock) l;
                out.addAll(b.convs);
                out.addAll(b.norms);
                if (b.downsampleConv != null) out.addAll(List.of(b.downsampleConv, b.downsampleBn));
            }
        }
        return out;
    }
}
