package minifig.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Supplier;
import minifig.kernels.Parallel;
import minifig.nn.BatchNorm2d;
import minifig.nn.Conv2d;
import minifig.nn.GlobalAvgPool2d;
import minifig.nn.Identity;
import minifig.nn.Layer;
import minifig.nn.Linear;
import minifig.nn.MaxPool2d;
import minifig.nn.ReLU;
import minifig.nn.Recycler;
import minifig.nn.Residual;
import minifig.nn.Sequential;
import minifig.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Where a ResNet-18 training step spends its time, layer by layer, at 1 and at 2 threads: each distinct layer
 * of the network (with the input shape it sees there; BatchNorm + ReLU and residual add + ReLU as the single
 * passes the network runs them in) runs a training forward and a backward, timed on its own, round after
 * round with the thread counts interleaved in one process. A row's time is one call times the number of such
 * layers in the network, so the rows add up to about one step; the last column (one-thread time over
 * two-thread time) shows which layers gain from the second thread and which do not.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -XX:+UseParallelGC -cp bench/target/benchmarks.jar
 * minifig.bench.LayerProfile [--net resnet18|custom] [--batch 32] [--rounds 5] [--threads 1,2] [--conv-parts] [--eval]}.
 * Each call's output and input gradient go back to the layers' pool ({@link Recycler}), so after the two untimed rounds
 * the rows allocate almost nothing and no collection runs while a layer is timed (the header prints when timing starts,
 * for -Xlog:gc); with fresh outputs per call, a concurrent collector's threads (ZGC at the launcher's 768 MiB soft target)
 * shared the cores with the two-thread rows, which read 1.42x one thread that way against 1.84x without (bench/README.md).
 * With {@code --conv-parts} only the convs
 * are timed, each split into its forward, its weight gradient (dW, db) and its input gradient (dX); with
 * {@code --eval} each layer runs an eval-mode forward only (inference); eval forwards do not take from the pool, so
 * those rows still allocate their outputs.
 */
@Command(name = "LayerProfile", sortOptions = false,
        description = "Where a network's training step (or eval forward) spends its time, layer by layer, at each thread count.")
public final class LayerProfile implements Runnable {
    /** The networks profiled. */
    enum Net { resnet18, custom }

