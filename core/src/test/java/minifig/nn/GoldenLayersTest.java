package minifig.nn;

import static minifig.nn.Golden.assertClose;
import static minifig.nn.Golden.copyInto;
import static minifig.nn.Golden.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Random;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Single layers and losses against PyTorch 1.13 (fixtures from golden/gen_golden.py), within 1e-4 relative. */
class GoldenLayersTest {
    static final double TOL = 1e-4;

    @AfterAll
    static void report() {
        Golden.WORST.forEach((k, v) -> System.out.printf("golden %-32s max rel error %.2e%n", k, v));
    }

    /** forward(x), backward(dy) and compare y, dx and each listed parameter gradient. */
    private static void checkCase(String label, Layer layer, JsonNode c, String... params) {
        Tensor y = layer.forward(tensor(c.get("x")), true);
        assertClose(label + " y", c.get("y"), y, TOL);
        Tensor dx = layer.backward(tensor(c.get("dy")));
        assertClose(label + " dx", c.get("dx"), dx, TOL);
        StateDict sd = StateDict.of(layer);
        for (String p : params) assertClose(label + " d" + p, c.get("d" + p), sd.params().get(p).grad, TOL);
    }

    @Test
    void conv2d() {
        for (JsonNode c : Golden.load("conv.json").get("cases")) {
            boolean bias = c.get("has_bias").asBoolean();
            Conv2d conv = new Conv2d(c.get("in").asInt(), c.get("out").asInt(), c.get("kernel").asInt(),
                    c.get("stride").asInt(), c.get("padding").asInt(), bias, new Random(0));
            copyInto(c.get("weight"), conv.weight.value);
            if (bias) copyInto(c.get("bias"), conv.bias.value);
            if (bias) checkCase("conv", conv, c, "weight", "bias");
            else checkCase("conv", conv, c, "weight");
        }
    }

    @Test
    void batchNormTrainThenEval() {
        JsonNode g = Golden.load("batchnorm.json");
        BatchNorm2d bn = new BatchNorm2d(3);
        copyInto(g.get("init").get("weight"), bn.weight.value);
        copyInto(g.get("init").get("bias"), bn.bias.value);
        copyInto(g.get("init").get("running_mean"), bn.runningMean);
        copyInto(g.get("init").get("running_var"), bn.runningVar);
        checkCase("bn train", bn, g.get("train"), "weight", "bias");
        bn.forward(tensor(g.get("x2")), true);
        assertClose("bn running_mean", g.get("running_mean"), bn.runningMean, TOL);
        assertClose("bn running_var", g.get("running_var"), bn.runningVar, TOL);
        assertEquals(g.get("num_batches_tracked").asInt(), (int) bn.numBatchesTracked.data[0]);
        assertClose("bn eval y", g.get("y_eval"), bn.forward(tensor(g.get("x_eval")), false), TOL);
    }

    @Test
    void pools() {
        JsonNode g = Golden.load("pool.json");
        checkCase("maxpool k3 s2 p1", new MaxPool2d(3, 2, 1), g.get("max_k3_s2_p1"));
        checkCase("maxpool k2", new MaxPool2d(2), g.get("max_k2"));
        checkCase("avgpool k3 s2 p1", new AvgPool2d(3, 2, 1), g.get("avg_k3_s2_p1"));
        checkCase("avgpool k2", new AvgPool2d(2), g.get("avg_k2"));
        checkCase("avgpool k3 s1 p1", new AvgPool2d(3, 1, 1), g.get("avg_k3_s1_p1"));
        checkCase("global avgpool", new GlobalAvgPool2d(), g.get("global"));
    }

    @Test
    void linear() {
        JsonNode g = Golden.load("linear.json");
        Linear fc = new Linear(7, 5, true, new Random(0));
        copyInto(g.get("bias").get("weight"), fc.weight.value);
        copyInto(g.get("bias").get("bias"), fc.bias.value);
        checkCase("linear", fc, g.get("bias"), "weight", "bias");
        Linear nb = new Linear(6, 4, false, new Random(0));
        copyInto(g.get("nobias").get("weight"), nb.weight.value);
        checkCase("linear nobias", nb, g.get("nobias"), "weight");
    }

    @Test
    void logSoftmaxNllAndCrossEntropy() {
        JsonNode g = Golden.load("loss.json");
        Tensor logits = tensor(g.get("logits"));
        int[] targets = Golden.ints(g.get("targets"));
        LogSoftmax ls = new LogSoftmax();
        NLLLoss nll = new NLLLoss();
        Tensor logp = ls.forward(logits, true);
        assertClose("log_softmax", g.get("log_softmax"), logp, TOL);
        assertClose("nll loss", g.get("nll").asDouble(), nll.forward(logp, targets), TOL);
        Tensor dlogp = nll.backward();
        assertClose("nll dinput", g.get("dlog_softmax"), dlogp, TOL);
        assertClose("log_softmax+nll dlogits", g.get("dlogits_nll"), ls.backward(dlogp), TOL);
        SoftmaxCrossEntropy ce = new SoftmaxCrossEntropy();
        assertClose("cross_entropy loss", g.get("cross_entropy").asDouble(), ce.forward(logits, targets), TOL);
        assertClose("cross_entropy dlogits", g.get("dlogits_ce"), ce.backward(), TOL);
    }
}
