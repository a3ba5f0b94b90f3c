package minifig.train;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import minifig.BadInputException;
import minifig.data.Augmentation;
import minifig.data.DataLoader;
import minifig.data.Dataset;
import minifig.data.Fold;
import minifig.data.ImageCache;
import minifig.data.LabelSet;
import minifig.data.Preprocessing;
import minifig.data.Sample;
import minifig.data.Split;
import minifig.io.AtomicFiles;
import minifig.models.Models;
import minifig.models.ResNet;
import minifig.models.ResNetConfig;
import minifig.nn.Module;
import minifig.optim.SGD;
import minifig.tensor.Param;
import minifig.tensor.Tensor;

/**
 * The grid search behind {@code minifig tune}: every point of a {@link TuneGrid} (learning rate, momentum,
 * weight decay, epochs) is scored by stratified k-fold cross-validation on the TRAIN part of the split
 * (the test part is never read: only TRAIN photos are even decoded), and the points are ranked by mean
 * validation accuracy over the folds (ties: lower mean loss, then grid order).
 *
 * <p>Two ways to train a (fold, point):
 * <ul>
 * <li>Fast path, {@code --weights} with {@code --finetune head|last-stage}: the frozen backbone runs ONCE per
 *     TRAIN photo and augmented view ({@link FeatureCache} over all TRAIN photos, plus a one-view cache with
 *     the eval transform for validation); each run restores the pretrained trainable stages, puts a fresh
 *     seeded head on and trains on the fold's subset of the cache. Only the feature extraction is slow.</li>
 * <li>Full path (the custom net, or {@code --finetune all}): the trainer's loop on images per (fold, point),
 *     as slow as k training runs per point.</li>
 * </ul>
 * Each fold's score is taken after the point's last epoch (no best-epoch pick on the fold's own validation
 * part, which would bias it upwards). Everything is seeded by the config's seed: same seed, same table.
 * Partial results are written after every point, so a long search can be watched and survives a crash.
 */
public final class Tuner {
    /** One (fold, point) run: validation accuracy and loss after the last epoch; NaN when it diverged. */
    public record FoldScore(int fold, double accuracy, double loss, double trainLoss, int divergedEpoch, double seconds) {}

    /**
     * One line of the table. {@code rank} is 1-based; diverged points (any fold's loss not finite) rank after
     * all others and have NaN means.
     */
    public record Row(int rank, TuneGrid.Point point, double meanAcc, double stdAcc, double meanLoss, double seconds,
                      boolean diverged, List<FoldScore> folds) {}

    /** A finished search: the table best first, the folds used and timings. */
    public record Result(Path runDir, String mode, List<Fold> folds, List<Row> table, double featureSeconds,
                         double totalSeconds, String trainCommand) {
        public Row best() { return table.get(0); }
    }

    private final TrainConfig base;
    private final TuneGrid grid;
    private final int k;
    private final PrintStream out;

    /**
     * @param base the model, data and fixed training settings (its lr, momentum, weightDecay and epochs are
     *             replaced by each grid point; its {@code out} is the run folder)
     * @param k    folds (>= 2)
     */
    public Tuner(TrainConfig base, TuneGrid grid, int k, PrintStream out) {
        this.base = base;
        this.grid = grid;
        this.k = k;
        this.out = out;
    }

    /** The fast path applies: pretrained weights with a frozen backbone prefix. */
    public static boolean cachesFeatures(TrainConfig c) {
        return c.weights() != null && !"all".equals(c.finetune());
    }

