package minifig.bench;

import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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
@Command(name = "CoreLatency", sortOptions = false,
        description = "The round trip of one cache line between two threads, best of a few runs, in ns.")
public final class CoreLatency implements Callable<Integer> {
    @Option(names = "--runs", description = "runs, the best one reported (default: ${DEFAULT-VALUE})")
    int runs = 5;

    @Option(names = "--trips", description = "round trips per run (default: ${DEFAULT-VALUE})")
    int trips = 200_000;

    CoreLatency() {}

    public static void main(String[] args) {
        Harness.run(new CoreLatency(), args);
    }

    @Override
    public Integer call() throws InterruptedException {
        Harness.atLeastOne("--runs", runs);
        Harness.atLeastOne("--trips", trips);
        double best = Double.MAX_VALUE;
        for (int r = 0; r < runs; r++) best = Math.min(best, roundTripNanos(trips));
        System.out.printf(Locale.ROOT, "core-to-core round trip %.0f ns (best of %d runs of %d trips)%n", best, runs, trips);
        return 0;
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
