package minifig.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import minifig.tensor.Tensor;

/**
 * Reads and writes the safetensors format, our checkpoint format:
 *
 * <pre>
 * [8 bytes]  N, the header length, unsigned little-endian
 * [N bytes]  UTF-8 JSON: {"__metadata__": {string: string}, name: {"dtype", "shape", "data_offsets": [begin, end]}, ...}
 *            padded with spaces so the data starts 8-byte aligned
 * [rest]     raw little-endian tensor bytes; offsets are relative to the end of the header, and the tensors
 *            must cover the data exactly: no gaps, no overlaps, nothing after the last one
 * </pre>
 *
 * Files we write load in Python with {@code safetensors.torch.load_file}. Tensors are written in the given
 * order (state_dict order), float32 except {@code *num_batches_tracked} which PyTorch keeps as int64.
 */
public final class Safetensors {
    /** The reference implementation's header cap: larger headers are rejected before anything is allocated. */
    public static final long MAX_HEADER_BYTES = 100_000_000;

    static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
    private static final String METADATA_KEY = "__metadata__";

    private Safetensors() {}

    /** One tensor to write and the element type to store it as. */
    public record Entry(String name, Tensor tensor, DType dtype) {}

    /** The type we store a state_dict tensor as: int64 for BatchNorm's step counter (as PyTorch), else float32. */
    public static DType defaultDType(String name) {
        return name.endsWith("num_batches_tracked") ? DType.I64 : DType.F32;
    }

    /** Entries for {@code tensors} in map order, each with {@link #defaultDType}. */
    public static List<Entry> entries(Map<String, Tensor> tensors) {
        List<Entry> list = new ArrayList<>();
        tensors.forEach((k, t) -> list.add(new Entry(k, t, defaultDType(k))));
        return list;
    }

    /** Writes {@code tensors} (with {@link #defaultDType}) and {@code metadata} to {@code path}, atomically. */
    public static void write(Path path, Map<String, Tensor> tensors, Metadata metadata) {
        write(path, entries(tensors), metadata);
    }

    /** Writes {@code entries} in order and {@code metadata} to {@code path}, atomically. */
    public static void write(Path path, List<Entry> entries, Metadata metadata) {
        byte[] header = header(entries, metadata);
        AtomicFiles.write(path, out -> writeTo(out, header, entries));
    }

    /** The whole file as bytes (for tests and in-memory use). */
    public static byte[] toBytes(List<Entry> entries, Metadata metadata) {
        byte[] header = header(entries, metadata);
        var out = new java.io.ByteArrayOutputStream();
        try {
            writeTo(out, header, entries);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // cannot happen for a byte array
        }
        return out.toByteArray();
    }

    private static byte[] header(List<Entry> entries, Metadata metadata) {
        ObjectNode root = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode md = root.putObject(METADATA_KEY);
            metadata.asMap().forEach(md::put);
        }
        long offset = 0;
        for (Entry e : entries) {
            if (e.name().equals(METADATA_KEY) || root.has(e.name())) {
                throw new IllegalArgumentException("safetensors: duplicate or reserved tensor name '" + e.name() + "'");
            }
            ObjectNode t = root.putObject(e.name());
            t.put("dtype", e.dtype().name());
            ArrayNode shape = t.putArray("shape");
            for (int d : e.tensor().shape) shape.add(d);
            long end = offset + (long) e.tensor().size() * e.dtype().bytes;
            t.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = Arrays.copyOf(json, padded);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        return header;
    }

    private static void writeTo(OutputStream out, byte[] header, List<Entry> entries) throws IOException {
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
        out.write(len.array());
        out.write(header);
        final int chunk = 1 << 14;
        ByteBuffer buf = ByteBuffer.allocate(chunk * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (Entry e : entries) {
            float[] d = e.tensor().data;
            for (int i = 0; i < d.length; i += chunk) {
                int n = Math.min(chunk, d.length - i);
                buf.clear();
                e.dtype().encode(d, i, n, buf);
                out.write(buf.array(), 0, buf.position());
            }
        }
    }

    /** Reads every tensor (decoded to float32, in data-offset order) and the metadata of {@code path}. */
    public static TensorFile read(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return read(path, ch);
        } catch (IOException e) {
            throw IoErrors.readFailure(path, e);
        }
    }