    public Result run() {
        long t0 = System.nanoTime();
        Path runDir = Path.of(base.out());
        Trainer.schedule(base); // bad --schedule / --augment fail now, not after minutes of feature extraction
        Trainer.augmentation(base.augment());
        Dataset ds = Dataset.open(Path.of(base.data()));
        Split split = Split.load(ds, "file".equals(base.split()) ? null : base.split(),
                base.splitFile() == null ? null : Path.of(base.splitFile()));
        List<Fold> folds = split.kFold(k, base.seed());
        LabelSet labels = split.labels();
        List<TuneGrid.Point> points = grid.points();
        String mode = cachesFeatures(base) ? "feature cache (" + base.finetune() + ")" : "full training per fold";
        out.printf(Locale.ROOT, "tune         %d points x %d folds = %d runs, %s%n", points.size(), k, points.size() * k, mode);
        out.printf(Locale.ROOT, "grid         lr %s | momentum %s | weight decay %s | epochs %s%n", list(grid.lr()),
                list(grid.momentum()), list(grid.weightDecay()), grid.epochs());
        out.printf(Locale.ROOT, "data         %d classes: %d train photos in %d stratified folds (%d-%d validation each); the %d test photos are not used%n",
                labels.size(), split.train().size(), k, folds.stream().mapToInt(f -> f.val().size()).min().orElse(0),
                folds.stream().mapToInt(f -> f.val().size()).max().orElse(0), split.test().size());
        try {
            Files.createDirectories(runDir);
        } catch (java.io.IOException e) {
            throw new BadInputException("--out " + runDir + ": cannot create the run folder (" + e.getMessage() + ")");
        }

        Preprocessing pp = Trainer.preprocessing(base.model(), base.imageSize(), base.resize());
        long tc = System.nanoTime();
        // TRAIN photos only: the test part cannot leak into the search because it is never decoded.
        ImageCache images = ImageCache.build(split.train(), pp.resize(), pp.filter(), Math.max(1, base.threads()));
        out.printf(Locale.ROOT, "cache        %d photos decoded at shorter side %d in %.1fs%n", images.size(), pp.resize(),
                (System.nanoTime() - tc) / 1e9);

        Runner runner = cachesFeatures(base) ? new CachedRunner(split, labels, images, pp, folds) : new ImageRunner(labels, images, pp, folds);
        double featureSeconds = runner.setupSeconds();

        List<List<FoldScore>> scores = new ArrayList<>();
        for (int p = 0; p < points.size(); p++) {
            TuneGrid.Point pt = points.get(p);
            TrainConfig cfg = at(base, pt);
            List<FoldScore> fs = new ArrayList<>();
            for (int f = 0; f < k; f++) {
                long tr = System.nanoTime();
                Fit.Outcome o = runner.fit(cfg, f);
                double sec = (System.nanoTime() - tr) / 1e9;
                Fit.EpochStats last = o.history().get(o.history().size() - 1);
                fs.add(o.diverged() ? new FoldScore(f + 1, Double.NaN, Double.NaN, Double.NaN, o.divergedEpoch(), sec)
                        : new FoldScore(f + 1, o.val().accuracy(), o.val().meanLoss(), last.loss(), 0, sec));
            }
            scores.add(fs);
            Row r = row(0, pt, fs);
            out.printf(Locale.ROOT, "point %d/%d   lr %s momentum %s wd %s epochs %d: %s, folds %s, %s%n", p + 1, points.size(),
                    TuneGrid.num(pt.lr()), TuneGrid.num(pt.momentum()), TuneGrid.num(pt.weightDecay()), pt.epochs(), accText(r),
                    foldText(fs), Trainer.duration(r.seconds()));
            List<Row> partial = rank(points.subList(0, p + 1), scores);
            write(runDir, partial, false, mode, featureSeconds, (System.nanoTime() - t0) / 1e9, folds);
        }
        List<Row> table = rank(points, scores);
        double total = (System.nanoTime() - t0) / 1e9;
        String cmd = trainCommand(at(base, table.get(0).point()));
        write(runDir, table, true, mode, featureSeconds, total, folds);
        out.println();
        out.print(format(table));
        out.printf(Locale.ROOT, "%ntime         %s (features %s), results in %s%n", Trainer.duration(total), Trainer.duration(featureSeconds),
                runDir.resolve("tune.csv"));
        if (table.get(0).diverged()) {
            out.println("best         none: every grid point diverged; lower --lr");
        } else {
            out.printf(Locale.ROOT, "best         %s%n", cmd);
        }
        return new Result(runDir, mode, folds, table, featureSeconds, total, cmd);
    }

    // ---------------------------------------------------------------- the two ways to train one (fold, point)

    private interface Runner {
        Fit.Outcome fit(TrainConfig cfg, int fold);

        double setupSeconds();
    }

    /** The fast path: frozen-backbone activations computed once, a fresh head per run. */
    private final class CachedRunner implements Runner {
        private final ResNet model;
        private final int numClasses;
        private final FeatureCache[] trainParts, valParts;
        /** Pretrained values of the trainable backbone stages (last-stage), restored before every run. */
        private final Map<Param, float[]> pretrained;
        private final double seconds;

