package minifig.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import minifig.nn.BatchNorm2d;
import minifig.nn.Conv2d;
import minifig.nn.StateDict;
import minifig.tensor.Param;
import minifig.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** State-dict names, order and shapes against torchvision's (golden/resnet/names_*.tsv from generate.py). */
class ResNetNamesTest {

    /** name -> "d1,d2,..." for the lines of a names_*.tsv whose third column is {@code kind}, in file order. */
    static Map<String, String> torchvision(String arch, String kind) {
        Map<String, String> out = new LinkedHashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                ResNetNamesTest.class.getResourceAsStream("/golden/resnet/names_" + arch + ".tsv"), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                String[] f = line.split("\t", -1);
                if (f[2].equals(kind)) out.put(f[0], f[1]);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out;
    }

    static String shape(Tensor t) {
        StringBuilder sb = new StringBuilder();
        for (int d : t.shape) sb.append(sb.length() == 0 ? "" : ",").append(d);
        return sb.toString();
    }

    static Map<String, String> shapes(Map<String, Tensor> tensors) {
        Map<String, String> out = new LinkedHashMap<>();
        tensors.forEach((k, t) -> out.put(k, shape(t)));
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "resnet34", "resnet50"})
    void namesOrderAndShapesEqualTorchvision(String arch) {
        ResNet m = arch.equals("resnet50") ? SharedModels.resnet50() : (ResNet) Models.create(arch, 1000, 3, 7L);
        StateDict sd = m.stateDict();
        Map<String, Tensor> params = new LinkedHashMap<>();
        sd.params().forEach((k, p) -> params.put(k, p.value));
        // Compared as ordered lists of "name shape": same names, same shapes, same order as torchvision's.
        assertEquals(lines(torchvision(arch, "param")), lines(shapes(params)), arch + " parameters");
        assertEquals(lines(torchvision(arch, "buffer")), lines(shapes(sd.buffers())), arch + " buffers");
        assertEquals(arch.equals("resnet50") ? 2048 : 512, m.featureDim());
    }

    private static List<String> lines(Map<String, String> m) {
        List<String> out = new ArrayList<>();
        m.forEach((k, v) -> out.add(k + " [" + v + "]"));
        return out;
    }

    @Test
    void kerasVariantHasResNet50NamesPlusConvBiasesAndItsOwnStridesAndEps() {
        ResNet torch = SharedModels.resnet50();
        ResNet keras = SharedModels.resnet50Keras();
        Map<String, String> expected = new LinkedHashMap<>();
        torch.stateDict().params().forEach((k, p) -> {
            expected.put(k, shape(p.value));
            if (p.value.rank() == 4) expected.put(k.replace(".weight", ".bias"), String.valueOf(p.value.shape[0]));
        });
        Map<String, Tensor> kerasParams = new LinkedHashMap<>();
        keras.stateDict().params().forEach((k, p) -> kerasParams.put(k, p.value));
        assertEquals(lines(expected), lines(shapes(kerasParams)));
        assertEquals(shapes(torch.stateDict().buffers()), shapes(keras.stateDict().buffers()));
        assertEquals(53 + 53 + 53 * 2 + 2, kerasParams.size(), "53 convs with bias, 53 BNs, fc");

        for (int s = 0; s < 4; s++) {
            ResNetBlock tb = (ResNetBlock) torch.layers.get(s).layers().get(0);
            ResNetBlock kb = (ResNetBlock) keras.layers.get(s).layers().get(0);
            int stride = s == 0 ? 1 : 2;
            assertEquals(List.of(1, stride, 1), strides(tb.convs), "torchvision v1.5: stride on the 3x3");
            assertEquals(List.of(stride, 1, 1), strides(kb.convs), "Keras v1: stride on the first 1x1");
            assertEquals(stride, tb.downsampleConv.stride);
            assertEquals(stride, kb.downsampleConv.stride);
            ResNetBlock later = (ResNetBlock) keras.layers.get(s).layers().get(1);
            assertNull(later.downsampleConv, "identity shortcut after the first block");
        }
        assertEquals(7, keras.conv1.kernel);
        assertEquals(2, keras.conv1.stride);
        assertEquals(3, keras.conv1.padding);
        for (String stage : ResNet.STAGES) {
            for (BatchNorm2d bn : keras.batchNorms(stage)) assertEquals(1e-3f, bn.eps);
            for (BatchNorm2d bn : torch.batchNorms(stage)) assertEquals(1e-5f, bn.eps);
        }
        assertEquals(53, count(keras), "every BatchNorm is reachable by stage");
    }

    private static int count(ResNet m) {
        int n = 0;
        for (String s : ResNet.STAGES) n += m.batchNorms(s).size();
        return n;
    }

    private static List<Integer> strides(List<Conv2d> convs) {
        List<Integer> out = new ArrayList<>();
        for (Conv2d c : convs) out.add(c.stride);
        return out;
    }

    /**
     * torchvision's init: conv weights N(0, 2/fan_out), BN 1 and 0, fc U(+-1/sqrt(in)); same seed, same
     * weights. On a half-width resnet18 (fan_out and fc's fan_in scale with it) to keep the test fast.
     */
    @Test
    void initialisationFollowsTorchvisionAndTheSeed() {
        ResNetConfig half = ResNetConfig.RESNET18.withWidth(32);
        ResNet a = new ResNet(half, 10, 3, 42L), b = new ResNet(half, 10, 3, 42L), c = new ResNet(half, 10, 3, 43L);
        Map<String, Param> pa = a.stateDict().params(), pb = b.stateDict().params(), pc = c.stateDict().params();
        for (String k : pa.keySet()) assertTrue(Arrays.equals(pa.get(k).value.data, pb.get(k).value.data), k);
        assertTrue(!Arrays.equals(pa.get("layer1.0.conv1.weight").value.data, pc.get("layer1.0.conv1.weight").value.data));

        Tensor w = pa.get("layer3.0.conv2.weight").value;        // [128, 128, 3, 3]: fan_out = 128*9
        double sq = 0;
        for (float v : w.data) sq += (double) v * v;
        double std = Math.sqrt(sq / w.size()), expected = Math.sqrt(2.0 / (128 * 9));
        assertEquals(expected, std, 0.01 * expected, "kaiming_normal fan_out std");
        for (float v : pa.get("layer3.0.bn2.weight").value.data) assertEquals(1f, v);
        for (float v : pa.get("layer3.0.bn2.bias").value.data) assertEquals(0f, v);
        double bound = 1 / Math.sqrt(256);
        float max = 0;
        for (float v : pa.get("fc.weight").value.data) max = Math.max(max, Math.abs(v));
        assertTrue(max <= bound && max > 0.9 * bound, "fc U(+-1/sqrt(in)), max |w| " + max);
        assertEquals(10, a.numClasses());
    }
}
