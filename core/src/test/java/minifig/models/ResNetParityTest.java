package minifig.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import minifig.nn.Sequential;
import minifig.nn.SoftmaxCrossEntropy;
import minifig.optim.SGD;
import minifig.tensor.Param;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Parity with PyTorch (golden/resnet/generate.py): a torchvision resnet18 and two-block bottleneck stages
 * (torchvision's and the Keras variant), with every weight and BN statistic set by {@link GoldenInit}.
 *
 * Tolerance: 1e-4 of the largest |value| of each compared tensor. PyTorch accumulates in float32 (MKL-DNN
 * conv, blocked sums) and our naive GEMM in double, so the two differ by float32 rounding, which grows with
 * depth; the worst measured errors are printed by each test and sit well below the bound.
 */
class ResNetParityTest {
    static final double TOL = 1e-4;

    /** Eval mode: running statistics, 2x3x64x64 and one 1x3x224x224 (the size the pretrained nets see). */
    @Test
    void resnet18EvalLogitsMatchTorchvision() {
        JsonNode g = Golden.json("resnet18_parity.json");
        ResNet m = resnet18();
        Golden.Err err = new Golden.Err();
        Golden.close("eval logits 64x64", Golden.floats(g.get("evalLogits")),
                m.forward(GoldenInit.tensor("input", Golden.ints(g.get("input"))), false).data, TOL, err);
        Golden.close("eval logits 224x224", Golden.floats(g.get("evalLogits224")),
                m.forward(GoldenInit.tensor("input224", Golden.ints(g.get("input224"))), false).data, TOL, err);
        System.out.printf("resnet18 eval parity: worst %s%n", err);
    }

    /**
     * Train mode on 2x3x64x64: logits, loss, every parameter gradient, the change one SGD momentum step makes
     * to every parameter (weight decay on conv/fc weights only), and every BN running statistic afterwards.
     */
    @Test
    void resnet18TrainingStepMatchesTorchvision() {
        JsonNode g = Golden.json("resnet18_parity.json");
        ResNet m = resnet18();
        Golden.Err err = new Golden.Err();
        Tensor x = GoldenInit.tensor("input", Golden.ints(g.get("input")));
        Map<String, Param> params = m.stateDict().params();
        Map<String, float[]> before = new HashMap<>();
        params.forEach((k, p) -> before.put(k, p.value.data.clone()));
        m.zeroGrad();
        Tensor logits = m.forward(x, true);
        Golden.close("train logits", Golden.floats(g.get("trainLogits")), logits.data, TOL, err);
        SoftmaxCrossEntropy ce = new SoftmaxCrossEntropy();
        float loss = ce.forward(logits, Golden.ints(g.get("targets")));
        double lossErr = Math.abs(loss - g.get("loss").asDouble()) / g.get("loss").asDouble();
        err.note(lossErr, "loss");
        assertEquals(g.get("loss").asDouble(), loss, TOL * g.get("loss").asDouble(), "loss");
        m.backward(ce.backward());

        assertEquals(names(g.get("grads")), new TreeSet<>(params.keySet()), "parameters with gradients");
        params.forEach((k, p) -> Golden.summary("grad " + k, g.get("grads").get(k), p.grad.data, TOL, err));

        JsonNode o = g.get("sgd");
        new SGD(m.params(), o.get("lr").asDouble(), o.get("momentum").asDouble(), o.get("weightDecay").asDouble(), false)
                .step();
        params.forEach((k, p) -> {
            float[] b = before.get(k), d = new float[b.length];
            for (int i = 0; i < b.length; i++) d[i] = p.value.data[i] - b[i];    // float32, as torch's p - before
            Golden.summary("SGD change of " + k, g.get("sgdDelta").get(k), d, TOL, err);
        });
        Map<String, Tensor> buffers = m.stateDict().buffers();
        Iterator<String> it = g.get("runningStats").fieldNames();
        int nStats = 0;
        while (it.hasNext()) {
            String k = it.next();
            Golden.summary(k + " after the step", g.get("runningStats").get(k), buffers.get(k).data, TOL, err);
            nStats++;
        }
        assertEquals(40, nStats, "running_mean and running_var of 20 BatchNorms");
        System.out.printf("resnet18 training-step parity: worst %s%n", err);
    }

    private static ResNet resnet18() {
        ResNet m = new ResNet(ResNetConfig.RESNET18, 1000, 3, 0L);
        GoldenInit.init(m);
        return m;
    }

    @Test
    void torchvisionBottleneckStageMatches() {
        stage("bottleneck_parity.json", ResNetConfig.RESNET50);
    }

    @Test
    void kerasBottleneckStageMatches() {
        stage("keras_bottleneck_parity.json", ResNetConfig.RESNET50_KERAS);
    }

    /** Block 0: 16 -> 32 channels, stride 2, downsample; block 1: identity. Two SGD momentum steps. */
    private static void stage(String fixture, ResNetConfig cfg) {
        JsonNode g = Golden.json(fixture);
        Random rng = new Random(1);
        Sequential stage = new Sequential(ResNetBlock.bottleneck(16, 8, 2, cfg, rng), ResNetBlock.bottleneck(32, 8, 1, cfg, rng));
        Map<String, Param> params = stage.stateDict().params();
        assertEquals(names(g.get("grads")), new TreeSet<>(params.keySet()), "parameter names");
        TreeSet<String> stateNames = names(g.get("stateAfterStep2"));
        stage.stateDict().buffers().keySet().stream().filter(k -> !k.endsWith("num_batches_tracked")).forEach(stateNames::remove);
        params.keySet().forEach(stateNames::remove);
        assertEquals(new TreeSet<>(), stateNames, "PyTorch tensors this stage lacks");
        GoldenInit.init(stage);
        Golden.Err err = new Golden.Err();
        Tensor x = GoldenInit.tensor("input", Golden.ints(g.get("input")));
        Golden.close("eval output", Golden.floats(g.get("evalOut")), stage.forward(x, false).data, TOL, err);

        JsonNode o = g.get("sgd");
        SGD sgd = new SGD(stage.params(), o.get("lr").asDouble(), o.get("momentum").asDouble(),
                o.get("weightDecay").asDouble(), false);
        Tensor dout = GoldenInit.tensor("dout", Golden.ints(g.get("outShape")));
        for (int step = 0; step < 2; step++) {
            stage.zeroGrad();
            Tensor y = stage.forward(x, true);
            Tensor dx = stage.backward(dout);
            if (step == 0) {
                Golden.close("train output", Golden.floats(g.get("trainOut")), y.data, TOL, err);
                Golden.close("input gradient", Golden.floats(g.get("dInput")), dx.data, TOL, err);
                params.forEach((k, p) -> {
                    float[] expected = Golden.floats(g.get("grads").get(k));
                    if (k.endsWith(".bias") && !k.contains(".bn") && !k.contains("downsample.1")) {
                        // A conv bias right before a batch-statistics BatchNorm: the BN subtracts the batch
                        // mean, so the exact gradient is 0 and both sides hold only rounding noise.
                        float[] wGrad = params.get(k.replace(".bias", ".weight")).grad.data;
                        Golden.tiny("grad " + k + " (exactly 0)", expected, wGrad);
                        Golden.tiny("grad " + k + " (exactly 0)", p.grad.data, wGrad);
                    } else {
                        Golden.close("grad " + k, expected, p.grad.data, TOL, err);
                    }
                });
                Map<String, Tensor> buf = stage.stateDict().buffers();
                g.get("runningStatsAfterStep1").fields().forEachRemaining(e ->
                        Golden.close(e.getKey() + " after step 1", Golden.floats(e.getValue()), buf.get(e.getKey()).data, TOL, err));
            }
            sgd.step();
        }
        Map<String, Tensor> state = stage.stateDict().tensors();
        g.get("stateAfterStep2").fields().forEachRemaining(e ->
                Golden.close(e.getKey() + " after step 2", Golden.floats(e.getValue()), state.get(e.getKey()).data, TOL, err));
        assertEquals(g.get("numBatchesTracked").asInt(), (int) state.get("0.bn1.num_batches_tracked").data[0]);
        assertEquals(2, g.get("numBatchesTracked").asInt());
        System.out.printf("%s parity: worst %s%n", cfg.name() + " stage", err);
    }

    private static TreeSet<String> names(JsonNode obj) {
        TreeSet<String> s = new TreeSet<>();
        obj.fieldNames().forEachRemaining(s::add);
        return s;
    }
}