        CachedRunner(Split split, LabelSet labels, ImageCache images, Preprocessing pp, List<Fold> folds) {
            long t0 = System.nanoTime();
            numClasses = labels.size();
            model = pretrained(base, numClasses);
            String stage = switch (base.finetune()) {
                case "head" -> "pool";
                case "last-stage" -> "layer3";
                default -> throw new BadInputException("--finetune: expected head, last-stage or all, found '" + base.finetune() + "'");
            };
            model.freezeThrough(stage);
            model.freezeAllBatchNormStats(true); // as the trainer: pretrained running statistics stay
            pretrained = ParamValues.snapshot(model.backboneParams().stream().filter(p -> !p.frozen).toList());

            Augmentation aug = Trainer.augmentation(base.augment());
            int views = Trainer.cacheViews(base);
            int n = split.train().size();
            DataLoader viewLoader = DataLoader.builder(split.train(), labels, images, pp).batchSize(base.batchSize())
                    .augmentation(aug).mirrorOddEpochs(Trainer.mirrors(base.augment())).seed(base.seed()).build();
            FeatureCache all = FeatureCache.build(model, stage, viewLoader, views, progress("features", views * n));
            FeatureCache eval = all; // view 0 of an un-augmented (or mirror-only) loader is the eval transform
            if (aug != null) {
                DataLoader evalLoader = DataLoader.builder(split.train(), labels, images, pp).batchSize(base.batchSize()).build();
                eval = FeatureCache.build(model, stage, evalLoader, 1, progress("validation features", n));
            }
            Map<Sample, Integer> index = new HashMap<>();
            for (int i = 0; i < n; i++) index.put(split.train().get(i), i);
            trainParts = new FeatureCache[folds.size()];
            valParts = new FeatureCache[folds.size()];
            for (int f = 0; f < folds.size(); f++) {
                trainParts[f] = all.subset(indices(folds.get(f).train(), index));
                valParts[f] = eval.subset(indices(folds.get(f).val(), index));
                if (all.featureShape.length == 1) { // as the trainer: the head sees standardised features (Standardizer)
                    Standardizer st = Standardizer.of(trainParts[f]);
                    trainParts[f] = trainParts[f].standardized(st);
                    valParts[f] = valParts[f].standardized(st);
                }
            }
            seconds = (System.nanoTime() - t0) / 1e9;
            out.printf(Locale.ROOT, "features     %s output %s of %d views x %d photos + %d eval views in %.1fs (%d MB)%n", stage,
                    Arrays.toString(all.featureShape), views, n, eval == all ? 0 : n, seconds,
                    (all.bytes() + (eval == all ? 0 : eval.bytes())) >> 20);
        }

        @Override
        public Fit.Outcome fit(TrainConfig cfg, int fold) {
            ParamValues.restore(pretrained);
            model.replaceHead(numClasses, cfg.seed());
            SGD sgd = model.sgd(cfg.lr(), cfg.headLrScale(), cfg.momentum(), cfg.weightDecay(), cfg.nesterov());
            return Fit.onFeatures(model, sgd, Trainer.schedule(cfg), cfg.epochs(), trainParts[fold], valParts[fold],
                    cfg.batchSize(), cfg.seed());
        }

        @Override
        public double setupSeconds() { return seconds; }
    }

    /** The full path: a fresh network trained on images for every run (custom net, or fine-tune all). */
    private final class ImageRunner implements Runner {
        private final LabelSet labels;
        private final ImageCache images;
        private final Preprocessing pp;
        private final List<Fold> folds;
        private final Checkpoint weights;

        ImageRunner(LabelSet labels, ImageCache images, Preprocessing pp, List<Fold> folds) {
            this.labels = labels;
            this.images = images;
            this.pp = pp;
            this.folds = folds;
            this.weights = base.weights() == null ? null : checkpoint(base);
        }

        @Override
        public Fit.Outcome fit(TrainConfig cfg, int fold) {
            Module model;
            SGD sgd;
            if (weights != null) {
                ResNet r = build(weights, labels.size(), cfg.seed());
                r.freezeAllBatchNormStats(true);
                sgd = r.sgd(cfg.lr(), cfg.headLrScale(), cfg.momentum(), cfg.weightDecay(), cfg.nesterov());
                model = r;
            } else {
                model = Models.create(cfg.model(), labels.size(), cfg.seed());
                sgd = new SGD(model.params(), cfg.lr(), cfg.momentum(), cfg.weightDecay(), cfg.nesterov());
            }
            Fold f = folds.get(fold);
            DataLoader train = DataLoader.builder(f.train(), labels, images, pp).batchSize(cfg.batchSize())
                    .augmentation(Trainer.augmentation(cfg.augment())).mirrorOddEpochs(Trainer.mirrors(cfg.augment()))
                    .shuffle(true).dropLast(f.train().size() > cfg.batchSize())
                    .seed(cfg.seed()).build();
            DataLoader val = DataLoader.builder(f.val(), labels, images, pp).batchSize(cfg.batchSize()).build();
            return Fit.onImages(model, sgd, Trainer.schedule(cfg), cfg.epochs(), train, val);
        }

