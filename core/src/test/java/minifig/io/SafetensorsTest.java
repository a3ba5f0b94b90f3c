package minifig.io;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import minifig.BadInputException;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SafetensorsTest {
    @TempDir Path dir;

    static Tensor ramp(float scale, int... shape) {
        Tensor t = new Tensor(shape);
        for (int i = 0; i < t.size(); i++) t.data[i] = (i - t.size() / 2f) * scale;
        return t;
    }

    /** The checkpoint whose bytes are committed as io/java_written.safetensors and checked by gen_io_fixtures.py. */
    static List<Safetensors.Entry> referenceEntries() {
        List<Safetensors.Entry> e = new ArrayList<>();
        e.add(new Safetensors.Entry("conv1.weight", ramp(0.25f, 2, 1, 3, 3), DType.F32));
        e.add(new Safetensors.Entry("bn1.weight", ramp(0.5f, 3), DType.F32)); // 12 bytes: misaligns the I64 below
        e.add(new Safetensors.Entry("bn1.num_batches_tracked", new Tensor(new float[] {7}), DType.I64));
        e.add(new Safetensors.Entry("fc.bias", ramp(1f, 5), DType.F16));
        e.add(new Safetensors.Entry("fc.weight", ramp(0.125f, 5, 2), DType.F64));
        e.add(new Safetensors.Entry("emb", ramp(0.75f, 4), DType.BF16));
        e.add(new Safetensors.Entry("empty", new Tensor(0, 3), DType.F32));
        return e;
    }

    static Metadata referenceMetadata() {
        return new Metadata().put("format", "minifig/1").putJson("classes", List.of("tench", "goldfish"))
                .putJson("metrics", Map.of("top1", 0.5));
    }

    @Test
    void roundTripIsBitExactWithMetadataAndOrder() {
        Random rng = new Random(1);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("layer1.0.conv1.weight", new Tensor(4, 3, 3, 3).randn(rng, 1));
        tensors.put("layer1.0.bn1.running_var", new Tensor(4).uniform(rng, 2));
        tensors.put("layer1.0.bn1.num_batches_tracked", new Tensor(new float[] {1234}));
        Tensor special = new Tensor(new float[] {Float.NaN, Float.POSITIVE_INFINITY, -0f, Float.MIN_VALUE, -Float.MAX_VALUE}, 5);
        tensors.put("a.special", special);
        tensors.put("a.scalar", new Tensor(new float[] {3.5f}, new int[0]));
        Metadata md = new Metadata().put("epoch", "3").putJson("arch", Map.of("name", "resnet50", "width", 64));
        Path f = dir.resolve("ck.safetensors");
        Safetensors.write(f, tensors, md);

        TensorFile r = Safetensors.read(f);
        assertEquals(List.copyOf(tensors.keySet()), List.copyOf(r.tensors().keySet()));
        for (var e : tensors.entrySet()) {
            Tensor got = r.tensor(e.getKey());
            assertArrayEquals(e.getValue().shape, got.shape, e.getKey());
            for (int i = 0; i < got.size(); i++) {
                assertEquals(Float.floatToRawIntBits(e.getValue().data[i]), Float.floatToRawIntBits(got.data[i]), e.getKey());
            }
        }
        assertEquals(DType.I64, r.dtypes().get("layer1.0.bn1.num_batches_tracked"));
        assertEquals(DType.F32, r.dtypes().get("a.special"));
        assertEquals(md, r.metadata());
        assertEquals("3", r.metadata().require("epoch"));
        JsonNode arch = r.metadata().json("arch");
        assertEquals("resnet50", arch.get("name").asText());
        assertEquals(64, arch.get("width").asInt());
        assertEquals(Map.of("name", "resnet50", "width", 64), r.metadata().json("arch", Map.class));
    }

    @Test
    void headerIsSpacePaddedTo8AndDtypesFollowEntries() throws IOException {
        byte[] bytes = Safetensors.toBytes(referenceEntries(), referenceMetadata());
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"format\":\"minifig/1\""), header);
        assertTrue(header.contains("\"bn1.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[84,92]}"), header);
        // int64 7 little-endian right where the header says
        assertEquals(7L, ByteBuffer.wrap(bytes, 8 + (int) n + 84, 8).order(ByteOrder.LITTLE_ENDIAN).getLong());
        Path f = dir.resolve("x.safetensors");
        Files.write(f, bytes);
        TensorFile r = Safetensors.read(f);
        assertEquals(List.of("conv1.weight", "bn1.weight", "bn1.num_batches_tracked", "fc.bias", "fc.weight", "emb", "empty"),
                List.copyOf(r.tensors().keySet()));
        // every dtype round-trips these values exactly (they are representable in each)
        for (Safetensors.Entry e : referenceEntries()) {
            assertArrayEquals(e.tensor().data, r.tensor(e.name()).data, e.name());
            assertEquals(e.dtype(), r.dtypes().get(e.name()));
        }
    }

    /** Bytes of our writer are pinned; gen_io_fixtures.py checks the same bytes with a strict reader and torch. */
    @Test
    void writerOutputMatchesCommittedFileCheckedByPython() throws IOException {
        byte[] bytes = Safetensors.toBytes(referenceEntries(), referenceMetadata());
        String regen = System.getProperty("minifig.io.regenerate");
        if (regen != null) Files.write(Path.of(regen, "java_written.safetensors"), bytes);
        assertArrayEquals(Fixtures.bytes("java_written.safetensors"), bytes);
    }

    /** A file written in Python by the reference layout: tensors sorted by dtype size then name, compact JSON. */
    @Test
    void readsFileWrittenByPython() {
        TensorFile r = Safetensors.read(Fixtures.path("ref_python.safetensors"));
        assertEquals("python", r.metadata().require("writer"));
        Tensor w = r.tensor("w");
        assertArrayEquals(new int[] {2, 3}, w.shape);
        for (int i = 0; i < 6; i++) assertEquals(i * 0.5f - 1, w.data[i]);
        assertEquals(DType.F64, r.dtypes().get("d"));
        assertArrayEquals(new float[] {0.1f, 0.2f}, r.tensor("d").data);
        assertEquals(DType.I64, r.dtypes().get("n"));
        assertArrayEquals(new float[] {-3, 1L << 20}, r.tensor("n").data);
        assertEquals(DType.F16, r.dtypes().get("h"));
        assertArrayEquals(new float[] {1.5f, -2f, 65504f}, r.tensor("h").data);
        assertEquals(DType.BF16, r.dtypes().get("b"));
        assertArrayEquals(new float[] {1f, -0.5f, 3.140625f}, r.tensor("b").data);
        assertEquals(DType.I32, r.dtypes().get("i"));
        assertArrayEquals(new float[] {-7, 8}, r.tensor("i").data);
        assertEquals(DType.U8, r.dtypes().get("u"));
        assertArrayEquals(new float[] {0, 255}, r.tensor("u").data);
    }

    @Test
    void integerDtypesRefuseNonIntegralValues() {
        var e = List.of(new Safetensors.Entry("x.num_batches_tracked", new Tensor(new float[] {1.5f}), DType.I64));
        assertThrows(IllegalArgumentException.class, () -> Safetensors.toBytes(e, null));
    }

    // ---- malformed files: each fails with one line naming the file, the field and what was expected ----

    static byte[] file(long headerLen, String header, int dataLen) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataLen).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLen).put(h);
        return b.array();
    }

    static byte[] file(String header, int dataLen) {
        return file(header.getBytes(StandardCharsets.UTF_8).length, header, dataLen);
    }

    private BadInputException fails(byte[] bytes) throws IOException {
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, bytes);
        BadInputException e = assertThrows(BadInputException.class, () -> Safetensors.read(f));
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e;
    }

    private static final String T = "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "invalid JSON          | {\"t\":{\"dtype\":\"F32\",                                                  | 0  | header: invalid JSON",
        "not an object         | [1,2]                                                                        | 0  | expected a JSON object",
        "entry not object      | {\"t\":5}                                                                    | 0  | tensor 't': expected an object, found number 5",
        "missing dtype         | {\"t\":{\"shape\":[2],\"data_offsets\":[0,8]}}                               | 8  | tensor 't': field 'dtype': expected a string, found nothing",
        "missing shape         | {\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}                           | 8  | field 'shape': expected an array",
        "missing offsets       | {\"t\":{\"dtype\":\"F32\",\"shape\":[2]}}                                     | 8  | field 'data_offsets': expected [begin, end]",
        "unknown dtype         | {\"t\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}          | 2  | dtype: expected one of [F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL], found 'F8_E4M3'",
        "negative dim          | {\"t\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}            | 8  | shape[0]: expected a non-negative integer, found -2",
        "fractional dim        | {\"t\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,8]}}           | 8  | shape[0]: expected a non-negative integer, found 1.5",
        "size mismatch         | {\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}             | 8  | shape [3] x F32 needs 12 bytes, but data_offsets [0, 8] span 8 bytes",
        "huge shape            | {\"t\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,4],\"data_offsets\":[0,8]}} | 8 | needs more than 2^31 elements",
        "offsets reversed      | {\"t\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}             | 8  | data_offsets [8, 0]: expected begin <= end",
        "negative offset       | {\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}            | 8  | data_offsets[0]: expected a non-negative integer, found -8",
        "offset out of range   | {\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}            | 8  | data_offsets [8, 16] run past the end of the 8-byte data section",
        "gap                   | {\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}              | 8  | tensor 't': data_offsets: expected begin 0 (right after the previous tensor), found 4",
        "overlap               | {\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}} | 8 | tensor 'b': data_offsets [4, 8] overlap tensor 'a' [0, 8]",
        "trailing bytes        | {\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}             | 12 | data section: expected 8 bytes (the end of the last tensor), found 12 bytes",
        "duplicate key         | {\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}} | 8 | Duplicate field 't'",
        "metadata not object   | {\"__metadata__\":[1]}                                                       | 0  | header field '__metadata__': expected an object, found array",
        "metadata non-string   | {\"__metadata__\":{\"epoch\":3}}                                            | 0  | __metadata__ 'epoch': expected a string, found number 3",
    })
    void malformedHeaders(String what, String header, int dataLen, String message) throws IOException {
        BadInputException e = fails(file(header, dataLen));
        assertTrue(e.getMessage().contains(message), what + ": " + e.getMessage());
    }

    @Test
    void headerLengthProblems() throws IOException {
        assertTrue(fails(new byte[5]).getMessage().contains("header length: expected 8 bytes, found a 5-byte file"));
        assertTrue(fails(file(1000, T, 8)).getMessage().contains("header length: 1000 bytes runs past the end of the"));
        assertTrue(fails(file(200_000_000L, T, 8)).getMessage().contains("expected 2..100000000 bytes, found 200000000"));
        assertTrue(fails(file(-1L, T, 8)).getMessage().contains("found 18446744073709551615"));
        assertTrue(fails(file(0, "", 0)).getMessage().contains("header length: expected 2.."));
        String deep = "{\"t\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}"; // no StackOverflowError
        assertTrue(fails(file(deep, 0)).getMessage().contains("header: invalid JSON"));
        String notJson = "not json";
        assertTrue(fails(file(notJson, 0)).getMessage().contains("header: expected a JSON object starting with '{'"));
    }

    @Test
    void missingFileIsBadInput() {
        Path f = dir.resolve("nope.safetensors");
        BadInputException e = assertThrows(BadInputException.class, () -> Safetensors.read(f));
        assertEquals(f + ": file not found", e.getMessage());
    }

    @Test
    void validHandMadeFileWithZeroSizeTensorsReads() throws IOException {
        String h = "{\"z\":{\"dtype\":\"F32\",\"shape\":[0,4],\"data_offsets\":[0,0]},"
                + "\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        Path f = dir.resolve("ok.safetensors");
        byte[] b = file(h, 8);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putFloat(b.length - 8, 1.25f).putFloat(b.length - 4, -2f);
        Files.write(f, b);
        TensorFile r = Safetensors.read(f);
        assertArrayEquals(new float[] {1.25f, -2f}, r.tensor("t").data);
        assertArrayEquals(new int[] {0, 4}, r.tensor("z").shape);
        assertTrue(r.metadata().isEmpty());
        BadInputException e = assertThrows(BadInputException.class, () -> r.metadata().require("epoch"));
        assertEquals(f + ": metadata 'epoch': missing (found keys [])", e.getMessage());
    }

    @Test
    void metadataJsonErrorsNameTheKey() {
        Metadata m = new Metadata().put("arch", "{not json");
        BadInputException e = assertThrows(BadInputException.class, () -> m.json("arch"));
        assertTrue(e.getMessage().startsWith("metadata: metadata 'arch': expected JSON, found invalid JSON"), e.getMessage());
    }
}
