package minifig.models;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import minifig.BadInputException;
import minifig.nn.Module;
import minifig.tensor.Tensor;

/**
 * Keras Applications ResNet50 weights (as listed in a TF.js manifest) -> our resnet50-keras state_dict.
 *
 * <pre>
 * Keras name                                   our name
 * conv1/kernel, conv1/bias                     conv1.weight, conv1.bias
 * bn_conv1/gamma|beta|moving_mean|moving_variance   bn1.weight|bias|running_mean|running_var
 * res{S}{B}_branch2a|2b|2c/kernel|bias         layer{S-1}.{B}.conv1|conv2|conv3.weight|bias
 * bn{S}{B}_branch2a|2b|2c/...                  layer{S-1}.{B}.bn1|bn2|bn3.*
 * res{S}{B}_branch1/..., bn{S}{B}_branch1/...  layer{S-1}.{B}.downsample.0.*, downsample.1.*  (the shortcut)
 * fc1000/kernel|bias                           fc.weight, fc.bias
 *     S = stage 2..5 -> layer1..layer4;  B = block letter a..f -> index 0..5
 * </pre>
 *
 * Layouts: a Keras conv kernel is [kh, kw, in, out] and becomes OIHW [out, in, kh, kw]; a Dense kernel
 * [in, out] becomes [out, in]; vectors are unchanged. Keras BatchNorm has no batch counter, so every
 * num_batches_tracked is set to 0. fc1000 outputs logits here; Keras applies softmax inside that layer.
 */
public final class KerasResNetWeights {
    private KerasResNetWeights() {}

    private static final Pattern BLOCK = Pattern.compile("(res|bn)([2-5])([a-f])_branch(2a|2b|2c|1)/(\\w+)");
    private static final List<String> BN_KERAS = List.of("gamma", "beta", "moving_mean", "moving_variance");
    private static final List<String> BN_OURS = List.of("weight", "bias", "running_mean", "running_var");

    /** Our state_dict name for a Keras weight name, or null when it is not a Keras ResNet50 weight name. */
    public static String ourName(String keras) {
        int slash = keras.lastIndexOf('/');
        if (slash < 0) return null;
        String layer = keras.substring(0, slash), field = keras.substring(slash + 1);
        switch (layer) {
            case "conv1": return convField("conv1.", field);
            case "bn_conv1": return bnField("bn1.", field);
            case "fc1000": return convField("fc.", field);
            default: break;
        }
        Matcher m = BLOCK.matcher(keras);
        if (!m.matches()) return null;
        String block = "layer" + (m.group(2).charAt(0) - '1') + "." + (m.group(3).charAt(0) - 'a') + ".";
        boolean conv = m.group(1).equals("res");
        String branch = m.group(4);
        String module = branch.equals("1")
                ? (conv ? "downsample.0." : "downsample.1.")
                : (conv ? "conv" : "bn") + (branch.charAt(1) - 'a' + 1) + ".";
        return conv ? convField(block + module, m.group(5)) : bnField(block + module, m.group(5));
    }

    private static String convField(String prefix, String field) {
        return switch (field) {
            case "kernel" -> prefix + "weight";
            case "bias" -> prefix + "bias";
            default -> null;
        };
    }

    private static String bnField(String prefix, String field) {
        int i = BN_KERAS.indexOf(field);
        return i < 0 ? null : prefix + BN_OURS.get(i);
    }