    private record Info(String name, DType dtype, int[] shape, long begin, long end) {}

    private static TensorFile read(Path path, FileChannel ch) throws IOException {
        long fileSize = ch.size();
        if (fileSize < 8) {
            throw IoErrors.bad(path, "header length: expected 8 bytes, found a " + fileSize + "-byte file");
        }
        long n = readAt(ch, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (n < 2 || n > MAX_HEADER_BYTES) {
            throw IoErrors.bad(path, "header length: expected 2.." + MAX_HEADER_BYTES + " bytes, found "
                    + Long.toUnsignedString(n) + " (not a safetensors file?)");
        }
        if (8 + n > fileSize) {
            throw IoErrors.bad(path, "header length: " + n + " bytes runs past the end of the " + fileSize + "-byte file");
        }
        byte[] headerBytes = readAt(ch, 8, (int) n).array();
        JsonNode root = parseHeader(path, headerBytes);
        long dataStart = 8 + n;
        long dataLen = fileSize - dataStart;

        Metadata metadata = new Metadata(path.toString());
        List<Info> infos = new ArrayList<>();
        for (Map.Entry<String, JsonNode> f : root.properties()) {
            if (f.getKey().equals(METADATA_KEY)) {
                readMetadata(path, f.getValue(), metadata);
            } else {
                infos.add(parseInfo(path, f.getKey(), f.getValue(), dataLen));
            }
        }
        checkLayout(path, infos, dataLen);

        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, DType> dtypes = new LinkedHashMap<>();
        for (Info info : infos) {
            int count = (int) ((info.end - info.begin) / info.dtype.bytes);
            float[] data = new float[count];
            if (count > 0) info.dtype.decode(readAt(ch, dataStart + info.begin, (int) (info.end - info.begin)), data, count);
            tensors.put(info.name, new Tensor(data, info.shape));
            dtypes.put(info.name, info.dtype);
        }
        return new TensorFile(tensors, dtypes, metadata);
    }

    private static JsonNode parseHeader(Path path, byte[] headerBytes) {
        if (headerBytes[0] != '{') {
            throw IoErrors.bad(path, "header: expected a JSON object starting with '{', found byte 0x"
                    + Integer.toHexString(headerBytes[0] & 0xff));
        }
        try {
            JsonNode root = JSON.readTree(headerBytes);
            if (root == null || !root.isObject()) throw IoErrors.bad(path, "header: expected a JSON object");
            return root;
        } catch (IOException e) {
            String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            String where = e instanceof JsonProcessingException j && j.getLocation() != null
                    ? " at byte " + j.getLocation().getByteOffset() : "";
            throw IoErrors.bad(path, "header: invalid JSON" + where + ": " + why, e);
        }
    }

    private static void readMetadata(Path path, JsonNode md, Metadata into) {
        if (!md.isObject()) throw IoErrors.bad(path, "header field '__metadata__': expected an object, found " + kind(md));
        for (Map.Entry<String, JsonNode> e : md.properties()) {
            if (!e.getValue().isTextual()) {
                throw IoErrors.bad(path, "__metadata__ " + IoErrors.quote(e.getKey()) + ": expected a string, found " + kind(e.getValue()));
            }
            into.put(e.getKey(), e.getValue().textValue());
        }
    }

    private static Info parseInfo(Path path, String name, JsonNode node, long dataLen) {
        String where = "tensor " + IoErrors.quote(name);
        if (!node.isObject()) throw IoErrors.bad(path, where + ": expected an object, found " + kind(node));
        JsonNode dt = node.get("dtype");
        if (dt == null || !dt.isTextual()) throw IoErrors.bad(path, where + ": field 'dtype': expected a string, found " + kind(dt));
        DType dtype = DType.fromSafetensorsName(dt.textValue());
        if (dtype == null) {
            throw IoErrors.bad(path, where + ": dtype: expected one of " + Arrays.toString(DType.values()) + ", found "
                    + IoErrors.quote(dt.textValue()));
        }
        JsonNode sh = node.get("shape");
        if (sh == null || !sh.isArray()) throw IoErrors.bad(path, where + ": field 'shape': expected an array, found " + kind(sh));
        int[] shape = new int[sh.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.longValue() < 0 || d.longValue() > Integer.MAX_VALUE) {
                throw IoErrors.bad(path, where + ": shape[" + i + "]: expected a non-negative integer, found " + d);
            }
            shape[i] = d.intValue();
            count = Math.multiplyHigh(count, shape[i]) != 0 ? Long.MAX_VALUE : count * shape[i];
            if (count < 0) count = Long.MAX_VALUE;
        }
        JsonNode off = node.get("data_offsets");
        if (off == null || !off.isArray() || off.size() != 2) {
            throw IoErrors.bad(path, where + ": field 'data_offsets': expected [begin, end], found " + kind(off));
        }
        long[] be = new long[2];
        for (int i = 0; i < 2; i++) {
            JsonNode v = off.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw IoErrors.bad(path, where + ": data_offsets[" + i + "]: expected a non-negative integer, found " + v);
            }
            be[i] = v.longValue();
        }
        if (be[1] < be[0]) throw IoErrors.bad(path, where + ": data_offsets " + Arrays.toString(be) + ": expected begin <= end");
        if (be[1] > dataLen) {
            throw IoErrors.bad(path, where + ": data_offsets " + Arrays.toString(be) + " run past the end of the "
                    + dataLen + "-byte data section");
        }
        long span = be[1] - be[0];
        if (count > Integer.MAX_VALUE - 8 || count * dtype.bytes != span) {
            String bytes = count > Integer.MAX_VALUE - 8 ? "more than 2^31 elements" : (count * dtype.bytes) + " bytes";
            throw IoErrors.bad(path, where + ": shape " + Arrays.toString(shape) + " x " + dtype + " needs " + bytes
                    + ", but data_offsets " + Arrays.toString(be) + " span " + span + " bytes");
        }
        return new Info(name, dtype, shape, be[0], be[1]);
    }

    private static void checkLayout(Path path, List<Info> infos, long dataLen) {
        infos.sort(Comparator.comparingLong(Info::begin).thenComparingLong(Info::end));
        long expected = 0;
        Info prev = null;
        for (Info i : infos) {
            if (i.begin < expected) {
                throw IoErrors.bad(path, "tensor " + IoErrors.quote(i.name) + ": data_offsets [" + i.begin + ", " + i.end
                        + "] overlap tensor " + IoErrors.quote(prev.name) + " [" + prev.begin + ", " + prev.end + "]");
            }
            if (i.begin > expected) {
                throw IoErrors.bad(path, "tensor " + IoErrors.quote(i.name) + ": data_offsets: expected begin " + expected
                        + " (right after the previous tensor), found " + i.begin + " (a gap in the data)");
            }
            expected = i.end;
            prev = i;
        }
        if (expected != dataLen) {
            throw IoErrors.bad(path, "data section: expected " + expected + " bytes (the end of the last tensor), found "
                    + dataLen + " bytes");
        }
        Set<String> seen = new HashSet<>();
        for (Info i : infos) if (!seen.add(i.name)) throw IoErrors.bad(path, "tensor " + IoErrors.quote(i.name) + ": duplicate name");
    }

    private static String kind(JsonNode n) {
        if (n == null) return "nothing (missing)";
        return n.getNodeType().name().toLowerCase() + (n.isValueNode() ? " " + abbreviate(n.toString()) : "");
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    static ByteBuffer readAt(FileChannel ch, long pos, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len);
        while (b.hasRemaining()) {
            int r = ch.read(b, pos + b.position());
            if (r < 0) throw new IOException("unexpected end of file at byte " + (pos + b.position()));
        }
        return b.flip();
    }

}
