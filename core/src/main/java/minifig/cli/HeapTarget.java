package minifig.cli;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * Grows ZGC's soft heap target (the launcher starts it at 768 MiB) when the collector is busy most of the time:
 * the GCTimeRatio that ZGC lacks. Resnet18 training at batch 32 on two threads grows it once, to 960 MB (its live
 * set peaks at 766 MB; at 866 MB, before the stem's conv output was recomputed in backward, it grew to 1200 MB and
 * the process's peak RSS passed PyTorch's, docs/performance.md); a ResNet-50 fine-tune needs far more (its live set
 * is ~3.5 GB and, held at 1 GiB, ZGC cycled back to back on one of the two cores: the job took 1.2-1.3x as long). The target never shrinks and never passes the heap cap;
 * a target given in MINIFIG_JAVA_OPTS is treated the same. Started by {@link Main#main} and the bench NetDriver.
 * Measurements: docs/performance.md, "Heap flags".
 */
public final class HeapTarget {
    /** Share of wall time spent in ZGC cycles, over one window, above which the target grows. */
    static final double MAX_BUSY = 0.30;
    static final long WINDOW_MS = 10_000;
    static final double GROWTH = 1.25;

    private HeapTarget() {}

    /** Starts the daemon watcher when the collector is ZGC with a soft target under the cap; else does nothing. */
    public static void start() {
        HotSpotDiagnosticMXBean diag = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        long max = Runtime.getRuntime().maxMemory();
        var cycles = ManagementFactory.getGarbageCollectorMXBeans().stream()
                .filter(b -> b.getName().startsWith("ZGC") && b.getName().endsWith("Cycles")).toList();
        if (diag == null || cycles.isEmpty() || softMax(diag) >= max) return;
        Thread t = new Thread(() -> watch(diag, cycles, max), "heap-target");
        t.setDaemon(true);
        t.start();
    }

    private static long softMax(HotSpotDiagnosticMXBean diag) {
        return Long.parseLong(diag.getVMOption("SoftMaxHeapSize").getValue());
    }

    private static void watch(HotSpotDiagnosticMXBean diag, List<GarbageCollectorMXBean> cycles, long max) {
        long lastGc = gcMillis(cycles), last = System.nanoTime();
        try {
            while (true) {
                Thread.sleep(WINDOW_MS);
                long gc = gcMillis(cycles), now = System.nanoTime();
                double busy = (gc - lastGc) / ((now - last) / 1e6);
                lastGc = gc;
                last = now;
                long soft = softMax(diag), grown = next(soft, busy, max);
                if (grown != soft) diag.setVMOption("SoftMaxHeapSize", Long.toString(grown));
                if (grown >= max) return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The soft target after a window in which ZGC cycles took {@code busy} of the wall time (minor and major
     * cycles overlap, so it can pass 1): GROWTH times larger when above MAX_BUSY, never above the cap.
     */
    static long next(long soft, double busy, long max) {
        return busy > MAX_BUSY ? Math.min(max, Math.max(soft, (long) (soft * GROWTH))) : soft;
    }

    /** Total wall time of ZGC's concurrent cycles so far (minor and major). */
    private static long gcMillis(List<GarbageCollectorMXBean> cycles) {
        long sum = 0;
        for (GarbageCollectorMXBean b : cycles) sum += Math.max(0, b.getCollectionTime());
        return sum;
    }
}
