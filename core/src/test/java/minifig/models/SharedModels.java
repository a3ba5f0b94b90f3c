package minifig.models;

/**
 * Full-size models built once per test JVM for tests that only read names and shapes (building a
 * resnet50 draws 25M Gaussians: seconds on a busy machine). Tests that change a model build their own.
 */
final class SharedModels {
    private SharedModels() {}

    private static ResNet resnet50, resnet50Keras;

    static synchronized ResNet resnet50() {
        if (resnet50 == null) resnet50 = (ResNet) Models.create("resnet50", 1000, 3, 1L);
        return resnet50;
    }

    static synchronized ResNet resnet50Keras() {
        if (resnet50Keras == null) resnet50Keras = (ResNet) Models.create("resnet50-keras", 1000, 3, 1L);
        return resnet50Keras;
    }
}
