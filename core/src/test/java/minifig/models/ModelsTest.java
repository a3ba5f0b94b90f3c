package minifig.models;

import minifig.data.Preprocessing;
import minifig.data.RgbImage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import minifig.BadInputException;
import minifig.nn.Module;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The model registry and the per-architecture preprocessing data. */
class ModelsTest {

    @Test
    void createsEveryArchitectureByName() {
        assertEquals(java.util.List.of("custom", "resnet18", "resnet34", "resnet50", "resnet50-keras"), Models.NAMES);
        Module custom = Models.create("custom", 4, 3, 1L);
        assertInstanceOf(CustomNet.class, custom);
        assertArrayEquals(new int[] {2, 4}, custom.forward(new Tensor(2, 3, 8, 8), false).shape);
        ResNet gray = (ResNet) Models.create("resnet18", 6, 1, 1L);
        assertArrayEquals(new int[] {64, 1, 7, 7}, gray.conv1.weight.value.shape, "inChannels reaches conv1");
        assertArrayEquals(new int[] {2, 6}, gray.forward(new Tensor(2, 1, 32, 32), false).shape);
        for (String name : new String[] {"resnet34", "resnet50", "resnet50-keras"}) {
            assertSame(ResNetConfig.byName(name), Models.config(name));
        }
    }

    @Test
    void badNamesAndSizesAreClearErrors() {
        BadInputException e = assertThrows(BadInputException.class, () -> Models.create("resnet51", 10, 1L));
        assertEquals("model: unknown name 'resnet51', expected one of custom, resnet18, resnet34, resnet50, resnet50-keras",
                e.getMessage());
        assertThrows(BadInputException.class, () -> Models.create("resnet18", 0, 1L));
        assertThrows(BadInputException.class, () -> Models.create("resnet18", 3, 0, 1L));
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> new ResNet(ResNetConfig.RESNET18.withWidth(2), 3, 3, 1L).forward(new Tensor(1, 1, 32, 32), false));
        assertEquals("resnet18 input: expected [N, 3, H, W], got [1, 1, 32, 32]", shape.getMessage());
    }

    @Test
    void preprocessingIsTorchvisionStyleExceptForTheKerasNet() {
        Preprocessing torch = Models.preprocessing("resnet18", 256, 224);
        assertEquals(Preprocessing.torch(256, 224), torch);
        assertEquals(Preprocessing.Mode.TORCH, Models.preprocessing("custom", 73, 64).mode());
        assertEquals(256, torch.resize());
        assertEquals(224, torch.crop());
        float[] t = firstPixel(torch, 255, 0, 128);
        assertArrayEquals(new float[] {(1 - 0.485f) / 0.229f, -0.456f / 0.224f, (128 / 255f - 0.406f) / 0.225f}, t, 1e-5f);

        Preprocessing caffe = Models.preprocessing("resnet50-keras", 224, 224);
        assertEquals(Preprocessing.Mode.CAFFE, caffe.mode());
        assertEquals(224, caffe.crop());
        // RGB (255, 128, 0) -> BGR (0, 128, 255) minus the B, G, R means, no scaling.
        float[] c = firstPixel(caffe, 255, 128, 0);
        assertArrayEquals(new float[] {0 - 103.939f, 128 - 116.779f, 255 - 123.68f}, c, 1e-4f);
    }

    /** The three output channels of the top-left pixel of a constant (r, g, b) photo. */
    private static float[] firstPixel(Preprocessing pp, int r, int g, int b) {
        int plane = pp.crop() * pp.crop();
        float[] out = new float[3 * plane];
        pp.normalizeInto(RgbImage.constant(pp.crop(), pp.crop(), r, g, b), out, 0);
        return new float[] {out[0], out[plane], out[2 * plane]};
    }
}
