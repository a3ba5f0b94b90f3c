package minifig.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import minifig.BadInputException;
import minifig.data.Augmentation;
import minifig.data.Batch;
import minifig.data.DataLoader;
import minifig.data.Dataset;
import minifig.data.Fold;
import minifig.data.ImageCache;
import minifig.data.LabelSet;
import minifig.data.Preprocessing;
import minifig.data.Sample;
import minifig.data.Split;
import minifig.io.AtomicFiles;
import minifig.io.Metadata;
import minifig.models.Models;
import minifig.models.ResNet;
import minifig.nn.Loss;
import minifig.nn.Module;
import minifig.optim.LrSchedule;
import minifig.optim.SGD;
import minifig.tensor.Param;
import minifig.tensor.Tensor;

/**
 * The training loop behind {@code minifig train}: split, carve validation from TRAIN, train with SGD and a
 * schedule, pick the best epoch on validation, save checkpoints atomically, and score the test part ONCE at
 * the end with the best checkpoint. Everything random derives from the config's seed, and an epoch's data
 * depends only on (seed, epoch), so {@code --resume} from epoch k reproduces an uninterrupted run.
 */
public final class Trainer {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One row of metrics.csv and one line of the console log. */
    public record EpochRow(int epoch, double trainLoss, double trainAcc, double valLoss, double valAcc,
                           double lr, double imagesPerSec, double seconds) {
        static final String CSV_HEADER = "epoch,train_loss,train_acc,val_loss,val_acc,lr,images_per_sec,seconds";

        String csv() {
            return String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.6f,%.8g,%.2f,%.1f",
                    epoch, trainLoss, trainAcc, valLoss, valAcc, lr, imagesPerSec, seconds);
        }
    }

    /** What a finished run produced. */
    public record Result(Path runDir, Path best, Evaluation test, Inference.Outputs testOutputs,
                         List<EpochRow> history, int bestEpoch) {}

    private final TrainConfig cfg;
    private final PrintStream out;
    private final boolean progress;
    private java.util.function.Consumer<EpochRow> onEpoch = r -> {};

    public Trainer(TrainConfig cfg, PrintStream out, boolean progress) {
        this.cfg = cfg;
        this.out = out;
        this.progress = progress;
    }

    /** Called after each epoch once its checkpoints and metrics are on disk (e.g. to snapshot or watch a run). */
    public Trainer onEpoch(java.util.function.Consumer<EpochRow> listener) {
        this.onEpoch = listener;
        return this;
    }

    /** The preprocessing a model is trained with at input side {@code imageSize}. */
    public static Preprocessing preprocessing(String model, int imageSize, int resize) {
        return Models.preprocessing(model, resize, imageSize);
    }

    static Augmentation augmentation(String name) {
        return switch (name) {
            case "standard" -> Augmentation.standard();
            case "light" -> Augmentation.light();
            case "none", "flip" -> null; // flip: mirror images from the loader, see mirrors()
            default -> throw new BadInputException("--augment: expected standard, light, flip or none, found '" + name + "'");
        };
    }

    /** Augment "flip": odd epochs (and the feature cache's second view) see each photo mirrored, nothing else changes. */
    static boolean mirrors(String augment) { return "flip".equals(augment); }

    /** Views per photo in the feature cache: 1 without augmentation, the photo and its mirror for "flip". */
    static int cacheViews(TrainConfig cfg) {
        if (mirrors(cfg.augment())) return Math.min(2, Math.max(1, cfg.cacheViews()));
        return augmentation(cfg.augment()) == null ? 1 : Math.max(1, cfg.cacheViews());
    }

    static LrSchedule schedule(TrainConfig c) {
        LrSchedule s = switch (c.schedule()) {
            case "step" -> LrSchedule.step(c.lr(), Math.max(1, c.stepSize()), c.gamma());
            case "cosine" -> LrSchedule.cosine(c.lr(), Math.max(1, c.epochs() - c.warmup()), 0);
            case "constant" -> LrSchedule.constant(c.lr());
            default -> throw new BadInputException("--schedule: expected step, cosine or constant, found '" + c.schedule() + "'");
        };
        if (c.warmup() <= 0) return s;
        // Warm-up epochs come first; the main schedule starts counting after them.
        LrSchedule shifted = t -> s.lr(Math.max(0, t - c.warmup()));
        return shifted.withWarmup(c.warmup(), 1.0 / (c.warmup() + 1));
    }

    public Result run(Path resume) {
        long t0 = System.nanoTime();
        Path runDir = Path.of(cfg.out());
        out.print(cfg.describe());

        Dataset ds = Dataset.open(Path.of(cfg.data()));
        Split split = Split.load(ds, "file".equals(cfg.split()) ? null : cfg.split(),
                cfg.splitFile() == null ? null : Path.of(cfg.splitFile()));
        Fold fold = split.carveValidation(cfg.valFraction(), cfg.seed());
        LabelSet labels = split.labels();
        out.printf(Locale.ROOT, "data         %d classes: %d train (%d for training, %d validation), %d test%n",
                labels.size(), split.train().size(), fold.train().size(), fold.val().size(), split.test().size());

        Preprocessing pp = preprocessing(cfg.model(), cfg.imageSize(), cfg.resize());
        augmentation(cfg.augment()); // a bad --augment fails here, before the run folder exists
        Module model;
        SGD sgd;
        String cacheStage = null;
        if (cfg.weights() != null) {
            ResNet r = Tuner.pretrained(cfg, labels.size());
            cacheStage = switch (cfg.finetune()) {
                case "head" -> "pool";
                case "last-stage" -> "layer3";
                case "all" -> null;
                default -> throw new BadInputException("--finetune: expected head, last-stage or all, found '" + cfg.finetune() + "'");
            };
            if (cacheStage != null) r.freezeThrough(cacheStage);
            // Batches of 32 from ~290 photos give noisy batch statistics that would drift far from ImageNet's:
            // every BatchNorm keeps its pretrained running statistics (gamma and beta of trained stages still learn).
            r.freezeAllBatchNormStats(true);
            sgd = r.sgd(cfg.lr(), cfg.headLrScale(), cfg.momentum(), cfg.weightDecay(), cfg.nesterov());
            model = r;
        } else {
            model = Models.create(cfg.model(), labels.size(), cfg.seed());
            sgd = new SGD(model.params(), cfg.lr(), cfg.momentum(), cfg.weightDecay(), cfg.nesterov());
        }
        Loss loss = Inference.lossFor(model);
        LrSchedule schedule = schedule(cfg);

        List<EpochRow> history = new ArrayList<>();
        int startEpoch = 0, bestEpoch = 0;
        double priorSeconds = 0;
        double bestAcc = -1, bestLoss = Double.POSITIVE_INFINITY;
        if (resume != null) {
            Checkpoint ck = Checkpoint.load(resume);
            if (!ck.arch.equals(cfg.model()) || !ck.labels.equals(labels)) {
                throw new BadInputException(resume + ": expected a checkpoint of " + cfg.model() + " with " + labels.size()
                        + " classes of this split, found " + ck.arch + " with " + ck.numClasses + " classes");
            }
            if (!ck.preprocessing.equals(pp)) {
                throw new BadInputException(resume + ": preprocessing: expected " + pp + " (from --image-size " + cfg.imageSize()
                        + "), found " + ck.preprocessing + "; resume with the run's own --image-size");
            }
            ck.loadInto(model);
            ck.restoreOptimizer(model, sgd);
            startEpoch = ck.epoch();
            JsonNode h = ck.json("history");
            try {
                if (h != null) for (JsonNode r : h) history.add(JSON.convertValue(r, EpochRow.class));
            } catch (IllegalArgumentException e) {
                throw new BadInputException(resume + ": metadata 'history': expected a list of metrics rows, found an error ("
                        + e.getMessage().lines().findFirst().orElse("") + ")");
            }
            JsonNode b = ck.json("best");
            if (b != null) {
                bestEpoch = b.path("epoch").asInt();
                bestAcc = b.path("val_acc").asDouble();
                bestLoss = b.path("val_loss").asDouble();
            }
            if (!history.isEmpty()) priorSeconds = history.get(history.size() - 1).seconds();
            out.printf("resumed      from %s after epoch %d%n", resume, startEpoch);
        }

        try {
            Files.createDirectories(runDir);
        } catch (java.io.IOException e) {
            throw new BadInputException("--out " + runDir + ": cannot create the run folder (" + e.getMessage() + ")");
        }
        AtomicFiles.deleteStaleTemporaries(runDir); // left by a run killed mid-write
        AtomicFiles.writeString(runDir.resolve("config.json"), toJson(cfg));
        if (resume != null) carryBestOver(resume, runDir.resolve("best.safetensors"), bestEpoch);

        long tc = System.nanoTime();
        List<Sample> all = new ArrayList<>(split.train());
        all.addAll(split.test());
        ImageCache cache = ImageCache.build(all, pp.resize(), pp.filter(), Math.max(1, cfg.threads()));
        out.printf(Locale.ROOT, "cache        %d photos decoded at shorter side %d in %.1fs (%d MB)%n",
                cache.size(), pp.resize(), (System.nanoTime() - tc) / 1e9, cache.bytes() >> 20);

        boolean dropLast = fold.train().size() > cfg.batchSize();
        DataLoader trainLoader = DataLoader.builder(fold.train(), labels, cache, pp).batchSize(cfg.batchSize())
                .augmentation(augmentation(cfg.augment())).mirrorOddEpochs(mirrors(cfg.augment()))
                .shuffle(true).dropLast(dropLast).seed(cfg.seed()).build();
        DataLoader valLoader = fold.val().isEmpty() ? null
                : DataLoader.builder(fold.val(), labels, cache, pp).batchSize(cfg.batchSize()).build();
        FeatureCache trainFeatures = null, valFeatures = null;
        Standardizer standardizer = null;
        if (cacheStage != null) {
            ResNet r = (ResNet) model;
            long tf = System.nanoTime();
            DataLoader views = DataLoader.builder(fold.train(), labels, cache, pp).batchSize(cfg.batchSize())
                    .augmentation(augmentation(cfg.augment())).mirrorOddEpochs(mirrors(cfg.augment())).seed(cfg.seed()).build();
            int viewCount = cacheViews(cfg);
            try (ProgressBar bar = progressBar("features", viewCount * fold.train().size())) {
                trainFeatures = FeatureCache.build(r, cacheStage, views, viewCount, bar == null ? null : bar::stepTo);
            }
            if (valLoader != null) valFeatures = FeatureCache.build(r, cacheStage, valLoader, 1, null);
            out.printf(Locale.ROOT, "features     %s output %s cached for %d views x %d photos + %d validation in %.1fs (%d MB)%n",
                    cacheStage, java.util.Arrays.toString(trainFeatures.featureShape), viewCount, fold.train().size(),
                    fold.val().size(), (System.nanoTime() - tf) / 1e9, (trainFeatures.bytes() + (valFeatures == null ? 0 : valFeatures.bytes())) >> 20);
            if (trainFeatures.featureShape.length == 1) {
                // The head trains on standardised features and is folded back whenever it is saved (Standardizer).
                standardizer = Standardizer.of(trainFeatures);
                trainFeatures = trainFeatures.standardized(standardizer);
                if (valFeatures != null) valFeatures = valFeatures.standardized(standardizer);
                if (resume != null) standardizer.unfold(r.fc()); // the checkpoint holds the folded head
            }
        }
        final Standardizer st = standardizer;

        Path lastFile = runDir.resolve("last.safetensors"), bestFile = runDir.resolve("best.safetensors");
        int sinceBest = 0;
        boolean cached = trainFeatures != null;
        int printEvery = cached ? Math.max(1, cfg.epochs() / 20) : 1;
        List<Param> trainable = new ArrayList<>();
        for (Param p : model.params()) if (!p.frozen) trainable.add(p);
        Map<Param, float[]> bestValues = null;
        Metadata bestMeta = null;
        long lastSave = System.nanoTime();
        for (int epoch = startEpoch + 1; epoch <= cfg.epochs(); epoch++) {
            double lr = schedule.lr(epoch - 1);
            sgd.setLr(lr);
            long te = System.nanoTime();
            Iterable<Batch> batches;
            DataLoader.Epoch loaderEpoch = null;
            if (trainFeatures != null) {
                batches = trainFeatures.epoch(epoch - 1, cfg.batchSize(), cfg.seed(), dropLast);
            } else {
                batches = loaderEpoch = trainLoader.epoch(epoch - 1);
            }
            String from = cacheStage == null ? null : ResNet.stageAfter(cacheStage);
            Fit.EpochStats stats;
            try (DataLoader.Epoch closeMe = loaderEpoch;
                 ProgressBar bar = progressBar("epoch " + epoch + "/" + cfg.epochs(), trainLoader.batchesPerEpoch())) {
                stats = Fit.epoch(model, from, loss, sgd, batches, bar == null ? null : meanLoss -> {
                    bar.step();
                    bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f", meanLoss));
                });
            }
            if (stats.diverged()) throw diverged("loss is " + stats.badLoss() + " at batch " + stats.divergedBatch(), epoch, lr, lastFile);
            double trainSec = (System.nanoTime() - te) / 1e9;
            Inference.Outputs val = valLoader == null ? null
                    : valFeatures != null ? valFeatures.evaluate((ResNet) model, loss, cfg.batchSize()) : Inference.run(model, valLoader);
            double valAcc = val == null ? Double.NaN : val.accuracy(), valLoss = val == null ? Double.NaN : val.meanLoss();
            EpochRow row = new EpochRow(epoch, stats.loss(), stats.accuracy(), valLoss, valAcc, lr,
                    stats.seen() / trainSec, priorSeconds + (System.nanoTime() - t0) / 1e9);
            history.add(row);
            if (!cached || epoch % printEvery == 0 || epoch == cfg.epochs()) out.println(format(row, cfg.epochs()));

            boolean improved = val == null || valAcc > bestAcc || (valAcc == bestAcc && valLoss < bestLoss);
            if (improved) {
                bestAcc = val == null ? row.trainAcc() : valAcc;
                bestLoss = val == null ? row.trainLoss() : valLoss;
                bestEpoch = epoch;
                sinceBest = 0;
            } else {
                sinceBest++;
            }
            String broken = Checkpoint.nonFinite(model);
            if (broken != null || (val != null && !Double.isFinite(valLoss))) {
                // A NaN can hide from the training loss (ReLU maps it to 0); never save such weights.
                throw diverged(broken != null ? "parameter '" + broken + "' is not finite" : "validation loss is " + valLoss,
                        epoch, lr, lastFile);
            }
            Metadata meta = checkpointMetadata(labels, pp, epoch, row, history, bestEpoch, bestAcc, bestLoss);
            boolean stop = cfg.patience() > 0 && sinceBest >= cfg.patience();
            if (cached && improved) {
                bestValues = ParamValues.snapshot(trainable);
                bestMeta = meta;
            }
            // On cached features an epoch takes milliseconds and a ResNet-50 checkpoint ~100 MB: write them at
            // most once a minute (and after the last epoch); the best-so-far waits in memory until then.
            boolean due = !cached || epoch == cfg.epochs() || stop || System.nanoTime() - lastSave >= SAVE_INTERVAL_NS;
            if (due) {
                final int done = epoch;
                final boolean better = improved;
                final Map<Param, float[]> bestNow = bestValues;
                final Metadata bestMetaNow = bestMeta;
                // A head trained on standardised features is saved folded (Standardizer), so checkpoints take raw features.
                java.util.function.Consumer<Runnable> folded = st == null ? Runnable::run : r -> st.whileFolded(((ResNet) model).fc(), r);
                // best before last: a crash in between must not leave a last checkpoint naming a best that is not on disk.
                if (bestNow != null) {
                    ParamValues.restoringAfter(bestNow.keySet(), () -> {
                        ParamValues.restore(bestNow);
                        folded.accept(() -> Checkpoint.save(bestFile, model, bestMetaNow));
                    });
                }
                else if (better) folded.accept(() -> Checkpoint.save(bestFile, model, meta));
                folded.accept(() -> Checkpoint.saveResumable(lastFile, model, meta, sgd, done));
                bestValues = null;
                lastSave = System.nanoTime();
            }
            writeMetrics(runDir, history);
            onEpoch.accept(row);
            if (stop) {
                out.printf("early stop   no validation improvement for %d epochs%n", cfg.patience());
                break;
            }
        }
        writeCharts(runDir, history);
        if (!Files.exists(bestFile)) throw new BadInputException(bestFile + ": no epoch was trained (--epochs " + cfg.epochs() + ")");
        if (valLoader == null) out.printf(Locale.ROOT, "model        epoch %d (no validation part: the last epoch) -> %s%n", bestEpoch, bestFile);
        else out.printf(Locale.ROOT, "best         val acc %.4f @ epoch %d -> %s%n", bestAcc, bestEpoch, bestFile);

        // The test part is touched once, here, with the checkpoint chosen on validation.
        Checkpoint best = Checkpoint.load(bestFile);
        Module bestModel = best.model();
        DataLoader testLoader = DataLoader.builder(split.test(), labels, cache, pp).batchSize(cfg.batchSize()).build();
        Inference.Outputs test = Inference.run(bestModel, testLoader);
        Evaluation ev = EvalReport.evaluation(labels, test);
        EvalReport.write(runDir, labels, test, ev);
        RunReport.builder("minifig train: " + cfg.model() + " on " + cfg.split() + " (test part, best epoch " + bestEpoch + ")")
                .config(RunReport.configMap(cfg))
                .chart("loss", runDir.resolve("loss.png"))
                .chart("accuracy", runDir.resolve("accuracy.png"))
                .confusionImage(runDir.resolve("confusion.png"))
                .evaluation(ev)
                .history(history)
                .misclassified(EvalReport.misclassified(labels, test), RunReport.photoFiles(test.samples())::get)
                .write(runDir.resolve("report.html"));
        out.printf(Locale.ROOT, "time         %s%n", duration((System.nanoTime() - t0) / 1e9));
        out.printf(Locale.ROOT, "test accuracy: %.4f (%d/%d)%n", ev.accuracy(), ev.correct, ev.n);
        return new Result(runDir, bestFile, ev, test, history, bestEpoch);
    }

    /**
     * A resumed run continues its best-so-far choice, so it needs that checkpoint too: the best.safetensors
     * beside the resumed one (copied when the new run writes into another folder).
     */
    private static void carryBestOver(Path resume, Path best, int bestEpoch) {
        Path source = resume.toAbsolutePath().resolveSibling("best.safetensors");
        if (Files.exists(best) || bestEpoch == 0) return;
        if (!Files.exists(source)) {
            throw new BadInputException(resume + ": --resume needs best.safetensors (epoch " + bestEpoch + ") beside it, found none");
        }
        Checkpoint.copy(source, best);
    }

    /** Checkpoints on cached features are written at most this often (see the training loop). */
    static final long SAVE_INTERVAL_NS = 60_000_000_000L;

    private static BadInputException diverged(String what, int epoch, double lr, Path lastFile) {
        return new BadInputException(String.format(Locale.ROOT,
                "training diverged: %s at epoch %d with --lr %s; lower --lr (the last good checkpoint is %s)",
                what, epoch, lr, Files.exists(lastFile) ? lastFile : "not written yet"));
    }

    private Metadata checkpointMetadata(LabelSet labels, Preprocessing pp, int epoch, EpochRow row,
                                        List<EpochRow> history, int bestEpoch, double bestAcc, double bestLoss) {
        Metadata m = Checkpoint.metadata(cfg.model(), 3, labels, pp);
        m.put("epoch", Integer.toString(epoch));
        m.put("seed", Long.toString(cfg.seed()));
        m.put("split", cfg.split());
        m.putJson("metrics", row);
        m.putJson("history", history);
        Map<String, Object> best = new LinkedHashMap<>();
        best.put("epoch", bestEpoch);
        best.put("val_acc", bestAcc);
        best.put("val_loss", bestLoss);
        m.putJson("best", best);
        m.putJson("config", cfg);
        return m;
    }

    private ProgressBar progressBar(String task, int batches) {
        if (!progress) return null;
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(batches).setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).setUpdateIntervalMillis(250)
                .clearDisplayOnFinish().build();
    }

    static int countCorrect(Tensor y, int[] labels) {
        int k = y.shape[1], c = 0;
        for (int i = 0; i < labels.length; i++) {
            int arg = 0;
            for (int j = 1; j < k; j++) if (y.data[i * k + j] > y.data[i * k + arg]) arg = j;
            if (arg == labels[i]) c++;
        }
        return c;
    }

    static String format(EpochRow r, int epochs) {
        String val = Double.isNaN(r.valAcc()) ? "no validation part"
                : String.format(Locale.ROOT, "val loss %.4f acc %.4f", r.valLoss(), r.valAcc());
        return String.format(Locale.ROOT, "epoch %d/%d  train loss %.4f acc %.4f | %s | lr %.2e | %.1f img/s | %s",
                r.epoch(), epochs, r.trainLoss(), r.trainAcc(), val, r.lr(), r.imagesPerSec(), duration(r.seconds()));
    }

    static String duration(double sec) {
        long s = Math.round(sec);
        return s >= 60 ? (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s" : String.format(Locale.ROOT, "%.1fs", sec);
    }

    static void writeMetrics(Path runDir, List<EpochRow> history) {
        StringBuilder sb = new StringBuilder(EpochRow.CSV_HEADER).append('\n');
        for (EpochRow r : history) sb.append(r.csv()).append('\n');
        AtomicFiles.writeString(runDir.resolve("metrics.csv"), sb.toString());
    }

    static void writeCharts(Path runDir, List<EpochRow> history) {
        List<Double> tl = new ArrayList<>(), vl = new ArrayList<>(), ta = new ArrayList<>(), va = new ArrayList<>();
        for (EpochRow r : history) {
            tl.add(r.trainLoss());
            vl.add(r.valLoss());
            ta.add(r.trainAcc());
            va.add(r.valAcc());
        }
        try {
            Charts.lines(runDir.resolve("loss.png"), "loss", "loss",
                    List.of(new Charts.Curve("train", tl), new Charts.Curve("validation", vl)));
            Charts.lines(runDir.resolve("accuracy.png"), "accuracy", "accuracy",
                    List.of(new Charts.Curve("train", ta), new Charts.Curve("validation", va)));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static String toJson(Object o) {
        try {
            return JSON.writeValueAsString(o) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
