package minifig.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import minifig.BadInputException;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The Keras ResNet50 -> resnet50-keras name and layout mapping. */
class KerasResNetWeightsTest {

    /** The 320 names and shapes of the real Keras ResNet50 TF.js manifest (golden/resnet/keras_names.py). */
    static Map<String, int[]> realKerasNames() {
        Map<String, int[]> out = new LinkedHashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(KerasResNetWeightsTest.class
                .getResourceAsStream("/golden/resnet/keras_resnet50_names.tsv"), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                String[] f = line.split("\t");
                out.put(f[0], Arrays.stream(f[1].split(",")).mapToInt(Integer::parseInt).toArray());
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out;
    }

    @Test
    void namesFollowTheDocumentedScheme() {
        assertEquals("conv1.weight", KerasResNetWeights.ourName("conv1/kernel"));
        assertEquals("conv1.bias", KerasResNetWeights.ourName("conv1/bias"));
        assertEquals("bn1.running_var", KerasResNetWeights.ourName("bn_conv1/moving_variance"));
        assertEquals("layer1.0.conv1.weight", KerasResNetWeights.ourName("res2a_branch2a/kernel"));
        assertEquals("layer1.0.bn2.bias", KerasResNetWeights.ourName("bn2a_branch2b/beta"));
        assertEquals("layer2.3.conv3.bias", KerasResNetWeights.ourName("res3d_branch2c/bias"));
        assertEquals("layer3.5.bn3.weight", KerasResNetWeights.ourName("bn4f_branch2c/gamma"));
        assertEquals("layer4.0.downsample.0.weight", KerasResNetWeights.ourName("res5a_branch1/kernel"));
        assertEquals("layer4.0.downsample.1.running_mean", KerasResNetWeights.ourName("bn5a_branch1/moving_mean"));
        assertEquals("fc.weight", KerasResNetWeights.ourName("fc1000/kernel"));
        for (String bad : new String[] {"conv1", "conv1/gamma", "bn_conv1/kernel", "res6a_branch2a/kernel",
                "res2g_branch2a/kernel", "res2a_branch2d/kernel", "res2a_branch2a/gamma", "bn2a_branch2a/kernel",
                "predictions/kernel", "res2a_branch2a/kernel:0"}) {
            assertNull(KerasResNetWeights.ourName(bad), bad);
        }
    }

    /** Every tensor of the real Keras ResNet50 maps onto a distinct resnet50-keras tensor with the right shape. */
    @Test
    void all320RealKerasTensorsMapOntoResNet50Keras() {
        Map<String, int[]> keras = realKerasNames();
        assertEquals(320, keras.size());
        Map<String, int[]> ours = KerasResNetWeights.shapes(SharedModels.resnet50Keras());
        Set<String> hit = new HashSet<>();
        keras.forEach((k, shape) -> {
            String name = KerasResNetWeights.ourName(k);
            assertNotNull(name, k);
            assertTrue(ours.containsKey(name), k + " -> " + name);
            assertTrue(hit.add(name), "two Keras tensors map to " + name);
            assertEquals(Arrays.toString(shape), Arrays.toString(KerasResNetWeights.kerasShape(ours.get(name))), k);
            assertEquals(k, KerasResNetWeights.kerasName(name), "inverse of " + name);
        });
        Set<String> rest = new HashSet<>(ours.keySet());
        rest.removeAll(hit);
        rest.removeIf(n -> n.endsWith(".num_batches_tracked"));
        assertEquals(Set.of(), rest, "our tensors no Keras tensor fills");
    }

    /** Synthetic tensors with distinct values on a narrow net (same names, small shapes): every element lands right. */
    @Test
    void convertTransposesKernelsElementWiseAndZeroesTheBatchCounters() {
        ResNet model = new ResNet(ResNetConfig.RESNET50_KERAS.withWidth(2), 5, 3, 0L);
        Map<String, int[]> expected = KerasResNetWeights.shapes(model);
        Map<String, Tensor> keras = synthetic(expected);
        assertEquals(320, keras.size());

        Map<String, Tensor> ours = KerasResNetWeights.convert(keras, expected, "model.json");
        assertEquals(expected.keySet().stream().toList(), ours.keySet().stream().toList(), "our names, our order");
        for (Map.Entry<String, Tensor> e : ours.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            assertEquals(Arrays.toString(expected.get(name)), t.shapeString(), name);
            if (name.endsWith("num_batches_tracked")) {
                assertEquals(0f, t.data[0], name);
                continue;
            }
            Tensor k = keras.get(KerasResNetWeights.kerasName(name));
            if (t.rank() == 4) {                                    // OIHW[o,i,h,w] == Keras[h,w,i,o]
                for (int o = 0; o < t.shape[0]; o++)
                    for (int i = 0; i < t.shape[1]; i++)
                        for (int h = 0; h < t.shape[2]; h++)
                            for (int w = 0; w < t.shape[3]; w++)
                                assertEquals(k.get(h, w, i, o), t.get(o, i, h, w), name);
            } else if (t.rank() == 2) {                             // [out,in] == Keras[in,out]
                for (int o = 0; o < t.shape[0]; o++)
                    for (int i = 0; i < t.shape[1]; i++) assertEquals(k.get(i, o), t.get(o, i), name);
            } else {
                assertTrue(Arrays.equals(k.data, t.data), name);
                assertTrue(k.data != t.data, name + " is copied, not shared with the source");
            }
        }
        model.load(ours, true);                                     // strict: nothing missing, nothing extra
        assertEquals(keras.get("res3b_branch2b/kernel").get(2, 1, 0, 3),
                model.stateDict().params().get("layer2.1.conv2.weight").value.get(3, 0, 2, 1));
        assertEquals(keras.get("bn5c_branch2c/moving_variance").data[7],
                model.stateDict().buffers().get("layer4.2.bn3.running_var").data[7]);
    }

    @Test
    void missingUnexpectedAndMisshapenTensorsAreClearErrors() {
        Map<String, int[]> expected = KerasResNetWeights.shapes(new ResNet(ResNetConfig.RESNET50_KERAS.withWidth(1), 3, 3, 0L));

        Map<String, Tensor> missing = synthetic(expected);
        missing.remove("bn4c_branch2b/moving_mean");
        missing.remove("bn4c_branch2b/gamma");
        BadInputException e = assertThrows(BadInputException.class,
                () -> KerasResNetWeights.convert(missing, expected, "w/model.json"));
        assertEquals("w/model.json: missing tensor 'bn4c_branch2b/gamma' (for layer3.2.bn2.weight) and 1 more",
                e.getMessage());

        Map<String, Tensor> extra = synthetic(expected);
        extra.put("res5d_branch2a/kernel", new Tensor(1, 1, 8, 2));
        e = assertThrows(BadInputException.class, () -> KerasResNetWeights.convert(extra, expected, "w/model.json"));
        assertEquals("w/model.json: unexpected tensor 'res5d_branch2a/kernel' (it would be 'layer4.3.conv1.weight', "
                + "which this model does not have)", e.getMessage());

        Map<String, Tensor> foreign = synthetic(expected);
        foreign.put("conv1_conv/kernel", new Tensor(7, 7, 3, 1));
        e = assertThrows(BadInputException.class, () -> KerasResNetWeights.convert(foreign, expected, "w/model.json"));
        assertEquals("w/model.json: unexpected tensor 'conv1_conv/kernel' (not a Keras ResNet50 weight name)", e.getMessage());

        Map<String, Tensor> wrong = synthetic(expected);
        wrong.put("res2a_branch2b/kernel", new Tensor(1, 1, 1, 1));       // a 3x3 kernel given as 1x1
        e = assertThrows(BadInputException.class, () -> KerasResNetWeights.convert(wrong, expected, "w/model.json"));
        assertEquals("w/model.json: tensor 'res2a_branch2b/kernel' (layer1.0.conv2.weight): expected shape "
                + "[3, 3, 1, 1], found [1, 1, 1, 1]", e.getMessage());
    }

    /** A full-size resnet50-keras built from Keras tensors: class count and input channels come from the file. */
    @Test
    void loadResNet50BuildsTheModelFromTheFile() {
        Map<String, int[]> shapes = new LinkedHashMap<>(realKerasNames());
        shapes.put("fc1000/kernel", new int[] {2048, 7});
        shapes.put("fc1000/bias", new int[] {7});
        Map<String, Tensor> keras = new LinkedHashMap<>();
        shapes.forEach((k, s) -> keras.put(k, new Tensor(s)));
        keras.get("fc1000/kernel").set(0.5f, 2047, 6);
        keras.get("conv1/bias").data[63] = -2f;
        ResNet m = KerasResNetWeights.loadResNet50(keras, "model.json");
        assertEquals("resnet50-keras", m.config.name());
        assertEquals(7, m.numClasses());
        assertEquals(0.5f, m.fc().weight.value.get(6, 2047));
        assertEquals(-2f, m.conv1.bias.value.data[63]);

        keras.remove("fc1000/kernel");
        BadInputException e = assertThrows(BadInputException.class, () -> KerasResNetWeights.loadResNet50(keras, "model.json"));
        assertTrue(e.getMessage().startsWith("model.json: tensor 'fc1000/kernel'"), e.getMessage());
    }

    /** Keras tensors (Keras names and layouts) for {@code ours}, each element a distinct value. */
    static Map<String, Tensor> synthetic(Map<String, int[]> ours) {
        Map<String, Tensor> keras = new LinkedHashMap<>();
        int[] counter = {0};
        ours.forEach((name, shape) -> {
            if (name.endsWith("num_batches_tracked")) return;
            Tensor t = new Tensor(KerasResNetWeights.kerasShape(shape));
            for (int i = 0; i < t.size(); i++) t.data[i] = ++counter[0];
            keras.put(KerasResNetWeights.kerasName(name), t);
        });
        return keras;
    }
}