    @Option(names = "--net", description = "network: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    Net net = Net.resnet18;

    @Option(names = "--batch", description = "batch size (default: ${DEFAULT-VALUE})")
    int batch = 32;

    @Option(names = "--rounds", description = "timed rounds (default: ${DEFAULT-VALUE})")
    int rounds = 5;

    @Option(names = "--threads", split = ",", paramLabel = "T", description = "thread counts, e.g. 1,2 (default: 1,2)")
    int[] threads = {1, 2};

    @Option(names = "--conv-parts", description = "time only the convs, each split into forward, dW and dX")
    boolean parts;

    @Option(names = "--eval", description = "eval-mode forwards only (inference)")
    boolean eval;

    LayerProfile() {}

    /** One distinct layer of the network: how many there are, what it is, and the input it sees. */
    private record Row(String name, int count, Supplier<Layer> layer, int[] inShape, String part) {
        Row(String name, int count, Supplier<Layer> layer, int[] inShape) { this(name, count, layer, inShape, "all"); }
    }

    public static void main(String[] args) {
        Harness.run(new LayerProfile(), args);
    }

    @Override
    public void run() {
        Harness.atLeastOne("--batch", batch);
        Harness.atLeastOne("--rounds", rounds);
        Harness.atLeastOne("--threads", threads);
        List<Row> rows = net == Net.resnet18 ? resnet18(batch) : custom(batch);
        if (parts) rows = convParts(rows);
        // Room for every row's outputs and gradients in the pool (ResNet-18 at batch 32: ~1.3 GB of distinct sizes), so
        // the calls after the first reuse them (giveBack) and no collection falls into a timed row.
        Recycler.setMaxBytes(2L << 30);
        Random r = new Random(1);
        List<Runnable> prepare = new ArrayList<>(), timed = new ArrayList<>();
        float[] sink = new float[1];
        for (Row row : rows) {
            Layer l = row.layer().get();
            Tensor x = new Tensor(row.inShape()).uniform(r, 1);
            Tensor dy = new Tensor(l.forward(x, true).shape).uniform(r, 1);
            l.backward(dy);
            Tensor[] y = new Tensor[1];
            Runnable fwd = () -> y[0] = l.forward(x, true), bwd = () -> {
                Tensor dx = l.backward(dy);
                if (dx != null) sink[0] += dx.data[0];
                giveBack(y[0], dx, x, dy);
            };
            if (eval) {
                prepare.add(null);
                timed.add(() -> sink[0] += l.forward(x, false).data[0]);
                continue;
            }
            switch (row.part()) {
                case "fwd" -> { prepare.add(null); timed.add(() -> { fwd.run(); giveBack(y[0], null, x, dy); }); }
                case "bwd" -> { prepare.add(fwd); timed.add(bwd); }
                default -> { prepare.add(null); timed.add(() -> { fwd.run(); bwd.run(); }); }
            }
        }
        double[][][] times = new double[rows.size()][threads.length][rounds];
        // Two untimed rounds: the JIT's, and the pool's, which grows until it holds every size each row takes back to back
        int warmup = 2;
        long timedFrom = 0;
        for (int round = -warmup; round < rounds; round++) {
            if (round == 0) timedFrom = ManagementFactory.getRuntimeMXBean().getUptime();
            for (int t = 0; t < threads.length; t++) {
                Parallel.setThreads(threads[t]);
                for (int i = 0; i < rows.size(); i++) {
                    if (prepare.get(i) != null) prepare.get(i).run();
                    long t0 = System.nanoTime();
                    timed.get(i).run();
                    long dt = System.nanoTime() - t0;
                    if (round >= 0) times[i][t][round] = dt * 1e-6;
                }
            }
        }
        System.out.printf(Locale.ROOT, "%s %s, batch %d, %s per layer, %d rounds (best / median ms; timed from JVM uptime %.1f s, for -Xlog:gc)%n",
                net.equals("custom") ? "Custom net" : "ResNet-18", eval ? "inference" : "training step", batch, eval ? "eval-mode forward" : "forward + backward", rounds,
                timedFrom / 1e3);
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-34s %3s", "layer (input)", "x"));
        for (int t : threads) head.append(String.format(Locale.ROOT, " %17s", t + "t best / median"));
        head.append(String.format(Locale.ROOT, " %14s", threads[0] + "t/" + threads[threads.length - 1] + "t best/med"));
        System.out.println(head);
        double[][] total = new double[threads.length][2];
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-34s %3d", row.name(), row.count()));
            double[][] bm = new double[threads.length][];
            for (int t = 0; t < threads.length; t++) {
                double[] v = times[i][t].clone();
                Arrays.sort(v);
                bm[t] = new double[] {v[0] * row.count(), v[v.length / 2] * row.count()};
                total[t][0] += bm[t][0];
                total[t][1] += bm[t][1];
                line.append(String.format(Locale.ROOT, " %8.1f /%7.1f", bm[t][0], bm[t][1]));
            }
            int last = threads.length - 1;
            line.append(String.format(Locale.ROOT, " %6.2fx/%5.2fx", bm[0][0] / bm[last][0], bm[0][1] / bm[last][1]));
            System.out.println(line);
        }
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-34s %3s", "total", ""));
        for (double[] tt : total) line.append(String.format(Locale.ROOT, " %8.1f /%7.1f", tt[0], tt[1]));
        int last = threads.length - 1;
        line.append(String.format(Locale.ROOT, " %6.2fx/%5.2fx", total[0][0] / total[last][0], total[0][1] / total[last][1]));
        System.out.println(line);
        if (Float.isNaN(sink[0])) System.out.println("(NaN in the outputs)");
    }

    /**
     * Hands a call's output y and input gradient dx back to the layers' pool ({@link Recycler}) once nothing reads them,
     * never the row's own x and dY: the next call takes them instead of allocating. Allocating fresh outputs every call,
     * the timed rows met garbage collections (under ZGC its threads shared the two cores with the two-thread rows), and
     * the young generation large enough to avoid them page-faulted through the first rounds on hosts with slow first
     * touch (bench/README.md).
     */
    private static void giveBack(Tensor y, Tensor dx, Tensor x, Tensor dy) {
        if (y != null && y.data != x.data && y.data != dy.data) Recycler.give(y);
        if (dx != null && dx.data != x.data && dx.data != dy.data && (y == null || dx.data != y.data)) Recycler.give(dx);
    }

    /** Each conv row as three: forward, backward with dW only (dX off), backward with dX only (weight frozen). */
    private static List<Row> convParts(List<Row> rows) {
        List<Row> out = new ArrayList<>();
        for (Row row : rows) {
            if (!(row.layer().get() instanceof Conv2d)) continue;
            out.add(new Row(row.name() + " fwd", row.count(), row.layer(), row.inShape(), "fwd"));
            out.add(new Row(row.name() + " dW", row.count(), () -> {
                Conv2d c = (Conv2d) row.layer().get();
                c.setNeedsInputGrad(false);
                return c;
            }, row.inShape(), "bwd"));
            Conv2d probe = (Conv2d) row.layer().get();
            if (!probe.needsInputGrad()) continue;     // the stem: no dX in training
            out.add(new Row(row.name() + " dX", row.count(), () -> {
                Conv2d c = (Conv2d) row.layer().get();
                c.weight.frozen = true;
                return c;
            }, row.inShape(), "bwd"));
        }
        return out;
    }

