package minifig.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import minifig.BadInputException;
import minifig.kernels.Elementwise;
import minifig.kernels.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Memory bandwidth as the elementwise layers see it: z = x + y ({@link Elementwise#add}, the residual add's
 * kernel) over three arrays of a given total size, at 1 and 2 threads interleaved, in GB/s of reads and
 * writes (12 bytes per element). Working sets that fit the L2 or L3 cache show the cache's rate; the large
 * ones show the DRAM's, which bounds BatchNorm, ReLU, the residual add and max pooling on ResNet-sized
 * activations (a 64 x 112 x 112 map at batch 32 is 103 MB). See docs/performance.md, "Where the time goes".
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar minifig.bench.StreamBandwidth
 * [--rounds 10] [MB ...]} (default working sets: 1, 8, 64, 256 MB; {@code --help} lists the options).
 */
@Command(name = "StreamBandwidth", sortOptions = false,
        description = "Memory bandwidth of z = x + y at 1 and 2 threads, by working set.")
public final class StreamBandwidth implements Runnable {
    @Option(names = "--rounds", description = "timed rounds (default: ${DEFAULT-VALUE})")
    int rounds = 10;

    @Parameters(paramLabel = "MB", description = "working sets in MB, all three arrays together (default: ${DEFAULT-VALUE})")
    List<String> sizeArgs = List.of("1", "8", "64", "256");

    StreamBandwidth() {}

    public static void main(String[] args) {
        Harness.run(new StreamBandwidth(), args);
    }

    @Override
    public void run() {
        Harness.atLeastOne("--rounds", rounds);
        int[] sizes = new int[sizeArgs.size()];
        for (int i = 0; i < sizes.length; i++) {
            String t = sizeArgs.get(i);
            try {
                sizes[i] = Integer.parseInt(t);
            } catch (NumberFormatException e) {
                sizes[i] = 0;
            }
            if (sizes[i] < 1 || (long) sizes[i] * 1024 * 1024 / 12 > Integer.MAX_VALUE - 8) {
                throw new BadInputException("working set: expected megabytes, a whole number from 1 to 24575 (three arrays "
                        + "of at most 2^31 floats), got '" + t + "'");
            }
        }
        System.out.println("| working set | threads | best GB/s | median GB/s |");
        System.out.println("|---:|---:|---:|---:|");
        for (int mb : sizes) {
            int n = (int) Math.max(1024, (long) mb * 1024 * 1024 / 12);
            float[] x = new float[n], y = new float[n], z = new float[n];
            Arrays.fill(x, 1f);
            Arrays.fill(y, 2f);
            int reps = Math.max(1, 256 / Math.max(1, mb));      // about 256 MB of traffic per timed call
            double[][] t = new double[2][rounds];
            for (int round = -2; round < rounds; round++) {    // two untimed warm-up rounds
                for (int th = 1; th <= 2; th++) {
                    Parallel.setThreads(th);
                    long t0 = System.nanoTime();
                    for (int rep = 0; rep < reps; rep++) {
                        Parallel.parallelFor(n, (lo, hi) -> Elementwise.add(x, y, z, lo, hi - lo));
                    }
                    if (round >= 0) t[th - 1][round] = (System.nanoTime() - t0) * 1e-9;
                }
            }
            double bytes = 12.0 * n * reps;
            for (int th = 0; th < 2; th++) {
                double[] s = t[th].clone();
                Arrays.sort(s);
                System.out.printf(Locale.ROOT, "| %d MB | %d | %.1f | %.1f |%n", mb, th + 1, bytes / s[0] / 1e9,
                        bytes / s[rounds / 2] / 1e9);
            }
            if (z[n - 1] != 3f) throw new AssertionError("add computed " + z[n - 1]);
        }
    }
}
