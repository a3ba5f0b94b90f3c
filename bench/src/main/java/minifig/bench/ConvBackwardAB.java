package minifig.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import minifig.kernels.Parallel;
import minifig.nn.Conv2d;
import minifig.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * A conv layer's backward (dW and dX) in three forms: the textbook one (dW = dY · colᵀ from an im2col matrix,
 * dX = col2im(Wᵀ · dY)), then with the stride-1 dX computed as a convolution of dY with the rotated weights,
 * then also with dW read from the padded image ({@link minifig.kernels.ConvWeightGrad}; Conv2d's default for
 * large maps). One thread, interleaved round after round in one process next to the FMA peak
 * ({@link ConvForwardAB#report}). Each timed call is one
 * {@code Conv2d.backward} of a whole batch; the forward that caches its input runs untimed before it.
 * GFLOP/s counts dW and dX: 4 * N * O * OH*OW * C*K*K (half that for dW alone).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar minifig.bench.ConvBackwardAB
 * [--rounds 6] [N,C,H,K,stride,pad,O ...]}. Default layers: ResNet-18's stride-1 3x3 convs at batch 8.
 */
@Command(name = "ConvBackwardAB", sortOptions = false,
        description = "A conv layer's backward (dW and dX) in its three forms, one thread, interleaved with the FMA peak.")
public final class ConvBackwardAB implements Runnable {
    @Option(names = "--rounds", description = "timed rounds (default: ${DEFAULT-VALUE})")
    int rounds = 6;

    @Parameters(paramLabel = "N,C,H,K,stride,pad,O",
            description = "layers to time, N images a batch (default: ResNet-18's stride-1 3x3 convs at batch 8)")
    List<String> layerArgs = List.of("8,64,56,3,1,1,64", "8,128,28,3,1,1,128", "8,256,14,3,1,1,256", "8,512,7,3,1,1,512");

    ConvBackwardAB() {}

    public static void main(String[] args) {
        Harness.run(new ConvBackwardAB(), args);
    }

    @Override
    public void run() {
        Harness.atLeastOne("--rounds", rounds);
        List<LayerArg> layers = layerArgs.stream().map(LayerArg::parse).toList();
        Parallel.setThreads(1);
        List<String> names = new ArrayList<>();
        List<Runnable> setups = new ArrayList<>(), runs = new ArrayList<>();
        List<Double> flops = new ArrayList<>();
        float[] seed = PeakFlops.seed();
        float[] sink = new float[1];
        names.add("peak");
        flops.add(PeakFlops.flops(2_000_000));
        setups.add(null);
        runs.add(() -> sink[0] += PeakFlops.chains(seed, 2_000_000));
        for (LayerArg l : layers) {
            String layer = l.text();
            int N = l.images(), C = l.C(), H = l.H(), K = l.K(), s = l.stride(), p = l.pad(), O = l.O();
            int OH = l.OH();
            Random r = new Random(1);
            Conv2d conv = new Conv2d(C, O, K, s, p, false, r);
            Tensor x = new Tensor(N, C, H, H).uniform(r, 1), dy = new Tensor(N, O, OH, OH).uniform(r, 1);
            // textbook: dW from col, dX by col2im; then dX as a convolution; then dW from the padded image too
            // ... and dW alone (no dX), from col and from the padded image
            String[] variants = {"col2im, dW from col ", "dX as conv, dW col  ", "dX conv, dW padded  ",
                                 "dW only, from col   ", "dW only, padded     "};
            for (int v = 0; v < variants.length; v++) {
                boolean dxConv = v >= 1, dwPadded = v == 2 || v == 4, dx = v <= 2;
                names.add(variants[v] + layer);
                flops.add((dx ? 4.0 : 2.0) * N * O * OH * OH * C * K * K);
                setups.add(() -> {
                    conv.setInputGradByConvolution(dxConv);
                    conv.setWeightGradFromPaddedImage(dwPadded);
                    conv.setNeedsInputGrad(dx);
                    conv.forward(x, true);
                });
                runs.add(() -> {
                    Tensor g = conv.backward(dy);
                    sink[0] += g == null ? conv.weight.grad.data[0] : g.data[0];
                });
            }
        }
        ConvForwardAB.report("case (N,C,H,K,stride,pad,O)", names, setups, runs, flops, rounds);
        System.out.printf("%nsink %.3g (keeps the results alive)%n", sink[0]);
    }
}
