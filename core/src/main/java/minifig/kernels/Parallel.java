package minifig.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The engine's one thread pool and its global thread count (the CLI's {@code --threads}). GEMM splits its
 * work through it, and layers can use {@link #parallelFor} over batch images.
 *
 * <p>Nested use is safe and cheap: a parallel-for started from inside another one (a GEMM called from a
 * layer's loop over images) runs serially on the calling thread, so the pool never waits on itself and the
 * cores are split once, at the outermost level.
 */
public final class Parallel {
    private Parallel() {}

    /** One contiguous slice [lo, hi) of a parallel loop. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int lo, int hi);
    }

    private static final AtomicInteger WORKER_IDS = new AtomicInteger();
    /** True on a thread that is currently running a slice, so nested loops run serially. */
    private static final ThreadLocal<boolean[]> IN_REGION = ThreadLocal.withInitial(() -> new boolean[1]);

    private static volatile int threads = defaultThreads();
    /**
     * At least threads - 1 helper workers (more after {@link #setThreads} lowered the count); the calling thread always
     * runs the first slice itself. Null while no count above 1 has been set.
     */
    private static volatile ForkJoinPool pool = newPool(threads);

    private static int defaultThreads() {
        String prop = System.getProperty("minifig.threads");
        if (prop != null) {
            try {
                int n = Integer.parseInt(prop.trim());
                if (n >= 1) return n;
            } catch (NumberFormatException ignored) {
                // fall through to the hardware default
            }
        }
        return Runtime.getRuntime().availableProcessors();
    }

    private static ForkJoinPool newPool(int n) {
        if (n <= 1) return null;
        return new ForkJoinPool(n - 1, p -> {
            ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setName("minifig-worker-" + WORKER_IDS.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, null, false);
    }

    /** The number of threads compute kernels use (default: available processors, or -Dminifig.threads). */
    public static int threads() {
        return threads;
    }

    /**
     * Sets the global thread count (>= 1). The pool is replaced only when it has fewer workers than the new count
     * needs; a lower count keeps it, and its spare workers stay idle (ForkJoinPool retires an idle worker after 60 s).
     * Replacing it on every change gave each switch from one to two threads a new worker, with its own empty
     * packing buffers to allocate: benchmarks that alternate thread counts (bench Interleaved, LayerProfile) timed
     * that start-up in every two-thread round (docs/performance.md).
     */
    public static synchronized void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("threads must be >= 1, got " + n);
        if (n == threads) return;
        ForkJoinPool old = pool;
        if (n - 1 > (old == null ? 0 : old.getParallelism())) {
            pool = newPool(n);
            if (old != null) old.shutdown(); // running slices finish; idle workers exit
        }
        threads = n;
    }

    /** True when called from inside a parallel slice (further parallel-fors run serially). */
    public static boolean inParallelRegion() {
        return IN_REGION.get()[0];
    }

    /** Runs body over [0, n) split into min(threads(), n) contiguous slices, concurrently. */
    public static void parallelFor(int n, RangeBody body) {
        parallelFor(n, threads(), body);
    }

    /**
     * Runs body over n independent items (images, image groups) with whole items per thread, one at a time as
     * {@link #forEachItem} hands them out, when there are at least as many items as threads; with fewer, runs
     * [0, n) on the calling thread, where the kernels inside the body split each item over the threads instead.
     */
    public static void forEachWhole(int n, RangeBody body) {
        if (n >= threads()) forEachItem(n, body);
        else body.run(0, n);
    }

    /**
     * Runs body(i, i + 1) for every item i of [0, n), the threads taking the next item as they finish one (items in
     * order from a shared counter), instead of a fixed slice each. For independent items of similar cost whose
     * results do not depend on which thread runs them: on this host one core can run at ~0.6x the other's speed
     * (another tenant on its physical core), and with fixed halves the faster thread then waits for the slower
     * (docs/performance.md).
     */
    public static void forEachItem(int n, RangeBody body) {
        forEachItem(n, () -> body);
    }

    /**
     * {@link #forEachItem} where each taking thread first gets its own body from {@code perThread} (once, not per item),
     * for bodies with scratch buffers; serially, one body runs [0, n).
     */
    public static void forEachItem(int n, Supplier<RangeBody> perThread) {
        int t = Math.min(n, threads());
        if (t <= 1 || pool == null || inParallelRegion()) {
            perThread.get().run(0, n);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        parallelFor(t, t, (lo, hi) -> {
            RangeBody body = perThread.get();
            for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) body.run(i, i + 1);
        });
    }

    /**
     * Runs body over [0, n) split into {@code parts} near-equal contiguous slices (capped at n and at
     * threads()), concurrently; returns when all are done. Exceptions in a slice are rethrown here.
     */
    public static void parallelFor(int n, int parts, RangeBody body) {
        if (n <= 0) return;
        ForkJoinPool p = pool;
        int t = Math.min(Math.min(parts, n), threads());
        boolean[] inRegion = IN_REGION.get();
        if (t <= 1 || p == null || inRegion[0]) {
            body.run(0, n);
            return;
        }
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[t - 1];
        // Slices record their own failure, so the caller rethrows the original exception, not a wrapper.
        Throwable[] failures = new Throwable[t];
        for (int s = 1; s < t; s++) {
            int lo = slice(n, t, s), hi = slice(n, t, s + 1), index = s;
            tasks[s - 1] = p.submit(() -> runMarked(body, lo, hi, failures, index));
        }
        Throwable failure = null;
        try {
            inRegion[0] = true;
            body.run(0, slice(n, t, 1));
        } catch (Throwable e) {
            failure = e;
        } finally {
            inRegion[0] = false;
        }
        for (ForkJoinTask<?> task : tasks) task.join();
        for (Throwable f : failures) if (failure == null) failure = f;
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error er) throw er;
        if (failure != null) throw new RuntimeException(failure);
    }

    private static void runMarked(RangeBody body, int lo, int hi, Throwable[] failures, int index) {
        boolean[] inRegion = IN_REGION.get();
        inRegion[0] = true;
        try {
            body.run(lo, hi);
        } catch (Throwable e) {
            failures[index] = e;
        } finally {
            inRegion[0] = false;
        }
    }

    /** Start of slice s of t over [0, n). */
    private static int slice(int n, int t, int s) {
        return (int) ((long) n * s / t);
    }
}
