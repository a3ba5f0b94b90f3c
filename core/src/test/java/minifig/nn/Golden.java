package minifig.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import minifig.tensor.Tensor;

/**
 * Reads the PyTorch golden fixtures made by src/test/resources/golden/gen_golden.py and compares tensors.
 *
 * Comparison: max_i |got_i - want_i| / max_i |want_i| (the error relative to the tensor's largest entry),
 * which must stay below the given tolerance (1e-4 unless a test says why not). Per-element relative error
 * would be meaningless for entries that are zero up to rounding.
 */
public final class Golden {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, JsonNode> CACHE = new ConcurrentHashMap<>();
    /** Worst relative error seen per label, printed by tests that want to report it. */
    public static final Map<String, Double> WORST = new ConcurrentHashMap<>();

    private Golden() {}

    public static JsonNode load(String file) {
        return CACHE.computeIfAbsent(file, f -> {
            try (InputStream in = Golden.class.getResourceAsStream("/golden/" + f)) {
                if (in == null) throw new IllegalStateException("missing golden fixture " + f + " (run gen_golden.py)");
                return JSON.readTree(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** A {"shape", "f32"} node as a Tensor (exact float32 values). */
    public static Tensor tensor(JsonNode node) {
        JsonNode shapeNode = node.get("shape");
        int[] shape = new int[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) shape[i] = shapeNode.get(i).asInt();
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(node.get("f32").asText())).order(ByteOrder.LITTLE_ENDIAN);
        float[] data = new float[bytes.remaining() / 4];
        bytes.asFloatBuffer().get(data);
        return new Tensor(data, shape);
    }

    public static int[] ints(JsonNode node) {
        int[] a = new int[node.size()];
        for (int i = 0; i < a.length; i++) a[i] = node.get(i).asInt();
        return a;
    }

    /** Copies a fixture tensor into an existing tensor of the same shape (e.g. a layer's parameter). */
    public static void copyInto(JsonNode node, Tensor dst) {
        Tensor src = tensor(node);
        assertArrayEquals(src.shape, dst.shape, "fixture shape");
        System.arraycopy(src.data, 0, dst.data, 0, src.size());
    }

    /** Asserts max|got - want| / max|want| <= tol; returns the error and records it under {@code label}. */
    public static double assertClose(String label, Tensor want, Tensor got, double tol) {
        assertArrayEquals(want.shape, got.shape, label + ": shape");
        double maxDiff = 0, maxWant = 0;
        for (int i = 0; i < want.size(); i++) {
            maxDiff = Math.max(maxDiff, Math.abs((double) got.data[i] - want.data[i]));
            maxWant = Math.max(maxWant, Math.abs(want.data[i]));
        }
        double rel = maxWant == 0 ? maxDiff : maxDiff / maxWant;
        WORST.merge(label, rel, Math::max);
        assertTrue(rel <= tol, String.format("%s: relative error %.3g > %.1g (max |diff| %.3g, max |want| %.3g)",
                label, rel, tol, maxDiff, maxWant));
        return rel;
    }

    public static double assertClose(String label, JsonNode want, Tensor got, double tol) {
        return assertClose(label, tensor(want), got, tol);
    }

    /** Scalars: |got - want| / max(|want|, 1e-12) <= tol. */
    public static double assertClose(String label, double want, double got, double tol) {
        double rel = Math.abs(got - want) / Math.max(Math.abs(want), 1e-12);
        WORST.merge(label, rel, Math::max);
        assertTrue(rel <= tol, String.format("%s: %.8g vs PyTorch %.8g (relative error %.3g > %.1g)", label, got, want, rel, tol));
        return rel;
    }
}
