package minifig.bench;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How far apart the two threads of a two-thread run sit: the round trip of one cache line between them (two
 * threads passing a counter back and forth through one {@link AtomicInteger}), best of a few runs. On this
 * 2-vCPU VM it read ~43 ns in some processes and ~370 ns in others, and sometimes switched during a process:
 * in the first state the two vCPUs share a cache, in the second they do not. Code that hands data from one
 * core to the other slows down in the second state. Winograd's weight gradient with every phase split over both
 * threads ran at 1.30-1.55x of one thread in the first state and 0.94-0.99x in the second (docs/performance.md,
 * "Image slots"). {@code bench/compare.py} records this figure before its warm-up, at the start of each round
 * and after the rounds.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar minifig.bench.CoreLatency [--runs 5] [--trips 200000]}.
 * Prints one line, the best run's round trip in ns; the threads are the OS's to place, as the engine's are.
 */
public final class CoreLatency {
    private CoreLatency() {}

    public static void main(String[] args) throws InterruptedException {
        int runs = 5, trips = 200_000;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i]) {
                case "--runs" -> runs = positive("--runs", value);
                case "--trips" -> trips = positive("--trips", value);
                default -> usage("unknown argument " + args[i]);
            }
            i++;
        }
        double best = Double.MAX_VALUE;
        for (int r = 0; r < runs; r++) best = Math.min(best, roundTripNanos(trips));
        System.out.printf(Locale.ROOT, "core-to-core round trip %.0f ns (best of %d runs of %d trips)%n", best, runs, trips);
    }

    private static int positive(String option, String value) {
        try {
            int n = Integer.parseInt(value);
            if (n >= 1) return n;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        usage(option + " expects a whole number >= 1, got '" + value + "'");
        return 0;
    }

    private static void usage(String problem) {
        System.err.println("CoreLatency: " + problem + " (usage: [--runs N] [--trips N])");
        System.exit(2);
    }

    /**
     * Mean ns per round trip over {@code trips}: this thread writes an odd value and waits for the next even one, a
     * second thread waits for each odd value and answers with the next even one, so each trip moves the line twice.
     */
    static double roundTripNanos(int trips) throws InterruptedException {
        AtomicInteger line = new AtomicInteger();
        Thread echo = new Thread(() -> {
            for (int v = 1; v < 2 * trips; v += 2) {
                while (line.get() != v) Thread.onSpinWait();
                line.set(v + 1);
            }
        });
        echo.start();
        long t0 = System.nanoTime();
        for (int v = 1; v < 2 * trips; v += 2) {
            line.set(v);
            while (line.get() != v + 1) Thread.onSpinWait();
        }
        long t1 = System.nanoTime();
        echo.join();
        return (t1 - t0) / (double) trips;
    }
}
