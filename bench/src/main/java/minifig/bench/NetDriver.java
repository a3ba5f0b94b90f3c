package minifig.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import minifig.cli.HeapTarget;
import minifig.kernels.Parallel;

/**
 * The Java side of bench/compare.py: a long-lived process (JIT stays warm) that times network steps on
 * request, so the driver can alternate rounds with PyTorch's process on a shared, noisy machine.
 *
 * <pre>
 * serve:  reads lines "CASE BATCH THREADS REPS", runs REPS steps, prints "ok SECONDS_PER_STEP CHECK FLOPS": the
 *         fastest step, "nan" if a result was NaN (else "-"), the floating-point operations of one step of a layer
 *         or the peak case ({@link NetCase#flops}; 0 for a network)
 * rss:    --rss CASE BATCH THREADS STEPS  runs STEPS steps, prints "rss_kb VmHWM" from /proc/self/status
 * </pre>
 *
 * Run: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar minifig.bench.NetDriver}
 */
public final class NetDriver {
    private NetDriver() {}

    public static void main(String[] args) throws IOException {
        HeapTarget.start();  // as the CLI does: the same heap policy as ./minifig
        if (args.length == 5 && args[0].equals("--rss")) {
            Parallel.setThreads(Integer.parseInt(args[3]));
            NetCase c = new NetCase(args[1], Integer.parseInt(args[2]));
            int steps = Integer.parseInt(args[4]);
            for (int i = 0; i < steps; i++) c.step();
            System.out.println("rss_kb " + vmHwmKb());
            return;
        }
        // One case in memory at a time, as in a user's process (one model). Keeping every case compare.py asks for
        // (seven models, their gradients, momentum and kept Winograd weights) left ~1.29 GB of heap after each
        // collection instead of ~0.45 GB, ZGC ran ~3x as many collections, and a resnet18 batch-8 forward at two
        // threads ran 0.37-0.58 s instead of 0.28-0.32 s after the other cases (docs/performance.md). A case built
        // anew runs one untimed step first, so its caches and optimizer state exist before the timed ones.
        String currentKey = null;
        NetCase current = null;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.trim().split("\\s+");
            if (f.length != 4) {
                System.out.println("error expected: CASE BATCH THREADS REPS");
                continue;
            }
            int batch = Integer.parseInt(f[1]), threads = Integer.parseInt(f[2]), reps = Integer.parseInt(f[3]);
            Parallel.setThreads(threads);
            String key = f[0] + "/" + batch;
            float sink = 0;
            if (!key.equals(currentKey)) {
                current = null;            // the old case is garbage before the new one is built
                currentKey = null;
                current = new NetCase(f[0], batch);
                currentKey = key;
                sink += current.step();
            }
            NetCase c = current;
            double best = Double.MAX_VALUE;
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                sink += c.step();
                best = Math.min(best, (System.nanoTime() - t0) * 1e-9);
            }
            System.out.println(String.format(Locale.ROOT, "ok %.6f %s %.6e", best, Float.isNaN(sink) ? "nan" : "-",
                    NetCase.flops(f[0], batch, threads)));
            System.out.flush();
        }
    }

    /** Peak resident set size of this process in kB (Linux), or -1. */
    static long vmHwmKb() throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmHWM:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
        return -1;
    }
}