        @Override
        public double setupSeconds() { return 0; }
    }

    private static int[] indices(List<Sample> part, Map<Sample, Integer> index) {
        int[] idx = new int[part.size()];
        for (int i = 0; i < idx.length; i++) idx[i] = index.get(part.get(i));
        return idx;
    }

    /** A console line at every tenth of the way (the build runs for minutes on ResNet-50; batches skip counts). */
    private java.util.function.IntConsumer progress(String what, int total) {
        int step = Math.max(1, total / 10);
        long start = System.nanoTime();
        int[] next = {step};
        return done -> {
            if (done < next[0] && done < total) return;
            next[0] = (done / step + 1) * step;
            out.printf(Locale.ROOT, "  %s %d/%d (%.0fs)%n", what, done, total, (System.nanoTime() - start) / 1e9);
        };
    }

    // ---------------------------------------------------------------- pretrained weights

    /** The --weights checkpoint, checked against --model. */
    static Checkpoint checkpoint(TrainConfig cfg) {
        Path file = Path.of(cfg.weights());
        if (ResNetConfig.byName(cfg.model()) == null) {
            throw new BadInputException("--weights " + file + ": fine-tuning needs a ResNet --model, found " + cfg.model()
                    + " (resume a custom run with --resume instead)");
        }
        Checkpoint pre = Checkpoint.load(file);
        if (!pre.arch.equals(cfg.model())) {
            throw new BadInputException(file + ": metadata 'arch': expected " + cfg.model() + " weights for --model "
                    + cfg.model() + ", found " + pre.arch);
        }
        return pre;
    }

    /** The pretrained network of --weights with a new, seeded head for {@code numClasses} classes. */
    static ResNet pretrained(TrainConfig cfg, int numClasses) {
        return build(checkpoint(cfg), numClasses, cfg.seed());
    }

    /**
     * Builds the checkpoint's ResNet at the width its tensors have (conv1.weight is [width, 3, 7, 7]: the
     * standard 64, or a narrow test network), loads it and replaces the head with a seeded one.
     */
    static ResNet build(Checkpoint pre, int numClasses, long seed) {
        Tensor conv1 = pre.tensors.get("conv1.weight");
        if (conv1 == null || conv1.rank() != 4) {
            throw new BadInputException(pre.file + ": tensor 'conv1.weight': expected [width, 3, 7, 7], found "
                    + (conv1 == null ? "no such tensor" : conv1.shapeString()));
        }
        ResNet r = new ResNet(Models.config(pre.arch).withWidth(conv1.shape[0]), pre.numClasses, pre.inChannels, 0L);
        pre.loadInto(r);
        r.replaceHead(numClasses, seed);
        return r;
    }

    // ---------------------------------------------------------------- ranking and reporting

    /** {@code base} with the point's learning rate, momentum, weight decay and epochs. */
    public static TrainConfig at(TrainConfig c, TuneGrid.Point p) {
        return new TrainConfig(c.model(), c.weights(), c.finetune(), c.data(), c.split(), c.splitFile(), c.valFraction(),
                p.epochs(), c.batchSize(), p.lr(), p.momentum(), p.weightDecay(), c.nesterov(), c.schedule(), c.stepSize(),
                c.gamma(), c.warmup(), c.imageSize(), c.resize(), c.augment(), c.headLrScale(), c.cacheViews(), c.patience(),
                c.seed(), c.threads(), c.out());
    }

