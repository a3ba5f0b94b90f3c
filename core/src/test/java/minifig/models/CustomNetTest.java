package minifig.models;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import minifig.nn.Conv2d;
import minifig.nn.Golden;
import minifig.nn.GradCheck;
import java.util.function.DoubleSupplier;
import minifig.nn.Layer;
import minifig.nn.MaxPool2d;
import minifig.nn.ReLU;
import minifig.nn.NLLLoss;
import minifig.nn.Sequential;
import minifig.optim.SGD;
import minifig.tensor.Param;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.Test;

class CustomNetTest {

    @Test
    void stateDictNamesHoldConv2Once() {
        CustomNet net = new CustomNet(10, 1L);
        assertEquals(List.of("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
                "fc2.weight", "fc2.bias"), List.copyOf(net.stateDict().tensors().keySet()));
        assertEquals(8, net.params().size());
        for (Conv2d use : net.conv2Uses) assertSame(net.conv2().weight, use.weight);
        assertArrayEquals(new int[] {64, 3, 3, 3}, net.conv1.weight.shape());
        assertArrayEquals(new int[] {10, 64}, net.fc2.weight.shape());
        // Same seed, same numbers.
        assertArrayEquals(net.conv2().weight.value.data, new CustomNet(10, 1L).conv2().weight.value.data);
    }

    /** The training backward adds exactly backward's gradients; only the image gradient is skipped. */
    @Test
    void backwardParamsMatchesBackward() {
        CustomNet a = new CustomNet(7, 3L), b = new CustomNet(7, 3L);
        Tensor x = new Tensor(2, 3, 12, 12).randn(new Random(4), 1.0);
        int[] targets = {1, 5};
        NLLLoss nll = new NLLLoss();
        nll.forward(a.forward(x, true), targets);
        a.backward(nll.backward());
        nll.forward(b.forward(x, true), targets);
        b.backwardParams(nll.backward());
        List<Param> pa = a.params(), pb = b.params();
        for (int i = 0; i < pa.size(); i++) assertArrayEquals(pa.get(i).grad.data, pb.get(i).grad.data, "param " + i);
        assertTrue(b.conv1.needsInputGrad(), "the switch is only off during backwardParams");
    }

    /** The PyTorch listing (in_channels 3, 5 classes, 16x16 input, AvgPool2d(4) = global) with PyTorch's weights. */
    @Test
    void matchesPyTorchForwardBackwardAndFiveSgdSteps() {
        JsonNode g = Golden.load("custom_net.json");
        CustomNet net = new CustomNet(g.get("in_channels").asInt(), g.get("num_classes").asInt(), new Random(0));
        Map<String, Tensor> init = new java.util.LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = g.get("init").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            init.put(e.getKey(), Golden.tensor(e.getValue()));
        }
        net.load(init, true);
        Tensor x = Golden.tensor(g.get("x"));
        int[] targets = Golden.ints(g.get("targets"));
        NLLLoss nll = new NLLLoss();
        Tensor out = net.forward(x, true);
        Golden.assertClose("custom out", g.get("out"), out, 1e-4);
        Golden.assertClose("custom loss", g.get("loss").asDouble(), nll.forward(out, targets), 1e-4);
        net.zeroGrad();
        Tensor dx = net.backward(nll.backward());
        Golden.assertClose("custom dx", g.get("dx"), dx, 1e-4);
        net.stateDict().params().forEach((name, p) ->
                Golden.assertClose("custom d" + name, g.get("grads").get(name), p.grad, 1e-4));

