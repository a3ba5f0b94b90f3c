package minifig.models;

import java.util.List;
import java.util.Random;
import minifig.BadInputException;
import minifig.data.Preprocessing;
import minifig.nn.Module;

/**
 * The model registry: every architecture the trainer and the CLI can build, by name. One seed drives the
 * whole initialisation, so the same name, sizes and seed always give the same weights.
 */
public final class Models {
    private Models() {}

    /** Valid model names, in the order the CLI lists them. */
    public static final List<String> NAMES =
            List.of(CustomNet.NAME, "resnet18", "resnet34", "resnet50", "resnet50-keras");

    /**
     * A freshly initialised model. {@code inChannels} is the photo's channel count (3 for RGB; pretrained
     * weights need 3). Unknown names fail with a BadInputException listing the valid ones.
     */
    public static Module create(String name, int numClasses, int inChannels, long seed) {
        if (numClasses <= 0) throw new BadInputException("model '" + name + "': number of classes must be positive, got " + numClasses);
        if (inChannels <= 0) throw new BadInputException("model '" + name + "': input channels must be positive, got " + inChannels);
        if (CustomNet.NAME.equals(name)) return new CustomNet(inChannels, numClasses, new Random(seed)).heInit();
        return new ResNet(config(name), numClasses, inChannels, seed);
    }

    /** RGB input. */
    public static Module create(String name, int numClasses, long seed) { return create(name, numClasses, 3, seed); }

    /** The ResNet config for {@code name}; BadInputException for the custom net or an unknown name. */
    public static ResNetConfig config(String name) {
        ResNetConfig c = ResNetConfig.byName(name);
        if (c == null) throw unknown(name);
        return c;
    }

    /**
     * How photos are prepared for {@code name} at a {@code crop} x {@code crop} input after resizing the shorter
     * side to {@code resize}: torchvision's ImageNet recipe for the custom net and the torchvision ResNets,
     * Caffe style (BGR, mean subtraction on 0..255) for resnet50-keras.
     */
    public static Preprocessing preprocessing(String name, int resize, int crop) {
        Preprocessing.Mode mode = CustomNet.NAME.equals(name) ? Preprocessing.Mode.TORCH : config(name).norm();
        return mode == Preprocessing.Mode.CAFFE ? Preprocessing.caffe(resize, crop) : Preprocessing.torch(resize, crop);
    }

    private static BadInputException unknown(String name) {
        return new BadInputException("model: unknown name '" + name + "', expected one of " + String.join(", ", NAMES));
    }
}
