package minifig.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import minifig.BadInputException;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PthReaderTest {
    /** The path the malicious fixtures' payload (touch ...) would create if anything executed it. */
    static final Path MARKER = Path.of("/tmp/minifig-io-pwned-marker");

    @TempDir Path dir;

    @BeforeEach
    void noMarker() throws IOException {
        Files.deleteIfExists(MARKER);
    }

    static void assertSameTensors(TensorFile expected, TensorFile actual) {
        assertEquals(expected.tensors().keySet(), actual.tensors().keySet());
        for (var e : expected.tensors().entrySet()) {
            Tensor got = actual.tensor(e.getKey());
            assertArrayEquals(e.getValue().shape, got.shape, e.getKey());
            assertArrayEquals(e.getValue().data, got.data, e.getKey());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"pth/zip_mixed.pth", "pth/legacy_mixed.pth"})
    void mixedDtypesViewsAndSharedStorages(String name) {
        TensorFile r = PthReader.read(Fixtures.path(name));
        assertSameTensors(Safetensors.read(Fixtures.path("pth/expected_mixed.safetensors")), r);
        assertEquals(List.of("f32", "transposed", "slice", "row", "every_other", "f64", "i64", "f16", "bf16", "i32", "u8",
                "scalar", "empty"), List.copyOf(r.tensors().keySet()));
        assertEquals(DType.F64, r.dtypes().get("f64"));
        assertEquals(DType.I64, r.dtypes().get("i64"));
        assertEquals(DType.F16, r.dtypes().get("f16"));
        assertEquals(DType.BF16, r.dtypes().get("bf16"));
        assertEquals(DType.U8, r.dtypes().get("u8"));
        // base = arange(24).reshape(4, 6) * 0.5 - 3; the transposed view materialises contiguous
        Tensor tr = r.tensor("transposed");
        assertArrayEquals(new int[] {6, 4}, tr.shape);
        assertEquals(1 * 6 * 0.5f + 2 * 0.5f - 3, tr.get(2, 1)); // base[1][2]
        assertArrayEquals(new float[] {1, 1.5f, 2, 4, 4.5f, 5}, r.tensor("slice").data); // base[1:3, 2:5]
        assertArrayEquals(new float[] {3, 3.5f, 4, 4.5f, 5, 5.5f}, r.tensor("row").data); // base[2]
        assertEquals(0, r.tensor("scalar").rank());
        // tensors sharing a storage are independent copies after loading
        r.tensor("f32").data[0] = 99;
        assertNotEquals(99, r.tensor("transposed").data[0]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"pth/bn_module.pth", "pth/legacy_bn_module.pth", "pth/wrapped_model.pth"})
    void moduleStateDictWithBatchNorm(String name) {
        TensorFile r = PthReader.read(Fixtures.path(name));
        assertSameTensors(Safetensors.read(Fixtures.path("pth/expected_bn.safetensors")), r);
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                "1.num_batches_tracked", "4.weight", "4.bias"), List.copyOf(r.tensors().keySet()));
        assertEquals(DType.I64, r.dtypes().get("1.num_batches_tracked"));
        assertEquals(1f, r.tensor("1.num_batches_tracked").data[0]);
        assertArrayEquals(new int[] {3, 2, 3, 3}, r.tensor("0.weight").shape);
    }

    /** {"epoch", "state_dict", "optimizer" (momentum buffers, param_groups), "best", "note": None}. */
    @Test
    void trainingCheckpointPicksItsStateDict() {
        TensorFile r = PthReader.read(Fixtures.path("pth/wrapped_state_dict.pth"));
        assertSameTensors(Safetensors.read(Fixtures.path("pth/expected_wrapped.safetensors")), r);
        assertEquals(2f, r.tensor("1.num_batches_tracked").data[0]);
    }

    // ---------------------------------------------------------------- bad and malicious files

    private static BadInputException fails(Path f) {
        BadInputException e = assertThrows(BadInputException.class, () -> PthReader.read(f));
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "bad/not_a_zip.pth       | expected a PyTorch checkpoint (a zip archive, or a legacy pickle starting with 0x80), found bytes 74686973",
        "bad/truncated.pth       | damaged or truncated zip archive: zip END header not found",
        "bad/missing_storage.pth | storage '0': entry zip_mixed/data/0 is missing from the archive",
        "bad/evil_system.pth     | archive/data.pkl: at byte 2: forbidden global 'posix.system'",
        "bad/evil_legacy.pth     | legacy pickle: at byte 148: forbidden global 'os.system'",
    })
    void committedBadFiles(String name, String message) {
        BadInputException e = fails(Fixtures.path(name));
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertFalse(Files.exists(MARKER), "the payload ran");
    }

    static byte[] zip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bos)) {
            for (var e : entries.entrySet()) {
                ZipEntry ze = new ZipEntry(e.getKey());
                ze.setMethod(ZipEntry.STORED);
                ze.setSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                ze.setCrc(crc.getValue());
                z.putNextEntry(ze);
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return bos.toByteArray();
    }

    /** A tiny pickle assembler: strings become BINUNICODE, ints BININT, the rest raw opcodes. */
    static byte[] pickle(Object... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x80);
        b.write(2);
        for (Object p : parts) {
            if (p instanceof String s && s.startsWith("GLOBAL ")) {
                String[] mn = s.substring(7).split(" ");
                b.writeBytes(("c" + mn[0] + "\n" + mn[1] + "\n").getBytes(StandardCharsets.UTF_8));
            } else if (p instanceof String s && s.startsWith("OP ")) {
                b.write(Integer.decode(s.substring(3)));
            } else if (p instanceof String s) {
                byte[] u = s.getBytes(StandardCharsets.UTF_8);
                b.write('X');
                b.writeBytes(new byte[] {(byte) u.length, (byte) (u.length >> 8), (byte) (u.length >> 16), (byte) (u.length >> 24)});
                b.writeBytes(u);
            } else if (p instanceof Integer i) {
                b.write('J');
                b.writeBytes(new byte[] {(byte) (int) i, (byte) (i >> 8), (byte) (i >> 16), (byte) (i >> 24)});
            }
        }
        b.write('.');
        return b.toByteArray();
    }

    static final String MARK = "OP 0x28", TUPLE = "OP 0x74", TUPLE1 = "OP 0x85", REDUCE = "OP 0x52", EMPTY_DICT = "OP 0x7d",
            SETITEMS = "OP 0x75", BINPERSID = "OP 0x51", FALSE = "OP 0x89", EMPTY_TUPLE = "OP 0x29";

    private BadInputException failsWithPickle(byte[] pkl, Map<String, byte[]> more) throws IOException {
        var entries = new java.util.LinkedHashMap<String, byte[]>();
        entries.put("m/data.pkl", pkl);
        entries.putAll(more);
        Path f = dir.resolve("hand.pth");
        Files.write(f, zip(entries));
        BadInputException e = fails(f);
        assertFalse(Files.exists(MARKER), "the payload ran");
        return e;
    }

    /** A dict {"w": _rebuild_tensor_v2(storage '0' of numel floats, offset, size, stride, False, OrderedDict())}. */
    static byte[] onePickledTensor(String storageType, int numel, int offset, int[] size, int[] stride) {
        List<Object> p = new java.util.ArrayList<>(List.of(EMPTY_DICT, MARK, "w", "GLOBAL torch._utils _rebuild_tensor_v2", MARK,
                MARK, "storage", "GLOBAL torch " + storageType, "0", "cpu", numel, TUPLE, BINPERSID, offset, MARK));
        for (int s : size) p.add(s);
        p.add(TUPLE);
        p.add(MARK);
        for (int s : stride) p.add(s);
        p.addAll(List.of(TUPLE, FALSE, "GLOBAL collections OrderedDict", EMPTY_TUPLE, REDUCE, TUPLE, REDUCE, SETITEMS));
        return pickle(p.toArray());
    }

    @Test
    void handBuiltValidPickleReads() throws IOException {
        Path f = dir.resolve("ok.pth");
        byte[] data = new byte[16];
        java.nio.ByteBuffer.wrap(data).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(1f).putFloat(2f).putFloat(3f).putFloat(4f);
        Files.write(f, zip(Map.of("m/data.pkl", onePickledTensor("FloatStorage", 4, 1, new int[] {2}, new int[] {2}), "m/data/0", data)));
        TensorFile r = PthReader.read(f);
        assertArrayEquals(new float[] {2f, 4f}, r.tensor("w").data);
    }

    @Test
    void forbiddenGlobalsAndOpcodesNeverRun() throws IOException {
        String touch = "touch " + MARKER;
        for (String global : new String[] {"posix system", "os system", "builtins eval", "builtins exec", "subprocess Popen",
                "builtins getattr", "torch load", "numpy.core.multiarray _reconstruct", "__builtin__ eval"}) {
            BadInputException e = failsWithPickle(pickle("GLOBAL " + global, touch, TUPLE1, REDUCE), Map.of());
            assertTrue(e.getMessage().contains("forbidden global '" + global.replace(' ', '.') + "'"), e.getMessage());
        }
        // STACK_GLOBAL (protocol 4) naming os.system
        BadInputException e = failsWithPickle(pickle("os", "system", "OP 0x93", touch, TUPLE1, REDUCE), Map.of());
        assertTrue(e.getMessage().contains("at byte 20: forbidden global 'os.system'"), e.getMessage());
        // INST, OBJ, NEWOBJ build arbitrary objects: rejected as opcodes
        e = failsWithPickle(("\u0080\u0002(ios\nsystem\nX\u0001\u0000\u0000\u0000x.").getBytes(StandardCharsets.ISO_8859_1), Map.of());
        assertTrue(e.getMessage().contains("at byte 3: unsupported pickle opcode 0x69 'i' (INST)"), e.getMessage());
        e = failsWithPickle(pickle("GLOBAL collections OrderedDict", EMPTY_TUPLE, "OP 0x81"), Map.of());
        assertTrue(e.getMessage().contains("(NEWOBJ)"), e.getMessage());
        // an allowed storage type must not be callable
        e = failsWithPickle(pickle("GLOBAL torch FloatStorage", 1_000_000_000, TUPLE1, REDUCE), Map.of());
        assertTrue(e.getMessage().contains("calling torch.FloatStorage: storage types may only appear in persistent ids"), e.getMessage());
    }

    @Test
    void storageAndViewProblems() throws IOException {
        byte[] four = new byte[16];
        BadInputException e = failsWithPickle(onePickledTensor("FloatStorage", 4, 2, new int[] {2, 2}, new int[] {2, 1}), Map.of("m/data/0", four));
        assertTrue(e.getMessage().contains("tensor 'w': view (offset 2, size [2, 2], stride [2, 1]) reaches past the end of storage '0' (4 elements)"), e.getMessage());
        e = failsWithPickle(onePickledTensor("FloatStorage", 8, 0, new int[] {8}, new int[] {1}), Map.of("m/data/0", four));
        assertTrue(e.getMessage().contains("storage '0': expected 32 bytes (8 x F32), entry m/data/0 has 16"), e.getMessage());
        e = failsWithPickle(onePickledTensor("FloatStorage", Integer.MAX_VALUE, 0, new int[] {1}, new int[] {1}), Map.of("m/data/0", four));
        assertTrue(e.getMessage().contains("storage '0': element count: expected 0..2147483639, found 2147483647"), e.getMessage());
        e = failsWithPickle(onePickledTensor("FloatStorage", 4, 0, new int[] {-1}, new int[] {1}), Map.of("m/data/0", four));
        assertTrue(e.getMessage().contains("expected non-negative values"), e.getMessage());
        e = failsWithPickle(onePickledTensor("ComplexFloatStorage", 4, 0, new int[] {4}, new int[] {1}), Map.of("m/data/0", four));
        assertTrue(e.getMessage().contains("forbidden global 'torch.ComplexFloatStorage'"), e.getMessage());
        e = failsWithPickle(onePickledTensor("FloatStorage", 4, 0, new int[] {65536, 65536}, new int[] {1, 1}), Map.of("m/data/0", four));
        assertTrue(e.getMessage().contains("has more than 2^31 elements"), e.getMessage());
        e = failsWithPickle(pickle(EMPTY_DICT, "a", 1, "OP 0x73"), Map.of());
        assertTrue(e.getMessage().contains("expected a state_dict (a dict of name -> tensor) or a dict holding one under [state_dict, model_state_dict, model], found a dict with keys ['a']; entry 'a' is a int"), e.getMessage());
        e = failsWithPickle(Arrays_copyOf(pickle(EMPTY_DICT, "a", 1)), Map.of());
        assertTrue(e.getMessage().contains("pickle ends without STOP (truncated?)"), e.getMessage());
        e = failsWithPickle(new byte[] {(byte) 0x80, 2, 'X', (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, '.'}, Map.of());
        assertTrue(e.getMessage().contains("a length of 2147483647 bytes runs past the end of the pickle"), e.getMessage());
    }

    private static byte[] Arrays_copyOf(byte[] b) {
        return java.util.Arrays.copyOf(b, b.length - 1); // drop STOP
    }
}
