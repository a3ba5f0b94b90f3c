package minifig.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import minifig.tensor.Tensor;

/**
 * Reads a TensorFlow.js layers model (what tfjs-converter makes from a Keras model):
 *
 * <pre>
 * model.json  {"format": "layers-model", "modelTopology": {...Keras config...},
 *              "weightsManifest": [{"paths": ["group1-shard1of25.bin", ...],
 *                                   "weights": [{"name": "conv1/kernel", "shape": [7, 7, 3, 64], "dtype": "float32"}, ...]}]}
 * shards      per group, the files in "paths" concatenated are the group's weights back to back, in order,
 *             little-endian; a tensor may straddle two shards
 * </pre>
 *
 * float32 and int32 weights are supported; quantized weights and other dtypes are rejected. Shard paths must
 * stay inside the model's folder.
 */
public final class TfjsReader {
    private static final long MAX_MODEL_JSON_BYTES = 64L << 20;

    private TfjsReader() {}

    private record Weight(String name, int[] shape, DType dtype, long bytes) {}

    /** Reads {@code modelJson} and every shard it lists. */
    public static TfjsModel read(Path modelJson) {
        JsonNode root = readJson(modelJson, MAX_MODEL_JSON_BYTES);
        if (!root.isObject()) throw IoErrors.bad(modelJson, "expected a JSON object, found " + kind(root));
        JsonNode format = root.get("format");
        if (format != null && !"layers-model".equals(format.asText())) {
            throw IoErrors.bad(modelJson, "format: expected 'layers-model', found " + IoErrors.quote(format.asText()));
        }
        JsonNode topology = root.get("modelTopology");
        if (topology == null || !topology.isObject()) throw IoErrors.bad(modelJson, "modelTopology: expected an object, found " + kind(topology));
        JsonNode manifest = root.get("weightsManifest");
        if (manifest == null || !manifest.isArray()) throw IoErrors.bad(modelJson, "weightsManifest: expected an array, found " + kind(manifest));

        Path folder = modelJson.toAbsolutePath().getParent();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, DType> dtypes = new LinkedHashMap<>();
        for (int g = 0; g < manifest.size(); g++) {
            String where = "weightsManifest[" + g + "]";
            JsonNode group = manifest.get(g);
            if (!group.isObject()) throw IoErrors.bad(modelJson, where + ": expected an object, found " + kind(group));
            List<Path> shards = shardPaths(modelJson, folder, where, group.get("paths"));
            List<Weight> weights = weights(modelJson, where, group.get("weights"));
            readGroup(modelJson, where, shards, weights, tensors, dtypes);
        }
        return new TfjsModel(modelJson, tensors, dtypes, topology, root);
    }

    private static List<Path> shardPaths(Path modelJson, Path folder, String where, JsonNode paths) {
        if (paths == null || !paths.isArray()) throw IoErrors.bad(modelJson, where + ".paths: expected an array, found " + kind(paths));
        List<Path> shards = new ArrayList<>();
        for (int i = 0; i < paths.size(); i++) {
            JsonNode p = paths.get(i);
            if (!p.isTextual() || p.textValue().isEmpty()) throw IoErrors.bad(modelJson, where + ".paths[" + i + "]: expected a file name, found " + kind(p));
            Path shard = folder.resolve(p.textValue()).normalize();
            if (!shard.startsWith(folder) || shard.equals(folder)) {
                throw IoErrors.bad(modelJson, where + ".paths[" + i + "]: expected a file inside " + folder + ", found " + IoErrors.quote(p.textValue()));
            }
            shards.add(shard);
        }
        return shards;
    }

