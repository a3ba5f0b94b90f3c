package minifig.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.IntConsumer;
import minifig.kernels.ConvShifted;
import minifig.kernels.GemmBlocked;
import minifig.kernels.Im2col;
import minifig.kernels.Im2colPanels;
import minifig.kernels.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Conv forward GEMMs with an explicit col matrix (im2col, then GEMM reads it back) vs implicit im2col
 * ({@link Im2colPanels}: B panels copied from a padded, phase-split copy of the images, built per call; the path
 * Conv2d takes) vs {@link ConvShifted} (an output grid as wide as the padded image, split into phases when strided,
 * including its padding copy and output copy), one thread, interleaved round after round
 * in one process next to the FMA peak, as {@link Interleaved} does for plain GEMMs; each case is reported by
 * its best round and its median.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar minifig.bench.ConvForwardAB
 * [--rounds 10] [G,C,H,K,stride,pad,O ...]} ({@code --help} lists the options) (G images side by side in one GEMM, as Conv2d groups small maps).
 * Default layers: ResNet-18's stem, layer1, layer2 (strided and not), layer3/4 grouped for batch 8, a downsample.
 */
@Command(name = "ConvForwardAB", sortOptions = false,
        description = "Conv forward GEMMs (explicit col, implicit im2col, shifted rows), one thread, interleaved with the FMA peak.")
public final class ConvForwardAB implements Runnable {
    @Option(names = "--rounds", description = "timed rounds (default: ${DEFAULT-VALUE})")
    int rounds = 10;

    @Parameters(paramLabel = "G,C,H,K,stride,pad,O",
            description = "layers to time (default: ResNet-18's stem, layer1, layer2 strided and not, layer3/4 for batch 8, a downsample)")
    List<String> layerArgs = List.of("1,3,224,7,2,3,64", "1,64,56,3,1,1,64", "1,64,56,3,2,1,128", "1,128,28,3,1,1,128",
            "8,256,14,3,1,1,256", "8,512,7,3,1,1,512", "1,64,56,1,2,0,128");

    ConvForwardAB() {}

    public static void main(String[] args) {
        Harness.run(new ConvForwardAB(), args);
    }

    @Override
    public void run() {
        Harness.atLeastOne("--rounds", rounds);
        List<LayerArg> layers = layerArgs.stream().map(LayerArg::parse).toList();
        Parallel.setThreads(1);
        List<String> names = new ArrayList<>();
        List<Runnable> runs = new ArrayList<>();
        List<Double> flops = new ArrayList<>();
        float[] seed = PeakFlops.seed();
        float[] sink = new float[1];
        names.add("peak");
        flops.add(PeakFlops.flops(2_000_000));
        runs.add(() -> sink[0] += PeakFlops.chains(seed, 2_000_000));
        Random r = new Random(1);
        for (LayerArg l : layers) {
            String layer = l.text();
            int G = l.images(), C = l.C(), H = l.H(), K = l.K(), s = l.stride(), p = l.pad(), O = l.O();
            int OH = l.OH(), OHW = OH * OH, CKK = C * K * K, cols = G * OHW, CHW = C * H * H;
            float[] x = new float[G * CHW], w = new float[O * CKK], col = new float[CKK * cols], out = new float[O * cols];
            for (int j = 0; j < x.length; j++) x[j] = r.nextFloat();
            for (int j = 0; j < w.length; j++) w[j] = r.nextFloat();
            double fl = 2.0 * O * cols * CKK;
            names.add("explicit " + layer);
            flops.add(fl);
            runs.add(() -> {
                for (int g = 0; g < G; g++) Im2col.im2col(x, g * CHW, C, H, H, K, K, s, p, col, g * OHW, cols);
                GemmBlocked.DEFAULT.sgemm(false, false, O, cols, CKK, w, 0, CKK, col, 0, cols, out, 0, cols, false);
            });
            names.add("implicit " + layer);
            flops.add(fl);
            runs.add(() -> GemmBlocked.DEFAULT.sgemm(false, O, cols, CKK, w, 0, CKK,
                    new Im2colPanels(x, 0, G, C, H, H, K, s, p), out, 0, cols, false));
            names.add("shifted " + layer);
            flops.add(fl);
            runs.add(() -> ConvShifted.forward(w, O, x, G, C, H, H, K, s, p, out, 0));
        }
        report("case (G,C,H,K,stride,pad,O)", names, null, runs, flops, rounds);
        System.out.println(String.format(Locale.ROOT, "%nsink %.3g (keeps the peak loop alive)", sink[0]));
    }

    /**
     * Runs every case once per round (after {@link Warmup}'s untimed rounds), interleaved, and prints a table of best and
     * median GFLOP/s with the best as a percentage of the first case's (the FMA peak). {@code setups} (null,
     * or one entry per case, null entries allowed) run untimed right before their case.
     */
    static void report(String header, List<String> names, List<Runnable> setups, List<Runnable> runs,
                       List<Double> flops, int rounds) {
        double[][] t = new double[runs.size()][rounds];
        IntConsumer oneRound = round -> {
            for (int c = 0; c < runs.size(); c++) {
                if (setups != null && setups.get(c) != null) setups.get(c).run();
                long t0 = System.nanoTime();
                runs.get(c).run();
                if (round >= 0) t[c][round] = (System.nanoTime() - t0) / 1e9;
            }
        };
        Warmup.run(() -> oneRound.accept(-1));
        for (int round = 0; round < rounds; round++) oneRound.accept(round);
        System.out.println("| " + header + " | best ms | best GFLOP/s | median GFLOP/s | best % of peak |");
        System.out.println("|---|---:|---:|---:|---:|");
        double peak = 0;
        for (int c = 0; c < runs.size(); c++) {
            double[] sorted = t[c].clone();
            Arrays.sort(sorted);
            double best = flops.get(c) / sorted[0] / 1e9, median = flops.get(c) / sorted[sorted.length / 2] / 1e9;
            if (c == 0) peak = best;
            System.out.println(String.format(Locale.ROOT, "| %s | %.2f | %.1f | %.1f | %.0f%% |", names.get(c),
                    sorted[0] * 1e3, best, median, 100 * best / peak));
        }
    }
}