    /**
     * Converts Keras tensors (Keras layouts) to our names and layouts, checked against {@code expected}
     * (our name -> OIHW shape, e.g. {@link #shapes} of the target model), in {@code expected}'s order.
     * Every expected tensor must come from exactly one Keras tensor except num_batches_tracked (set to 0).
     * Errors are BadInputExceptions naming {@code source}, the Keras tensor, and the expected and found shapes.
     */
    public static Map<String, Tensor> convert(Map<String, Tensor> keras, Map<String, int[]> expected, String source) {
        Map<String, Tensor> mapped = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : keras.entrySet()) {
            String k = e.getKey(), ours = ourName(k);
            if (ours == null) {
                throw new BadInputException(source + ": unexpected tensor '" + k + "' (not a Keras ResNet50 weight name)");
            }
            int[] want = expected.get(ours);
            if (want == null) {
                throw new BadInputException(source + ": unexpected tensor '" + k + "' (it would be '" + ours
                        + "', which this model does not have)");
            }
            Tensor t = e.getValue();
            int[] wantKeras = kerasShape(want);
            if (!Arrays.equals(t.shape, wantKeras)) {
                throw new BadInputException(source + ": tensor '" + k + "' (" + ours + "): expected shape "
                        + Arrays.toString(wantKeras) + ", found " + t.shapeString());
            }
            mapped.put(ours, toOurLayout(t));
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            String name = e.getKey();
            Tensor t = mapped.get(name);
            if (t == null && name.endsWith(".num_batches_tracked")) t = new Tensor(e.getValue());
            if (t == null) missing.add(name);
            else out.put(name, t);
        }
        if (!missing.isEmpty()) {
            String first = missing.get(0);
            throw new BadInputException(source + ": missing tensor '" + kerasName(first) + "' (for " + first + ")"
                    + (missing.size() > 1 ? " and " + (missing.size() - 1) + " more" : ""));
        }
        return out;
    }

    /**
     * Builds a resnet50-keras (class count from fc1000/kernel, input channels from conv1/kernel) holding the
     * converted weights.
     */
    public static ResNet loadResNet50(Map<String, Tensor> keras, String source) {
        Tensor fcK = keras.get("fc1000/kernel"), c1 = keras.get("conv1/kernel");
        if (fcK == null || fcK.rank() != 2) {
            throw new BadInputException(source + ": tensor 'fc1000/kernel': expected a [2048, classes] Dense kernel, found "
                    + (fcK == null ? "nothing" : fcK.shapeString()));
        }
        if (c1 == null || c1.rank() != 4) {
            throw new BadInputException(source + ": tensor 'conv1/kernel': expected a [7, 7, channels, 64] kernel, found "
                    + (c1 == null ? "nothing" : c1.shapeString()));
        }
        ResNet model = new ResNet(ResNetConfig.RESNET50_KERAS, fcK.shape[1], c1.shape[2], 0L);
        model.load(convert(keras, shapes(model), source), true);
        return model;
    }

    /** Our name -> shape for every parameter and buffer of {@code model}, in state_dict order. */
    public static Map<String, int[]> shapes(Module model) {
        Map<String, int[]> out = new LinkedHashMap<>();
        model.stateDict().tensors().forEach((k, t) -> out.put(k, t.shape.clone()));
        return out;
    }

    /** The Keras name our tensor {@code ours} comes from (inverse of {@link #ourName}), or null. */
    public static String kerasName(String ours) {
        String[] p = ours.split("\\.");
        String field = p[p.length - 1];
        if (p.length == 2) {
            return switch (p[0]) {
                case "conv1" -> "conv1/" + kerasConvField(field);
                case "bn1" -> "bn_conv1/" + kerasBnField(field);
                case "fc" -> "fc1000/" + kerasConvField(field);
                default -> null;
            };
        }
        if (!p[0].startsWith("layer") || p.length < 4) return null;
        String block = (char) ('1' + Integer.parseInt(p[0].substring(5))) + "" + (char) ('a' + Integer.parseInt(p[1]))
                + "_branch";
        boolean conv;
        String branch;
        if (p[2].equals("downsample")) {
            conv = p[3].equals("0");
            branch = "1";
        } else {
            conv = p[2].startsWith("conv");
            branch = "2" + (char) ('a' + p[2].charAt(p[2].length() - 1) - '1');
        }
        return conv ? "res" + block + branch + "/" + kerasConvField(field) : "bn" + block + branch + "/" + kerasBnField(field);
    }

    private static String kerasConvField(String f) { return f.equals("weight") ? "kernel" : f; }

    private static String kerasBnField(String f) {
        int i = BN_OURS.indexOf(f);
        return i < 0 ? f : BN_KERAS.get(i);
    }

    /** Our shape -> the Keras shape it comes from: OIHW -> [kh, kw, in, out], [out, in] -> [in, out]. */
    static int[] kerasShape(int[] ours) {
        if (ours.length == 4) return new int[] {ours[2], ours[3], ours[1], ours[0]};
        if (ours.length == 2) return new int[] {ours[1], ours[0]};
        return ours.clone();
    }

    /** Keras layout -> ours: conv [kh, kw, in, out] -> [out, in, kh, kw]; dense [in, out] -> [out, in]. */
    static Tensor toOurLayout(Tensor t) {
        if (t.rank() == 4) {
            int KH = t.shape[0], KW = t.shape[1], I = t.shape[2], O = t.shape[3];
            Tensor r = new Tensor(O, I, KH, KW);
            for (int h = 0; h < KH; h++)
                for (int w = 0; w < KW; w++)
                    for (int i = 0; i < I; i++)
                        for (int o = 0; o < O; o++)
                            r.data[((o * I + i) * KH + h) * KW + w] = t.data[((h * KW + w) * I + i) * O + o];
            return r;
        }
        if (t.rank() == 2) {
            int I = t.shape[0], O = t.shape[1];
            Tensor r = new Tensor(O, I);
            for (int i = 0; i < I; i++) for (int o = 0; o < O; o++) r.data[o * I + i] = t.data[i * O + o];
            return r;
        }
        return t.copy();
    }
}
