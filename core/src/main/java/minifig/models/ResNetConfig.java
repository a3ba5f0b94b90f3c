package minifig.models;

import minifig.data.Preprocessing;

import java.util.List;

/**
 * What distinguishes one ResNet from another: block type, blocks per stage, width, and the details in which
 * the Keras ResNet50 differs from torchvision's (conv biases, BatchNorm eps, where the stride sits).
 *
 * <pre>
 *                   block       layers        conv bias  BN eps  stride of a stage's first bottleneck
 * resnet18          basic       [2, 2, 2, 2]  no         1e-5    -
 * resnet34          basic       [3, 4, 6, 3]  no         1e-5    -
 * resnet50          bottleneck  [3, 4, 6, 3]  no         1e-5    on the 3x3 conv (torchvision "v1.5")
 * resnet50-keras    bottleneck  [3, 4, 6, 3]  yes        1e-3    on the first 1x1 conv (original paper, "v1")
 * </pre>
 *
 * @param name             model name as used by {@link Models#create} and the CLI
 * @param bottleneck       bottleneck blocks (1x1, 3x3, 1x1; expansion 4) instead of basic (3x3, 3x3)
 * @param layers           blocks per stage, layer1..layer4
 * @param width            channels of the stem and of layer1's 3x3 convs (64); tests shrink it for speed
 * @param convBias         every conv (stem, blocks, shortcuts) has a bias (Keras)
 * @param bnEps            BatchNorm epsilon (PyTorch 1e-5, Keras 1e-3)
 * @param strideOnFirst1x1 a bottleneck's stride sits on its first 1x1 conv instead of its 3x3 conv
 * @param norm             how input photos are normalised for this architecture (torchvision's ImageNet mean/std, or Caffe's BGR mean subtraction)
 */
public record ResNetConfig(String name, boolean bottleneck, List<Integer> layers, int width, boolean convBias,
                           float bnEps, boolean strideOnFirst1x1, Preprocessing.Mode norm) {

    /** BatchNorm momentum (PyTorch convention: new = (1 - m) * old + m * batch) for every variant. */
    public static final float BN_MOMENTUM = 0.1f;
    /** Output channels of a block = planes * expansion. */
    public static final int BOTTLENECK_EXPANSION = 4;

    public static final ResNetConfig RESNET18 =
            new ResNetConfig("resnet18", false, List.of(2, 2, 2, 2), 64, false, 1e-5f, false, Preprocessing.Mode.TORCH);
    public static final ResNetConfig RESNET34 =
            new ResNetConfig("resnet34", false, List.of(3, 4, 6, 3), 64, false, 1e-5f, false, Preprocessing.Mode.TORCH);
    public static final ResNetConfig RESNET50 =
            new ResNetConfig("resnet50", true, List.of(3, 4, 6, 3), 64, false, 1e-5f, false, Preprocessing.Mode.TORCH);
    /**
     * The Keras Applications ResNet50 (its weights' layer names are res2a_branch2a, bn_conv1, fc1000, ...).
     * Its BN momentum in Keras is 0.99 (PyTorch 0.01); we train with {@link #BN_MOMENTUM} like the others,
     * which changes nothing at inference and only the running-statistics update speed in fine-tuning.
     */
    public static final ResNetConfig RESNET50_KERAS =
            new ResNetConfig("resnet50-keras", true, List.of(3, 4, 6, 3), 64, true, 1e-3f, true, Preprocessing.Mode.CAFFE);

    public static final List<ResNetConfig> ALL = List.of(RESNET18, RESNET34, RESNET50, RESNET50_KERAS);

    public ResNetConfig {
        layers = List.copyOf(layers);
        if (layers.size() != 4) throw new IllegalArgumentException("a ResNet has 4 stages, got " + layers);
        for (int n : layers) if (n <= 0) throw new IllegalArgumentException("blocks per stage must be positive: " + layers);
        if (width <= 0) throw new IllegalArgumentException("width must be positive, got " + width);
        if (!(bnEps > 0)) throw new IllegalArgumentException("BatchNorm eps must be positive, got " + bnEps);
    }

    /** The config named {@code name}, or null. */
    public static ResNetConfig byName(String name) {
        for (ResNetConfig c : ALL) if (c.name.equals(name)) return c;
        return null;
    }

    /** The same architecture with another base width (names unchanged, shapes scaled): small nets for tests. */
    public ResNetConfig withWidth(int newWidth) {
        return new ResNetConfig(name, bottleneck, layers, newWidth, convBias, bnEps, strideOnFirst1x1, norm);
    }

    /** Output channels of a block whose 3x3 conv has {@code planes} channels. */
    public int expansion() { return bottleneck ? BOTTLENECK_EXPANSION : 1; }

    /** Channels entering the head: 8 * width * expansion (512 for resnet18/34, 2048 for resnet50). */
    public int featureDim() { return 8 * width * expansion(); }
}
