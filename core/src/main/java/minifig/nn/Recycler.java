package minifig.nn;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import minifig.tensor.Tensor;

/**
 * Activation- and gradient-sized arrays of a training step handed back for the next tensor of the same size, instead
 * of left to the garbage collector: a ResNet-18 step at batch 32 allocated 1.45 GB for a live set under 1 GB, so
 * the collector ran ~35 times per step and every new array was zeroed first (docs/performance.md, change row
 * "Training steps recycle their activation and gradient arrays"; docs/layers/residual.md).
 *
 * <p>The rule that keeps it correct: only the code that made a tensor, or took it over from the layer that made it,
 * gives it back, and only once nothing reads it any more. {@link Sequential} and {@link Residual} give back an
 * input gradient after the layer before has consumed it (never their caller's tensor, never one the consumer returned
 * as its own result); a conv gives back the input a BatchNorm rebuilt for it. Layers take their training outputs and
 * gradients from here, and must then write every element ({@link #take}) or ask for zeros ({@link #takeZeroed}).
 *
 * <p>The pool is per thread (a model trains on one thread; eval forwards never take from it, and clear it), and
 * holds at most {@link #maxBytes}: more is left to the collector.
 */
public final class Recycler {
    private Recycler() {}

    /**
     * Whether layers take from and give to the pool: on unless {@code -Dminifig.recycle=false} (for A/B measurements;
     * the results are the same either way); tests switch it.
     */
    static boolean enabled = !"false".equalsIgnoreCase(System.getProperty("minifig.recycle", "true").trim());
    /**
     * Tests: given arrays are filled with NaN, and so are new arrays from {@link #take}, so a taker that leaves an
     * element unwritten shows in the results whether or not the pool had an array of its size; an array given while
     * it is still pooled is an error.
     */
    static boolean poison = false;
    /** The most bytes one thread's pool holds. */
    static long maxBytes = 256L << 20;

    /**
     * Sets how many bytes each thread's pool may hold (default 256 MB), for a benchmark that keeps many layers' arrays
     * in turn (bench LayerProfile: every layer of a network at batch 32, each given its arrays back after its call).
     */
    public static void setMaxBytes(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("pool size " + bytes + " bytes: expected >= 0");
        maxBytes = bytes;
    }

    private static final class Pool {
        final Map<Integer, ArrayDeque<float[]>> bySize = new HashMap<>();
        long bytes;
        /** Bytes of the takes served from the pool and of those that found nothing there (tests, benchmarks). */
        long reused, fresh;
    }

    private static final ThreadLocal<Pool> POOL = ThreadLocal.withInitial(Pool::new);

    /** A tensor of {@code shape} whose elements the caller overwrites all of: its contents are stale. */
    static Tensor take(int... shape) {
        float[] a = poll(size(shape));
        if (a != null) return new Tensor(a, shape);
        Tensor t = new Tensor(shape);
        if (poison && enabled) Arrays.fill(t.data, Float.NaN);     // stale either way: a take may never count on zeros
        return t;
    }

    /** A zero-filled tensor of {@code shape} (for kernels that add into their output). */
    static Tensor takeZeroed(int... shape) {
        float[] a = poll(size(shape));
        if (a == null) return new Tensor(shape);
        Arrays.fill(a, 0f);
        return new Tensor(a, shape);
    }

    /**
     * Hands {@code t}'s array back: the caller guarantees that nothing reads or writes it from now on (no view of it,
     * no cache holding it). Null is ignored.
     */
    public static void give(Tensor t) {
        if (!enabled || t == null) return;
        Pool p = POOL.get();
        long b = 4L * t.data.length;
        if (p.bytes + b > maxBytes) return;
        ArrayDeque<float[]> q = p.bySize.computeIfAbsent(t.data.length, k -> new ArrayDeque<>());
        if (poison) {
            // an array given twice would later be taken by two tensors at once
            for (float[] a : q) if (a == t.data) throw new IllegalStateException("array of " + a.length + " floats given back twice");
            Arrays.fill(t.data, Float.NaN);
        }
        q.push(t.data);
        p.bytes += b;
    }

    /**
     * {@link #give}s {@code used}, a gradient a layer has just consumed, unless it is the caller's {@code argument}
     * (or a view of it) or shares its array with {@code result}, what the layer returned.
     */
    public static void giveConsumed(Tensor used, Tensor argument, Tensor result) {
        if (used == null || used.data == argument.data || (result != null && used.data == result.data)) return;
        give(used);
    }

    /**
     * Drops this thread's pool: after a network's training forward (what is left would be held through the step's
     * peak, when every cached activation is live) and in an eval forward (nothing takes from it until the next step).
     */
    public static void clear() {
        Pool p = POOL.get();
        if (p.bytes == 0) return;
        p.bySize.clear();
        p.bytes = 0;
    }

    /** Bytes this thread's pool holds (tests). */
    static long pooledBytes() { return POOL.get().bytes; }

    /** Bytes of this thread's takes since the last call: {served from the pool, newly allocated}; resets both. */
    static long[] takenBytes() {
        Pool p = POOL.get();
        long[] r = {p.reused, p.fresh};
        p.reused = p.fresh = 0;
        return r;
    }

    private static float[] poll(int n) {
        Pool p = POOL.get();
        ArrayDeque<float[]> q = enabled ? p.bySize.get(n) : null;
        float[] a = q == null ? null : q.poll();
        if (a == null) {
            p.fresh += 4L * n;
        } else {
            p.reused += 4L * n;
            p.bytes -= 4L * n;
        }
        return a;
    }

    private static int size(int[] shape) {
        long s = 1;
        for (int d : shape) s *= d;
        if (s < 0 || s > Integer.MAX_VALUE - 8) return -1;     // never pooled; new Tensor reports the shape
        return (int) s;
    }
}