    static Row row(int rank, TuneGrid.Point p, List<FoldScore> fs) {
        double[] acc = fs.stream().mapToDouble(FoldScore::accuracy).toArray();
        boolean diverged = fs.stream().anyMatch(s -> s.divergedEpoch() > 0);
        double mean = Arrays.stream(acc).average().orElse(Double.NaN);
        double var = 0;
        for (double a : acc) var += (a - mean) * (a - mean);
        double std = acc.length > 1 ? Math.sqrt(var / (acc.length - 1)) : 0; // sample std over the folds
        double loss = fs.stream().mapToDouble(FoldScore::loss).average().orElse(Double.NaN);
        double sec = fs.stream().mapToDouble(FoldScore::seconds).sum();
        return new Row(rank, p, mean, std, loss, sec, diverged, List.copyOf(fs));
    }

    /** Best first: finite runs by mean accuracy (desc), then mean loss (asc), then grid order; diverged last. */
    static List<Row> rank(List<TuneGrid.Point> points, List<List<FoldScore>> scores) {
        List<Integer> order = new ArrayList<>();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < points.size(); i++) {
            rows.add(row(0, points.get(i), scores.get(i)));
            order.add(i);
        }
        order.sort(Comparator.<Integer>comparingInt(i -> rows.get(i).diverged() ? 1 : 0)
                .thenComparing(i -> rows.get(i).diverged() ? 0 : -rows.get(i).meanAcc())
                .thenComparing(i -> rows.get(i).diverged() ? 0 : rows.get(i).meanLoss())
                .thenComparingInt(i -> i));
        List<Row> out = new ArrayList<>();
        for (int r = 0; r < order.size(); r++) {
            Row x = rows.get(order.get(r));
            out.add(new Row(r + 1, x.point(), x.meanAcc(), x.stdAcc(), x.meanLoss(), x.seconds(), x.diverged(), x.folds()));
        }
        return out;
    }

    private static String accText(Row r) {
        if (r.diverged()) {
            FoldScore d = r.folds().stream().filter(s -> s.divergedEpoch() > 0).findFirst().orElseThrow();
            return "diverged (fold " + d.fold() + ", epoch " + d.divergedEpoch() + ")";
        }
        return String.format(Locale.ROOT, "%.4f ± %.4f", r.meanAcc(), r.stdAcc());
    }

    private static String foldText(List<FoldScore> fs) {
        StringBuilder sb = new StringBuilder();
        for (FoldScore s : fs) sb.append(sb.isEmpty() ? "" : " ").append(Double.isNaN(s.accuracy()) ? "nan" : String.format(Locale.ROOT, "%.3f", s.accuracy()));
        return sb.toString();
    }

    /** The ranked table as printed. */
    public static String format(List<Row> table) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%4s  %-8s %-8s %-8s %6s  %-28s %8s %8s%n", "rank", "lr", "momentum", "wd", "epochs",
                "cv accuracy (mean ± std)", "cv loss", "time"));
        for (Row r : table) {
            sb.append(String.format(Locale.ROOT, "%4d  %-8s %-8s %-8s %6d  %-28s %8s %8s%n", r.rank(), TuneGrid.num(r.point().lr()),
                    TuneGrid.num(r.point().momentum()), TuneGrid.num(r.point().weightDecay()), r.point().epochs(), accText(r),
                    r.diverged() ? "-" : String.format(Locale.ROOT, r.meanLoss() < 1e4 ? "%.4f" : "%.3e", r.meanLoss()), Trainer.duration(r.seconds())));
        }
        return sb.toString();
    }

    static String csv(List<Row> table, int k) {
        StringBuilder sb = new StringBuilder("rank,lr,momentum,weight_decay,epochs,cv_acc_mean,cv_acc_std,cv_loss_mean,seconds,diverged");
        for (int f = 1; f <= k; f++) sb.append(",fold").append(f).append("_acc");
        sb.append('\n');
        for (Row r : table) {
            sb.append(String.format(Locale.ROOT, "%d,%s,%s,%s,%d,%.6f,%.6f,%.6f,%.2f,%b", r.rank(), TuneGrid.num(r.point().lr()),
                    TuneGrid.num(r.point().momentum()), TuneGrid.num(r.point().weightDecay()), r.point().epochs(), r.meanAcc(),
                    r.stdAcc(), r.meanLoss(), r.seconds(), r.diverged()));
            for (FoldScore s : r.folds()) sb.append(String.format(Locale.ROOT, ",%.6f", s.accuracy()));
            sb.append('\n');
        }
        return sb.toString();
    }

    private void write(Path runDir, List<Row> table, boolean done, String mode, double featureSeconds, double seconds, List<Fold> folds) {
        AtomicFiles.writeString(runDir.resolve("tune.csv"), csv(table, k));
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("complete", done);
        j.put("mode", mode);
        j.put("folds", k);
        j.put("fold_sizes", folds.stream().map(f -> List.of(f.train().size(), f.val().size())).toList());
        j.put("grid", grid);
        j.put("points_done", table.size());
        j.put("feature_seconds", featureSeconds);
        j.put("seconds", seconds);
        // The fixed settings: the grid's four axes vary, and validation carve and patience do not apply to CV.
        var fixed = Trainer.JSON.valueToTree(base);
        ((com.fasterxml.jackson.databind.node.ObjectNode) fixed).remove(List.of("lr", "momentum", "weightDecay", "epochs", "valFraction", "patience"));
        j.put("config", fixed);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Row r : table) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("rank", r.rank());
            m.put("lr", r.point().lr());
            m.put("momentum", r.point().momentum());
            m.put("weight_decay", r.point().weightDecay());
            m.put("epochs", r.point().epochs());
            m.put("cv_acc_mean", r.diverged() ? null : r.meanAcc());
            m.put("cv_acc_std", r.diverged() ? null : r.stdAcc());
            m.put("cv_loss_mean", r.diverged() ? null : r.meanLoss());
            m.put("seconds", r.seconds());
            m.put("diverged", r.diverged());
            m.put("fold_scores", r.folds().stream().map(s -> {
                Map<String, Object> fm = new LinkedHashMap<>();
                fm.put("fold", s.fold());
                fm.put("val_acc", Double.isNaN(s.accuracy()) ? null : s.accuracy());
                fm.put("val_loss", Double.isNaN(s.loss()) ? null : s.loss());
                fm.put("train_loss", Double.isNaN(s.trainLoss()) ? null : s.trainLoss());
                fm.put("diverged_epoch", s.divergedEpoch());
                fm.put("seconds", s.seconds());
                return fm;
            }).toList());
            rows.add(m);
        }
        j.put("table", rows);
        if (done && !table.get(0).diverged()) j.put("train_command", trainCommand(at(base, table.get(0).point())));
        AtomicFiles.writeString(runDir.resolve("tune.json"), Trainer.toJson(j));
    }

    private static String list(List<Double> v) {
        return v.stream().map(TuneGrid::num).toList().toString();
    }

    /** The {@code ./minifig train} command line that trains with exactly this config (minus --out and --threads). */
    public static String trainCommand(TrainConfig c) {
        List<String> a = new ArrayList<>(List.of("./minifig", "train", "--model", c.model()));
        if (c.weights() != null) {
            a.addAll(List.of("--weights", c.weights(), "--finetune", c.finetune(), "--head-lr-scale", TuneGrid.num(c.headLrScale())));
            if (!"all".equals(c.finetune()) && !"none".equals(c.augment())) a.addAll(List.of("--cache-views", Integer.toString(c.cacheViews())));
        }
        a.addAll(List.of("--data", c.data()));
        if (c.splitFile() != null) a.addAll(List.of("--split-file", c.splitFile()));
        else a.addAll(List.of("--split", c.split()));
        // Cross-validation scored heads trained on whole folds to their last epoch: so does the command, on all of TRAIN.
        a.addAll(List.of("--image-size", Integer.toString(c.imageSize()), "--resize", Integer.toString(c.resize()),
                "--val-fraction", "0", "--augment", c.augment(), "--batch-size", Integer.toString(c.batchSize()),
                "--lr", TuneGrid.num(c.lr()), "--momentum", TuneGrid.num(c.momentum()),
                "--weight-decay", TuneGrid.num(c.weightDecay()), "--epochs", Integer.toString(c.epochs()), "--schedule", c.schedule()));
        if ("step".equals(c.schedule())) a.addAll(List.of("--step-size", Integer.toString(c.stepSize()), "--gamma", TuneGrid.num(c.gamma())));
        a.addAll(List.of("--warmup", Integer.toString(c.warmup())));
        if (c.nesterov()) a.add("--nesterov");
        a.addAll(List.of("--seed", Long.toString(c.seed())));
        StringBuilder sb = new StringBuilder();
        for (String s : a) sb.append(sb.isEmpty() ? "" : " ").append(shellQuote(s));
        return sb.toString();
    }

    static String shellQuote(String s) {
        if (!s.isEmpty() && s.matches("[A-Za-z0-9_./:=+,-]+")) return s;
        return "'" + s.replace("'", "'\"'\"'") + "'";
    }
}
