package minifig.data;

import minifig.BadInputException;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class PreprocessingTest {
    @Test
    void torchNormalisationInRgbOrder() {
        Preprocessing pp = Preprocessing.torch(2, 2);
        RgbImage img = RgbImage.constant(2, 2, 255, 0, 128);
        Tensor t = pp.toTensor(List.of(img));
        assertArrayEquals(new int[]{1, 3, 2, 2}, t.shape);
        assertEquals((1 - 0.485) / 0.229, t.get(0, 0, 1, 1), 1e-5);
        assertEquals((0 - 0.456) / 0.224, t.get(0, 1, 0, 0), 1e-5);
        assertEquals((128 / 255.0 - 0.406) / 0.225, t.get(0, 2, 1, 0), 1e-5);
    }

    @Test
    void caffeIsBgrMinusMeansOn0To255() {
        Preprocessing pp = Preprocessing.caffe(2, 2);
        Tensor t = pp.toTensor(List.of(RgbImage.constant(2, 2, 255, 0, 128)));
        assertEquals(128 - 103.939, t.get(0, 0, 0, 0), 1e-4);   // channel 0 = blue
        assertEquals(0 - 116.779, t.get(0, 1, 0, 0), 1e-4);
        assertEquals(255 - 123.68, t.get(0, 2, 0, 0), 1e-4);    // channel 2 = red
    }

    @Test
    void layoutIsChwPerImage() {
        Preprocessing pp = new Preprocessing(3, 2, Preprocessing.Mode.TORCH, new double[]{0, 0, 0}, new double[]{1 / 255.0, 1 / 255.0, 1 / 255.0}, Resize.Filter.BOX);
        RgbImage a = new RgbImage(2, 2), b = RgbImage.constant(2, 2, 7, 8, 9);
        a.set(1, 0, 2, 42);   // x=1, y=0, blue
        Tensor t = pp.toTensor(List.of(a, b));
        assertEquals(42, t.get(0, 2, 0, 1), 1e-4);
        assertEquals(42, t.data[2 * 4 + 0 * 2 + 1], 1e-4);
        assertEquals(8, t.get(1, 1, 1, 1), 1e-4);
    }

    @Test
    void resizeAndCropProducesTheInputSize() {
        Preprocessing pp = Preprocessing.torch(8, 6);
        RgbImage out = pp.resizeAndCrop(TransformsTest.random(20, 16, 1));
        assertEquals(6, out.width);
        assertEquals(6, out.height);
        assertEquals(6, pp.inputSize());
        // From a 20x16 image: shorter side 16 -> 8 (10x8), centre 6x6 at (2, 1).
        RgbImage full = Resize.resize(TransformsTest.random(20, 16, 1), 10, 8, Resize.Filter.TRIANGLE);
        assertArrayEquals(full.crop(2, 1, 6, 6).data, out.data);
    }

    @Test
    void jsonRoundTrip() {
        for (Preprocessing pp : List.of(Preprocessing.torch(256, 224), Preprocessing.caffe(256, 224))) {
            String json = pp.toJson();
            assertEquals(pp, Preprocessing.fromJson(json, "ckpt"));
        }
        assertEquals("{\"resize\":256,\"crop\":224,\"mode\":\"caffe\",\"mean\":[103.939,116.779,123.68],\"std\":[1.0,1.0,1.0],\"filter\":\"triangle\"}",
                Preprocessing.caffe(256, 224).toJson());
    }

    @Test
    void badJsonIsNamed() {
        String ok = Preprocessing.torch(256, 224).toJson();
        var e = assertThrows(BadInputException.class, () -> Preprocessing.fromJson(ok.replace("\"torch\"", "\"tf\""), "m.ckpt"));
        assertTrue(e.getMessage().startsWith("m.ckpt: preprocessing: expected {resize, crop, mode (torch|caffe)"), e.getMessage());
        e = assertThrows(BadInputException.class, () -> Preprocessing.fromJson(ok.replace("224", "300"), "m.ckpt"));
        assertTrue(e.getMessage().contains("expected 1 <= crop <= resize <= 4096, found resize 256, crop 300"), e.getMessage());
        e = assertThrows(BadInputException.class, () -> Preprocessing.fromJson("{\"resize\":256}", "m.ckpt"));
        assertFalse(e.getMessage().contains("\n"));
        e = assertThrows(BadInputException.class, () -> Preprocessing.fromJson(ok.replace("0.229,", ""), "m.ckpt"));
        assertTrue(e.getMessage().contains("expected 3 mean and 3 std values, found 3 and 2"), e.getMessage());
    }
}
