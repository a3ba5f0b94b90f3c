package minifig.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import minifig.BadInputException;
import minifig.cli.HeapTarget;
import minifig.kernels.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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
@Command(name = "NetDriver", sortOptions = false,
        description = "bench/compare.py's Java side: serves \"CASE BATCH THREADS REPS\" requests from stdin, or measures peak RSS.")
public final class NetDriver implements Callable<Integer> {
    @Option(names = "--rss", arity = "4", paramLabel = "ARG", description = "CASE BATCH THREADS STEPS: run STEPS steps, print \"rss_kb VmHWM\"")
    String[] rss;

    NetDriver() {}

    public static void main(String[] args) {
        Harness.run(new NetDriver(), args);
    }

    @Override
    public Integer call() throws IOException {
        if (rss != null) {
            String name = rss[0];
            int batch = count("BATCH", rss[1]), threads = count("THREADS", rss[2]), steps = count("STEPS", rss[3]);
            NetCase.check(name);
            HeapTarget.start();  // as the CLI does: the same heap policy as ./minifig
            Parallel.setThreads(threads);
            NetCase c = new NetCase(name, batch);
            for (int i = 0; i < steps; i++) c.step();
            System.out.println("rss_kb " + vmHwmKb());
            return 0;
        }
        HeapTarget.start();
        // One case in memory at a time, as in a user's process (one model). Keeping every case compare.py asks for
        // (seven models, their gradients, momentum and kept Winograd weights) left ~1.29 GB of heap after each
        // collection instead of ~0.45 GB, ZGC ran ~3x as many collections, and a resnet18 batch-8 forward at two
        // threads ran 0.37-0.58 s instead of 0.28-0.32 s after the other cases (docs/performance.md). A case built
        // anew runs one untimed step first, so its caches and optimizer state exist before the timed ones.
        String currentKey = null;
        NetCase current = null;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null; ) {
            Request q;
            try {       // a bad request gets one "error" line and the driver serves on
                q = Request.parse(line);
            } catch (BadInputException e) {
                System.out.println("error " + e.getMessage());
                System.out.flush();
                continue;
            }
            int batch = q.batch(), reps = q.reps();
            Parallel.setThreads(q.threads());
            String key = q.name() + "/" + batch;
            float sink = 0;
            if (!key.equals(currentKey)) {
                current = null;            // the old case is garbage before the new one is built
                currentKey = null;
                current = new NetCase(q.name(), batch);
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
                    NetCase.flops(q.name(), batch, q.threads())));
            System.out.flush();
        }
        return 0;
    }

    /** One serve request, "CASE BATCH THREADS REPS". */
    record Request(String name, int batch, int threads, int reps) {
        /** The request on a line, checked: a one-line BadInputException naming the bad field otherwise. */
        static Request parse(String line) {
            String[] f = line.trim().split("\\s+");
            if (f.length != 4) throw new BadInputException("expected: CASE BATCH THREADS REPS, got '" + line.trim() + "'");
            Request q = new Request(f[0], count("BATCH", f[1]), count("THREADS", f[2]), count("REPS", f[3]));
            NetCase.check(q.name);
            return q;
        }
    }

    /** A whole number >= 1 from a request's or --rss's field. */
    private static int count(String field, String text) {
        try {
            int n = Integer.parseInt(text);
            if (n >= 1) return n;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new BadInputException(field + ": expected a whole number >= 1, got '" + text + "'");
    }

    /** Peak resident set size of this process in kB (Linux), or -1. */
    static long vmHwmKb() throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmHWM:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
        return -1;
    }
}