    private static List<Weight> weights(Path modelJson, String where, JsonNode ws) {
        if (ws == null || !ws.isArray()) throw IoErrors.bad(modelJson, where + ".weights: expected an array, found " + kind(ws));
        List<Weight> list = new ArrayList<>();
        for (int i = 0; i < ws.size(); i++) {
            JsonNode w = ws.get(i);
            String at = where + ".weights[" + i + "]";
            if (!w.isObject()) throw IoErrors.bad(modelJson, at + ": expected an object, found " + kind(w));
            JsonNode name = w.get("name");
            if (name == null || !name.isTextual()) throw IoErrors.bad(modelJson, at + ".name: expected a string, found " + kind(name));
            at = "weight " + IoErrors.quote(name.textValue());
            if (w.has("quantization")) {
                throw IoErrors.bad(modelJson, at + ": quantized weights (" + w.get("quantization") + ") are not supported; convert the model without quantization");
            }
            JsonNode dt = w.get("dtype");
            DType dtype = dt == null ? null : switch (dt.asText()) {
                case "float32" -> DType.F32;
                case "int32" -> DType.I32;
                default -> null;
            };
            if (dtype == null) throw IoErrors.bad(modelJson, at + ": dtype: expected 'float32' or 'int32', found " + kind(dt));
            JsonNode sh = w.get("shape");
            if (sh == null || !sh.isArray()) throw IoErrors.bad(modelJson, at + ": shape: expected an array, found " + kind(sh));
            int[] shape = new int[sh.size()];
            long count = 1;
            for (int d = 0; d < shape.length; d++) {
                JsonNode v = sh.get(d);
                if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
                    throw IoErrors.bad(modelJson, at + ": shape[" + d + "]: expected a non-negative integer, found " + v);
                }
                shape[d] = v.intValue();
                count *= shape[d];
                if (count > Integer.MAX_VALUE - 8) throw IoErrors.bad(modelJson, at + ": shape " + sh + " has more than 2^31 elements");
            }
            list.add(new Weight(name.textValue(), shape, dtype, count * dtype.bytes));
        }
        return list;
    }

    private static void readGroup(Path modelJson, String where, List<Path> shards, List<Weight> weights,
                                  Map<String, Tensor> tensors, Map<String, DType> dtypes) {
        long need = 0, have = 0;
        for (Weight w : weights) need += w.bytes;
        for (Path s : shards) {
            try {
                have += Files.size(s);
            } catch (NoSuchFileException e) {
                throw IoErrors.bad(modelJson, where + ": shard " + modelJson.toAbsolutePath().getParent().relativize(s) + " is missing", e);
            } catch (IOException e) {
                throw IoErrors.readFailure(s, e);
            }
        }
        if (need != have) {
            throw IoErrors.bad(modelJson, where + ": the weights need " + need + " bytes, the " + shards.size()
                    + " shard(s) hold " + have + " bytes");
        }
        try (InputStream in = new ShardStream(shards)) {
            for (Weight w : weights) {
                if (tensors.containsKey(w.name)) throw IoErrors.bad(modelJson, "weight " + IoErrors.quote(w.name) + ": duplicate name");
                byte[] b = in.readNBytes((int) w.bytes);
                if (b.length != w.bytes) throw IoErrors.bad(modelJson, "weight " + IoErrors.quote(w.name) + ": shards ended early (changed while reading?)");
                int n = (int) (w.bytes / w.dtype.bytes);
                float[] data = new float[n];
                w.dtype.decode(ByteBuffer.wrap(b), data, n);
                tensors.put(w.name, new Tensor(data, w.shape));
                dtypes.put(w.name, w.dtype);
            }
        } catch (IOException e) {
            throw IoErrors.bad(modelJson, where + ": cannot read shards: " + IoErrors.describe(e), e);
        }
    }

    /** The shard files of one group as one stream. */
    private static final class ShardStream extends InputStream {
        private final List<Path> files;
        private int next;
        private InputStream current;

        ShardStream(List<Path> files) { this.files = files; }

        private boolean advance() throws IOException {
            if (current != null) current.close();
            current = null;
            if (next >= files.size()) return false;
            current = Files.newInputStream(files.get(next++));
            return true;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            while (current != null || advance()) {
                int r = current.read(b, off, len);
                if (r > 0) return r;
                if (!advance()) return -1;
            }
            return -1;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public void close() throws IOException {
            if (current != null) current.close();
        }
    }

    static JsonNode readJson(Path file, long maxBytes) {
        try {
            long size = Files.size(file);
            if (size > maxBytes) throw IoErrors.bad(file, "expected a JSON file of at most " + maxBytes + " bytes, found " + size);
            JsonNode n = Safetensors.JSON.readTree(Files.readAllBytes(file));
            if (n == null || n.isMissingNode()) throw IoErrors.bad(file, "expected JSON, found an empty file");
            return n;
        } catch (JsonProcessingException e) {
            String at = e.getLocation() != null ? " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() : "";
            throw IoErrors.bad(file, "invalid JSON" + at + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw IoErrors.readFailure(file, e);
        }
    }

    static String kind(JsonNode n) {
        if (n == null) return "nothing (missing)";
        String v = n.isValueNode() ? " " + n : "";
        return n.getNodeType().name().toLowerCase() + (v.length() > 42 ? v.substring(0, 42) + "..." : v);
    }

}