        JsonNode s = g.get("sgd");
        SGD sgd = new SGD(net.params(), s.get("lr").asDouble(), s.get("momentum").asDouble(),
                s.get("weight_decay").asDouble(), false);
        for (int step = 0; step < 5; step++) {
            net.zeroGrad();
            float loss = nll.forward(net.forward(x, true), targets);
            // Losses drift apart slowly as float rounding differences compound over steps; 1e-4 still holds.
            Golden.assertClose("custom sgd loss " + step, s.get("losses").get(step).asDouble(), loss, 1e-4);
            net.backwardParams(nll.backward());   // the trainer's path: no image gradient
            sgd.step();
        }
        Golden.assertClose("custom final loss", s.get("final_loss").asDouble(), nll.forward(net.forward(x, false), targets), 1e-4);
        Map<String, Tensor> now = net.stateDict().tensors();
        s.get("final").fields().forEachRemaining(e ->
                Golden.assertClose("custom final " + e.getKey(), e.getValue(), now.get(e.getKey()), 1e-4));
        Golden.WORST.entrySet().stream().filter(e -> e.getKey().startsWith("custom")).sorted(Map.Entry.comparingByKey())
                .forEach(e -> System.out.printf("golden %-32s max rel error %.2e%n", e.getKey(), e.getValue()));
    }

    /**
     * Finite differences through the whole net, including the shared conv2 (perturbing it moves all five uses).
     *
     * ReLU and max pooling make the net piecewise smooth: a float32 step large enough to beat rounding noise
     * (1e-2) crosses a ReLU or max-pool switch for most entries of a 64-channel net, and the difference then
     * averages two slopes (confirmed in float64 PyTorch: the same entries disagree at the same h, agree at
     * h = 1e-5). So the objective replays the net with the activation pattern of the base point frozen (each
     * ReLU keeps its on/off mask, each max window its winner): that function equals the net around the base
     * point, is smooth, and has exactly the gradient backward must produce. The convs, linears, pooling and
     * log_softmax are the real layers. ReLU and max pooling themselves are checked in their own tests and
     * against PyTorch, kinks included, in the golden test above.
     */
    @Test
    void wholeNetGradientsMatchFiniteDifferences() {
        Random rng = new Random(5);
        // PyTorch's default init shrinks signals ~1.7x per layer, so the input gradient of this 9-layer stack
        // would sit near the float32 resolution of the output; He init keeps activations and gradients O(1).
        CustomNet net = new CustomNet(2, 3, rng).heInit();
        Tensor x = GradCheck.randn(rng, 2, 2, 6, 6);   // 6x6 -> 3x3 -> 1x1: all five conv2 uses see data
        net.zeroGrad();
        Tensor y = net.forward(x, true);
        Tensor r = GradCheck.randn(rng, y.shape);
        Tensor dx = net.backward(r);
        List<Object> pattern = activationPattern(net, x);
        DoubleSupplier loss = () -> GradCheck.dot(replay(net, x, pattern), r);
        assertArrayEquals(y.data, replay(net, x, pattern).data, "the replay is the net at the base point");
        // The replay is smooth (maxKinks -1: no kink detection); nine layers of float32 rounding put the noise
        // at ~1e-3 of the gradient scale (measured), hence DEEP_TOL.
        GradCheck.checkTensor("input", x, dx, loss, 12, rng, GradCheck.H, GradCheck.DEEP_TOL, -1);
        net.stateDict().params().forEach((name, p) -> GradCheck.checkTensor(name, p.value, p.grad.copy(), loss,
                6, rng, GradCheck.H, GradCheck.DEEP_TOL, -1));
    }

    /** Per ReLU its on/off mask (boolean[]), per max pool the flat input index of each window's winner (int[]). */
    private static List<Object> activationPattern(CustomNet net, Tensor x) {
        List<Object> pattern = new ArrayList<>();
        Tensor h = x;
        for (Layer l : net.layers()) {
            Tensor in = h;
            h = l.forward(h, false);
            if (l instanceof ReLU) {
                boolean[] on = new boolean[h.size()];
                for (int i = 0; i < on.length; i++) on[i] = h.data[i] > 0;
                pattern.add(on);
            } else if (l instanceof MaxPool2d) {
                int[] winner = new int[h.size()];
                for (int o = 0; o < winner.length; o++) {
                    for (int i = 0; i < in.size(); i++) {   // small tensors: find the input holding the max value
                        if (in.data[i] == h.data[o] && sameWindow(in, h, i, o)) {
                            winner[o] = i;
                            break;
                        }
                    }
                }
                pattern.add(winner);
            }
        }
        return pattern;
    }

    /** Whether input index i lies in output o's 2x2 window (stride 2) of the same image and channel. */
    private static boolean sameWindow(Tensor in, Tensor out, int i, int o) {
        int H = in.dim(2), W = in.dim(3), OH = out.dim(2), OW = out.dim(3);
        int nc = i / (H * W), ih = i / W % H, iw = i % W;
        int onc = o / (OH * OW), oh = o / OW % OH, ow = o % OW;
        return nc == onc && ih / 2 == oh && iw / 2 == ow;
    }

    /** The net's forward with every ReLU and max pool following the frozen {@code pattern}. */
    private static Tensor replay(CustomNet net, Tensor x, List<Object> pattern) {
        Iterator<Object> it = pattern.iterator();
        Tensor h = x;
        for (Layer l : net.layers()) {
            if (l instanceof ReLU) {
                boolean[] on = (boolean[]) it.next();
                Tensor y = new Tensor(h.shape);
                for (int i = 0; i < on.length; i++) y.data[i] = on[i] ? h.data[i] : 0f;
                h = y;
            } else if (l instanceof MaxPool2d) {
                int[] winner = (int[]) it.next();
                Tensor y = new Tensor(h.dim(0), h.dim(1), h.dim(2) / 2, h.dim(3) / 2);
                for (int o = 0; o < winner.length; o++) y.data[o] = h.data[winner[o]];
                h = y;
            } else {
                h = l.forward(h, false);
            }
        }
        return h;
    }

    /** conv2's gradient is exactly the sum of the gradients of five independent copies, one per use. */
    @Test
    void sharedConv2GradientIsTheSumOfItsFiveUses() {
        Random rng = new Random(6);
        CustomNet net = new CustomNet(3, 4, rng);
        Tensor x = GradCheck.randn(rng, 2, 3, 8, 8);
        Tensor dOut = GradCheck.randn(rng, 2, 4);

        // The same network with five separate conv2 copies (same starting values, own Params).
        List<Conv2d> copies = new ArrayList<>();
        Sequential unshared = new Sequential();
        for (Layer l : net.layers()) {
            if (net.conv2Uses.contains(l)) {
                Conv2d c = (Conv2d) l;
                Conv2d copy = new Conv2d(64, 64, 3, 1, 1, new Param(c.weight.value.copy(), true),
                        new Param(c.bias.value.copy(), false));
                copies.add(copy);
                unshared.add(copy);
            } else {
                unshared.add(l);     // stateless layers and conv1/fc1/fc2 (their grads are reset below)
            }
        }
        assertEquals(5, copies.size());
        net.zeroGrad();
        Tensor yShared = net.forward(x, true);
        net.backward(dOut);
        float[] shared = net.conv2().weight.grad.data.clone(), sharedBias = net.conv2().bias.grad.data.clone();

        Tensor ySeparate = unshared.forward(x, true);
        assertArrayEquals(yShared.data, ySeparate.data);
        unshared.backward(dOut);
        double maxAbs = 0;
        for (float v : shared) maxAbs = Math.max(maxAbs, Math.abs(v));
        for (int i = 0; i < shared.length; i++) {
            double sum = 0;
            for (Conv2d c : copies) sum += c.weight.grad.data[i];
            assertEquals(sum, shared[i], 1e-5 * maxAbs, "conv2.weight grad " + i);
        }
        for (int i = 0; i < sharedBias.length; i++) {
            double sum = 0;
            for (Conv2d c : copies) sum += c.bias.grad.data[i];
            assertEquals(sum, sharedBias[i], 1e-5 * (1 + Math.abs(sum)), "conv2.bias grad " + i);
        }
        // Every use contributes: no copy's gradient is zero.
        for (Conv2d c : copies) assertTrue(GradCheckNorm.norm(c.weight.grad) > 0);
    }

    @Test
    void inputChecks() {
        CustomNet net = new CustomNet(1, 10, new Random(0));
        assertEquals(10, net.forward(new Tensor(2, 1, 28, 28), false).dim(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> net.forward(new Tensor(1, 3, 28, 28), false));
        assertEquals("custom net input: expected [N, 1, H, W], got [1, 3, 28, 28]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> net.forward(new Tensor(1, 1, 3, 3), false));
    }

    /** Tiny helper kept local: the L2 norm of a tensor. */
    private static final class GradCheckNorm {
        static double norm(Tensor t) {
            double s = 0;
            for (float v : t.data) s += (double) v * v;
            return Math.sqrt(s);
        }
    }
}
