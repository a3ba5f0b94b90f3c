package minifig.kernels;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The engine's one thread pool and its global thread count (the CLI's {@code --threads}). GEMM splits its
 * work through it, and layers can use {@link #parallelFor} over batch images. The pool is a fixed team of
 * threads - 1 workers, each with its own job slot; the caller runs the first slice itself.
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
    private static volatile Team team = newTeam(threads);

    /**
     * How long an idle worker, and a caller waiting for the workers, spin before they park (microseconds;
     * -Dminifig.spinMicros). A parked thread costs a wake-up on the next hand-over: on a VM whose two vCPUs sit
     * ~450 ns apart, a fork + join through a ForkJoinPool took 25-30 µs back to back and ~100 µs once the worker had
     * parked (bench ParallelBench). That is small next to a b32 training step (250 hand-overs), not next to a
     * one-image forward: resnet18's ran 1.15x faster at two threads with the spinning team (docs/performance.md).
     * OpenMP's runtimes, PyTorch's included, spin in the same way.
     */
    static final long SPIN_NANOS = 1000L * Long.getLong("minifig.spinMicros", 2000L);

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

    private static Team newTeam(int n) {
        return n <= 1 ? null : new Team(n - 1);
    }

    /** One slice handed to a worker; {@code done} is written last, after {@code failure}. */
    private static final class Job {
        final RangeBody body;
        final int lo, hi;
        final Thread caller = Thread.currentThread();
        Throwable failure;
        volatile boolean done;
        /** Set by a caller about to park; the worker then unparks it when done (checked after writing done). */
        volatile boolean callerParked;

        Job(RangeBody body, int lo, int hi) {
            this.body = body;
            this.lo = lo;
            this.hi = hi;
        }
    }

    /** A helper thread: takes one job at a time from its own slot, spinning between jobs before it parks. */
    private static final class Worker extends Thread {
        volatile Job job;
        /** Set before parking and re-checked against {@code job}, so a job posted meanwhile always wakes it. */
        volatile boolean parked;
        volatile boolean retired;

        Worker() {
            super("minifig-worker-" + WORKER_IDS.incrementAndGet());
            setDaemon(true);
        }

        @Override
        public void run() {
            boolean[] inRegion = IN_REGION.get();
            while (!retired) {
                Job j = await();
                if (j == null) continue;
                job = null;
                j.failure = runSlice(inRegion, j.body, j.lo, j.hi);
                j.done = true;
                if (j.callerParked) LockSupport.unpark(j.caller);
            }
        }

        /** The next job, or null after a park (spurious wake-up or retirement). */
        private Job await() {
            if (spinUntil(() -> job != null)) return job;
            parked = true;
            if (job == null && !retired) LockSupport.park(this);
            parked = false;
            return job;
        }

        void post(Job j) {
            job = j;
            if (parked) LockSupport.unpark(this);
        }
    }

    /** The fixed helpers; one region at a time runs on them (a second caller meanwhile runs its loop serially). */
    private static final class Team {
        final Worker[] workers;
        final AtomicBoolean busy = new AtomicBoolean();

        Team(int n) {
            workers = new Worker[n];
            for (int i = 0; i < n; i++) {
                workers[i] = new Worker();
                workers[i].start();
            }
        }

        /** Waits for any running region, then stops the workers (for good: busy stays set). */
        void retire() {
            while (!busy.compareAndSet(false, true)) Thread.yield();
            for (Worker w : workers) {
                w.retired = true;
                LockSupport.unpark(w);
            }
        }
    }

    /** Waits for a worker's job: spins, then parks until the worker unparks it. */
    private static void join(Job j) {
        if (spinUntil(() -> j.done)) return;
        j.callerParked = true;
        while (!j.done) LockSupport.park(j);
    }

    /** Spins until {@code ready} or for {@link #SPIN_NANOS}, reading the clock every 256 spins; returns whether ready. */
    private static boolean spinUntil(BooleanSupplier ready) {
        long start = System.nanoTime();
        for (int spins = 1; ; spins++) {
            if (ready.getAsBoolean()) return true;
            if ((spins & 255) == 0 && System.nanoTime() - start > SPIN_NANOS) return false;
            Thread.onSpinWait();
        }
    }

    /** The number of threads compute kernels use (default: available processors, or -Dminifig.threads). */
    public static int threads() {
        return threads;
    }

    /**
     * Sets the global thread count (>= 1). The team is replaced only when it has fewer workers than the new count
     * needs; a lower count keeps it, and its spare workers stay parked.
     * Replacing it on every change gave each switch from one to two threads a new worker, with its own empty
     * packing buffers to allocate: benchmarks that alternate thread counts (bench Interleaved, LayerProfile) timed
     * that start-up in every two-thread round (docs/performance.md).
     */
    public static synchronized void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("threads must be >= 1, got " + n);
        if (n == threads) return;
        Team old = team;
        if (n - 1 > (old == null ? 0 : old.workers.length)) {
            team = newTeam(n);
            if (old != null) old.retire(); // after its running region, if any; its workers exit
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
        if (t <= 1 || team == null || inParallelRegion()) {
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
        Team tm = team;
        int t = Math.min(Math.min(parts, n), threads());
        boolean[] inRegion = IN_REGION.get();
        if (t <= 1 || tm == null || inRegion[0] || !tm.busy.compareAndSet(false, true)) {
            body.run(0, n);
            return;
        }
        try {
            Job[] jobs = new Job[t - 1];
            for (int s = 1; s < t; s++) {
                jobs[s - 1] = new Job(body, slice(n, t, s), slice(n, t, s + 1));
                tm.workers[s - 1].post(jobs[s - 1]);
            }
            // Slices record their own failure, so the caller rethrows the original exception, not a wrapper.
            Throwable failure = runSlice(inRegion, body, 0, slice(n, t, 1));
            for (Job j : jobs) {
                join(j);
                if (failure == null) failure = j.failure;
            }
            if (failure instanceof RuntimeException re) throw re;
            if (failure instanceof Error er) throw er;
            if (failure != null) throw new RuntimeException(failure);
        } finally {
            tm.busy.set(false);
        }
    }

    /**
     * Runs one slice on this thread marked as inside a region (so nested parallel-fors run serially); returns what it
     * threw, or null. The caller's first slice and every worker's slice run through here.
     */
    private static Throwable runSlice(boolean[] inRegion, RangeBody body, int lo, int hi) {
        inRegion[0] = true;
        try {
            body.run(lo, hi);
            return null;
        } catch (Throwable e) {
            return e;
        } finally {
            inRegion[0] = false;
        }
    }

    /** Start of slice s of t over [0, n). */
    private static int slice(int n, int t, int s) {
        return (int) ((long) n * s / t);
    }
}
