package minifig.io;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import minifig.BadInputException;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TfjsReaderTest {
    @TempDir Path dir;

    /** Copies the fixture model into the temp folder, applies {@code edit} to its model.json, returns its path. */
    Path copy(Consumer<ObjectNode> edit) throws IOException {
        Path src = Fixtures.path("tfjs/model.json").getParent();
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Path json = dir.resolve("model.json");
        ObjectNode root = (ObjectNode) Safetensors.JSON.readTree(json.toFile());
        edit.accept(root);
        Files.write(json, Safetensors.JSON.writeValueAsBytes(root));
        return json;
    }

    static ObjectNode weight(ObjectNode root, int group, int i) {
        return (ObjectNode) root.get("weightsManifest").get(group).get("weights").get(i);
    }

    @Test
    void readsShardedWeightsInManifestOrderWithKerasShapes() {
        TfjsModel m = TfjsReader.read(Fixtures.path("tfjs/model.json"));
        assertEquals(List.of("conv/kernel", "conv/bias", "dense/kernel", "dense/bias", "bn/gamma", "step"), List.copyOf(m.tensors().keySet()));
        // conv/kernel (48 bytes) straddles shards 1 and 2 (40 bytes each); dense/kernel straddles 2 and 3
        PthReaderTest.assertSameTensors(Safetensors.read(Fixtures.path("tfjs/expected.safetensors")), toFile(m));
        assertArrayEquals(new int[] {2, 2, 1, 3}, m.tensor("conv/kernel").shape);
        assertEquals(DType.I32, m.dtypes().get("step"));
        assertArrayEquals(new float[] {5, -6}, m.tensor("step").data);
        assertEquals(12 + 3 + 6 + 2 + 2 + 2, m.elementCount());
        assertEquals("Conv2D", m.topology().at("/model_config/config/layers/0/class_name").asText());
        assertEquals("layers-model", m.json().get("format").asText());
    }

    static TensorFile toFile(TfjsModel m) {
        return new TensorFile(m.tensors(), m.dtypes(), new Metadata());
    }

    private String fails(Path json) {
        BadInputException e = assertThrows(BadInputException.class, () -> TfjsReader.read(json));
        assertTrue(e.getMessage().startsWith(json + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void missingShard() throws IOException {
        Path json = copy(r -> {});
        Files.delete(dir.resolve("group1-shard2of3.bin"));
        assertTrue(fails(json).contains("weightsManifest[0]: shard group1-shard2of3.bin is missing"));
    }

    @Test
    void shardSizesMustAddUp() throws IOException {
        Path json = copy(r -> {});
        Files.write(dir.resolve("group1-shard3of3.bin"), new byte[8]);
        assertTrue(fails(json).contains("weightsManifest[0]: the weights need 92 bytes, the 3 shard(s) hold 88 bytes"));
        Path json2 = copy(r -> ((ArrayNode) weight(r, 0, 1).get("shape")).set(0, 4)); // conv/bias [4]: 4 more bytes
        Files.write(dir.resolve("group1-shard3of3.bin"), new byte[12]);
        assertTrue(fails(json2).contains("the weights need 96 bytes, the 3 shard(s) hold 92 bytes"));
    }

    @Test
    void unsupportedDtypesAndQuantizationAreRejected() throws IOException {
        assertTrue(fails(copy(r -> weight(r, 0, 0).put("dtype", "float16")))
                .contains("weight 'conv/kernel': dtype: expected 'float32' or 'int32', found string \"float16\""));
        Path q = copy(r -> weight(r, 0, 0).putObject("quantization").put("dtype", "uint8").put("scale", 0.1));
        assertTrue(fails(q).contains("weight 'conv/kernel': quantized weights ({\"dtype\":\"uint8\",\"scale\":0.1}) are not supported"));
    }

    @Test
    void malformedManifests() throws IOException {
        assertTrue(fails(copy(r -> r.remove("weightsManifest"))).contains("weightsManifest: expected an array, found nothing (missing)"));
        assertTrue(fails(copy(r -> r.put("format", "graph-model"))).contains("format: expected 'layers-model', found 'graph-model'"));
        assertTrue(fails(copy(r -> ((ArrayNode) weight(r, 0, 0).get("shape")).set(0, -2))).contains("weight 'conv/kernel': shape[0]: expected a non-negative integer, found -2"));
        assertTrue(fails(copy(r -> weight(r, 0, 1).put("name", "conv/kernel"))).contains("weight 'conv/kernel': duplicate name"));
        assertTrue(fails(copy(r -> ((ArrayNode) r.get("weightsManifest").get(1).get("paths")).set(0, "../../etc/passwd")))
                .contains("weightsManifest[1].paths[0]: expected a file inside"));
        Path json = copy(r -> {});
        Files.writeString(json, "{\"modelTopology\": {}, \"weightsManifest\": [");
        assertTrue(fails(json).contains("invalid JSON at line 1, column"));
        assertTrue(fails(dir.resolve("absent.json")).endsWith("absent.json: file not found"));
    }

    @Test
    void labelsFromObjectOrArray() throws IOException {
        Path obj = dir.resolve("labels.json");
        Files.writeString(obj, "{\"1\": \"goldfish\", \"0\": \"tench\", \"2\": \"great_white_shark\"}");
        assertEquals(List.of("tench", "goldfish", "great_white_shark"), Labels.read(obj));
        Files.writeString(obj, "[\"a\", \"b\"]");
        assertEquals(List.of("a", "b"), Labels.read(obj));
        for (String[] c : new String[][] {
            {"{\"0\": \"a\", \"2\": \"c\"}", "key '2': expected a class index 0..1"},
            {"{\"0\": \"a\", \"01\": \"b\"}", "key '01': expected a class index 0..1"},
            {"[\"a\", 3]", "[1]: expected a class name, found number 3"},
            {"[]", "expected at least one class name, found none"},
            {"\"tench\"", "expected a JSON array of class names or an object {\"0\": name, ...}, found string"},
        }) {
            Files.writeString(obj, c[0]);
            BadInputException e = assertThrows(BadInputException.class, () -> Labels.read(obj));
            assertEquals(obj + ": " + c[1], e.getMessage().substring(0, Math.min(e.getMessage().length(), (obj + ": " + c[1]).length())), c[0]);
        }
    }

    @Test
    void kerasConvKernelToOihw() {
        Tensor k = new Tensor(3, 2, 4, 5); // [kh, kw, in, out]
        for (int i = 0; i < k.size(); i++) k.data[i] = i;
        Tensor w = KerasLayout.convKernelToOihw(k);
        assertArrayEquals(new int[] {5, 4, 3, 2}, w.shape);
        for (int o = 0; o < 5; o++)
            for (int i = 0; i < 4; i++)
                for (int y = 0; y < 3; y++)
                    for (int x = 0; x < 2; x++) assertEquals(k.get(y, x, i, o), w.get(o, i, y, x));
        assertThrows(IllegalArgumentException.class, () -> KerasLayout.convKernelToOihw(new Tensor(3, 3)));
    }

    @Test
    void kerasDenseToOutIn() {
        Tensor k = new Tensor(new float[] {1, 2, 3, 4, 5, 6}, 2, 3); // [in=2, out=3]
        Tensor w = KerasLayout.denseToOutIn(k);
        assertArrayEquals(new int[] {3, 2}, w.shape);
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, w.data);
        assertThrows(IllegalArgumentException.class, () -> KerasLayout.denseToOutIn(new Tensor(2, 2, 2)));
    }
}
