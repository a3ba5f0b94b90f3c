package minifig.models;

import java.util.Map;
import minifig.nn.Module;
import minifig.tensor.Tensor;

/**
 * The deterministic tensor formula of golden/resnet/generate.py, bit for bit: parameters, BN statistics and
 * inputs come from an integer hash of (tensor name, element index), so the PyTorch fixtures need no weights.
 * See generate.py's docstring for the formula; every float step is one IEEE float32 operation on both sides.
 */
final class GoldenInit {
    private GoldenInit() {}

    /** FNV-1a, 32 bit, over the UTF-8 bytes of {@code name}. */
    static int fnv1a(String name) {
        int h = 0x811C9DC5;
        for (byte b : name.getBytes(java.nio.charset.StandardCharsets.UTF_8)) h = (h ^ (b & 0xFF)) * 0x01000193;
        return h;
    }

    /** murmur3's fmix32 of seed ^ (i * golden ratio), all mod 2^32. */
    static int hash(int seed, int i) {
        int h = seed ^ (i * 0x9E3779B1);
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        h ^= h >>> 16;
        return h;
    }

    /** Uniform in [-0.5, 0.5) on a 2^-24 grid: exact in float32. */
    static float u(int seed, int i) { return (hash(seed, i) >>> 8) * 0x1p-24f - 0.5f; }

    static float[] values(String name, int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        int seed = fnv1a(name);
        float[] v = new float[n];
        int fanIn = 1;
        for (int i = 1; i < shape.length; i++) fanIn *= shape[i];
        float s = (float) (1.0 / Math.sqrt(fanIn));
        boolean input = name.startsWith("input") || name.startsWith("dout");
        for (int i = 0; i < n; i++) {
            float u = u(seed, i);
            if (input) v[i] = u * 2f;
            else if (name.endsWith("num_batches_tracked")) v[i] = 0f;
            else if (name.endsWith("running_var")) v[i] = 0.75f + u * 0.5f;
            else if (name.endsWith("running_mean")) v[i] = u * 0.25f;
            else if (shape.length >= 2) v[i] = (u * 4f) * s;
            else if (name.endsWith(".bn2.weight") || name.endsWith(".bn3.weight")) v[i] = 0.25f + u * 0.125f;
            else if (name.endsWith("weight")) v[i] = 1f + u * 0.5f;
            else if (name.endsWith("bias")) v[i] = u * 0.25f;
            else throw new IllegalArgumentException("no formula for " + name);
        }
        return v;
    }

    static Tensor tensor(String name, int... shape) { return new Tensor(values(name, shape), shape); }

    /** Sets every parameter and buffer of {@code m} from the formula. */
    static void init(Module m) {
        for (Map.Entry<String, Tensor> e : m.stateDict().tensors().entrySet()) {
            Tensor t = e.getValue();
            System.arraycopy(values(e.getKey(), t.shape), 0, t.data, 0, t.size());
        }
    }
}