    /**
     * The custom net's distinct layers at {@code N} images of 64x64 (NetCase's custom cases), with how often each occurs:
     * conv1, then conv2's five uses at 64, 32, 32, 16, 16 with a ReLU after each, two 2x2 max pools, the global pool
     * and the two linear layers (minifig.models.CustomNet).
     */
    private static List<Row> custom(int N) {
        List<Row> rows = new ArrayList<>();
        Random rng = new Random(7);
        int W = minifig.models.CustomNet.WIDTH;
        rows.add(new Row("conv1 3->" + W + " 3x3 @64", 1, () -> {
            Conv2d c = new Conv2d(3, W, 3, 1, 1, true, rng);
            c.setNeedsInputGrad(false);          // as in training: nobody needs the image's gradient
            return c;
        }, new int[] {N, 3, 64, 64}));
        rows.add(new Row("relu " + W + " @64", 1, ReLU::new, new int[] {N, W, 64, 64}));      // conv1's
        for (int[] u : new int[][] {{64, 1}, {32, 2}, {16, 2}}) {        // map size, uses of conv2 there
            int S = u[0];
            rows.add(new Row("conv2 " + W + "->" + W + " 3x3 @" + S, u[1],
                    () -> new Conv2d(W, W, 3, 1, 1, true, rng), new int[] {N, W, S, S}));
            rows.add(new Row("relu " + W + " @" + S, u[1], ReLU::new, new int[] {N, W, S, S}));
            if (S > 16) rows.add(new Row("maxpool 2x2 " + W + " @" + S, 1, () -> new MaxPool2d(2, 2, 0), new int[] {N, W, S, S}));
        }
        rows.add(new Row("global avg pool " + W + " @16", 1, GlobalAvgPool2d::new, new int[] {N, W, 16, 16}));
        rows.add(new Row("fc1 " + W + "->" + W + " + relu", 1, () -> new Sequential(new Linear(W, W, true, rng), new ReLU()), new int[] {N, W}));
        rows.add(new Row("fc2 " + W + "->36", 1, () -> new Linear(W, 36, true, rng), new int[] {N, W}));
        return rows;
    }

    /** ResNet-18's distinct layers at {@code N} images of 224x224, with how often each occurs. */
    private static List<Row> resnet18(int N) {
        List<Row> rows = new ArrayList<>();
        Random rng = new Random(7);
        rows.add(new Row("stem conv 3->64 7x7/2 @224", 1, () -> {
            Conv2d c = new Conv2d(3, 64, 7, 2, 3, false, rng);
            c.setNeedsInputGrad(false);          // as in training: nobody needs the image's gradient
            return c;
        }, new int[] {N, 3, 224, 224}));
        rows.add(new Row("bn+relu 64 @112", 1, () -> new Sequential(new BatchNorm2d(64), new ReLU()),
                new int[] {N, 64, 112, 112}));
        rows.add(new Row("maxpool 3x3/2 64 @112", 1, () -> new MaxPool2d(3, 2, 1), new int[] {N, 64, 112, 112}));
        int[] widths = {64, 128, 256, 512};
        int size = 56;
        for (int s = 0; s < 4; s++) {
            int C = widths[s], S = size;
            if (s > 0) {
                int in = widths[s - 1], inS = S * 2;
                rows.add(new Row("conv " + in + "->" + C + " 3x3/2 @" + inS, 1,
                        () -> new Conv2d(in, C, 3, 2, 1, false, rng), new int[] {N, in, inS, inS}));
                rows.add(new Row("conv " + in + "->" + C + " 1x1/2 @" + inS, 1,
                        () -> new Conv2d(in, C, 1, 2, 0, false, rng), new int[] {N, in, inS, inS}));
            }
            // per stage: 2 blocks, each bn1+relu1 (one pass), bn2 alone, add+relu (one pass); stages 2-4 add a
            // downsample's bn
            int convs = s == 0 ? 4 : 3, norms = s == 0 ? 2 : 3;
            rows.add(new Row("conv " + C + "->" + C + " 3x3 @" + S, convs,
                    () -> new Conv2d(C, C, 3, 1, 1, false, rng), new int[] {N, C, S, S}));
            rows.add(new Row("bn+relu " + C + " @" + S, 2, () -> new Sequential(new BatchNorm2d(C), new ReLU()),
                    new int[] {N, C, S, S}));
            rows.add(new Row("bn " + C + " @" + S, norms, () -> new BatchNorm2d(C), new int[] {N, C, S, S}));
            rows.add(new Row("residual add+relu " + C + " @" + S, 2,
                    () -> new Sequential(new Residual(new Identity(), null), new ReLU()), new int[] {N, C, S, S}));
            size /= 2;
        }
        rows.add(new Row("global avg pool 512 @7", 1, GlobalAvgPool2d::new, new int[] {N, 512, 7, 7}));
        rows.add(new Row("fc 512->1000", 1, () -> new Linear(512, 1000, true, rng), new int[] {N, 512}));
        return rows;
    }
}
