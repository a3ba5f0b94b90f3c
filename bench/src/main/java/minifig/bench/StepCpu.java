package minifig.bench;

import com.sun.management.OperatingSystemMXBean;
import com.sun.management.ThreadMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import minifig.BadInputException;
import minifig.cli.HeapTarget;
import minifig.kernels.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Where the CPU time of one network step goes across threads: wall time, the process's CPU time, the part of it
 * spent in Java threads (the caller and the pool's workers) and the rest (the JVM's own threads: garbage
 * collection and JIT compilation), the bytes allocated, and each busy thread's CPU time. With two threads a
 * perfectly split step would show wall = Java CPU / 2 and equal times for main and the worker; the gap between
 * them is the serial part, and Java CPU at two threads over one-thread wall time is how much slower each core
 * ran with both busy (docs/performance.md, "Where the time goes").
 * Both threads' CPU times include their waits for each other: since 2026-12-02 they spin before parking
 * ({@link Parallel}); {@code -Dminifig.spinMicros=0} parks after a few hundred spins, so the times are nearly work only.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -XX:+UseZGC -XX:InitialRAMPercentage=0.1
 * -XX:SoftMaxHeapSize=768m -cp bench/target/benchmarks.jar minifig.bench.StepCpu [--net resnet18_train]
 * [--batch 32] [--threads 2] [--steps 3] [--warmup 2]} (the launcher's heap flags, as compare.py uses).
 */
@Command(name = "StepCpu", sortOptions = false,
        description = "Wall time, CPU time per thread and allocation of single network steps.")
public final class StepCpu implements Runnable {
    @Option(names = "--net", paramLabel = "CASE", description = "a NetCase name, e.g. resnet18_train, custom_fwd (default: ${DEFAULT-VALUE})")
    String net = "resnet18_train";

    @Option(names = "--batch", description = "batch size (default: ${DEFAULT-VALUE})")
    int batch = 32;

    @Option(names = "--threads", description = "threads (default: ${DEFAULT-VALUE})")
    int threads = 2;

    @Option(names = "--steps", description = "timed steps (default: ${DEFAULT-VALUE})")
    int steps = 3;

    @Option(names = "--warmup", description = "untimed steps first (default: ${DEFAULT-VALUE})")
    int warmup = 2;

    StepCpu() {}

    public static void main(String[] args) {
        Harness.run(new StepCpu(), args);
    }

    @Override
    public void run() {
        Harness.atLeastOne("--batch", batch);
        Harness.atLeastOne("--threads", threads);
        Harness.atLeastOne("--steps", steps);
        if (warmup < 0) throw new BadInputException("--warmup: expected a whole number >= 0, got " + warmup);
        NetCase.check(net);
        HeapTarget.start();     // the CLI's heap policy, as NetDriver uses
        Parallel.setThreads(threads);
        NetCase c = new NetCase(net, batch);
        float sink = 0;
        for (int i = 0; i < warmup; i++) sink += c.step();
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        ThreadMXBean tb = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        System.out.printf(Locale.ROOT, "%s batch %d, %d thread(s), %d steps after %d warm-up%n", net, batch, threads, steps, warmup);
        System.out.println("| step | wall s | process CPU s | Java threads CPU s | other (GC, JIT) CPU s | allocated GB | CPU s per busy thread |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---|");
        for (int s = 1; s <= steps; s++) {
            Map<String, Long> before = threadCpu(tb);
            long bytes0 = tb.getTotalThreadAllocatedBytes(), cpu0 = os.getProcessCpuTime(), t0 = System.nanoTime();
            sink += c.step();
            long t1 = System.nanoTime(), cpu1 = os.getProcessCpuTime(), bytes1 = tb.getTotalThreadAllocatedBytes();
            Map<String, Long> after = threadCpu(tb);
            long java = 0;
            StringBuilder busy = new StringBuilder();
            for (Map.Entry<String, Long> e : after.entrySet()) {
                long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
                java += d;
                if (d > 50_000_000L) busy.append(busy.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%s %.2f", e.getKey(), d * 1e-9));
            }
            System.out.printf(Locale.ROOT, "| %d | %.2f | %.2f | %.2f | %.2f | %.2f | %s |%n", s, (t1 - t0) * 1e-9,
                    (cpu1 - cpu0) * 1e-9, java * 1e-9, (cpu1 - cpu0 - java) * 1e-9, (bytes1 - bytes0) * 1e-9, busy);
        }
        System.out.printf(Locale.ROOT, "%nsink %.3g (keeps the results alive)%n", sink);
    }

    /** CPU nanoseconds so far of every live Java thread, by name (the id keeps same-named threads apart). */
    private static Map<String, Long> threadCpu(ThreadMXBean tb) {
        Map<String, Long> m = new TreeMap<>();
        for (ThreadInfo t : tb.getThreadInfo(tb.getAllThreadIds())) {
            if (t == null) continue;
            long ns = tb.getThreadCpuTime(t.getThreadId());
            if (ns > 0) m.put(t.getThreadName() + "#" + t.getThreadId(), ns);
        }
        return m;
    }
}
