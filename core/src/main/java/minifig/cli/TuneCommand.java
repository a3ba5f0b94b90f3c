package minifig.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import minifig.BadInputException;
import minifig.data.DataDir;
import minifig.models.Models;
import minifig.train.TrainConfig;
import minifig.train.TuneGrid;
import minifig.train.Tuner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code minifig tune}: grid search over learning rate, momentum, weight decay and epochs, scored by
 * stratified k-fold cross-validation on the TRAIN part only; prints the ranked table and the winning
 * {@code minifig train} command.
 */
@Command(name = "tune", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Grid search of lr x momentum x weight decay x epochs by stratified k-fold cross-validation on the train part",
                "(the test part is never read). With --weights and --finetune head|last-stage the frozen backbone runs once per",
                "photo and view and each run trains only a fresh head on the cached features: minutes, not hours.",
                "Writes tune.csv and tune.json into --out; the last line is the best './minifig train ...' command."})
public final class TuneCommand implements Callable<Integer> {

    @Option(names = "--lr", split = ",", paramLabel = "X[,Y...]", hideParamSyntax = true, description = "Base learning rates (default: 0.003,0.01,0.03).")
    List<Double> lr;

    @Option(names = "--momentum", split = ",", paramLabel = "X[,Y...]", hideParamSyntax = true, description = "SGD momenta (default: 0.9).")
    List<Double> momentum;

    @Option(names = "--weight-decay", split = ",", paramLabel = "X[,Y...]", hideParamSyntax = true, description = "Weight decays (default: 0,1e-4,1e-3).")
    List<Double> weightDecay;

    @Option(names = "--epochs", split = ",", paramLabel = "X[,Y...]", hideParamSyntax = true, description = "Epoch counts (default: 20).")
    List<Integer> epochs;

    @Option(names = "--grid", paramLabel = "FILE", description = "Grid file, JSON {\"lr\": [..], \"momentum\": [..], \"weight_decay\": [..], "
            + "\"epochs\": [..]} or properties (lr = 0.001, 0.01); the flags above override its axes.")
    Path gridFile;

    @Option(names = "--folds", description = "Cross-validation folds (default: ${DEFAULT-VALUE}).", defaultValue = "5")
    int folds;

    @Mixin
    Common common;

    static final TuneGrid.Axes DEFAULTS = new TuneGrid.Axes(List.of(0.003, 0.01, 0.03), List.of(0.9), List.of(0.0, 1e-4, 1e-3), List.of(20));

    @Override
    public Integer call() {
        TuneGrid.Axes given = new TuneGrid.Axes(lr, momentum, weightDecay, epochs);
        if (gridFile != null) given = given.or(TuneGrid.read(gridFile));
        TuneGrid grid = given.or(DEFAULTS).grid();
        if (folds < 2) throw new BadInputException("--folds: expected at least 2, found " + folds);
        TrainConfig cfg = common.config(grid.lr().get(0), grid.momentum().get(0), grid.weightDecay().get(0), grid.epochs().get(0), "tune-");
        new Tuner(cfg, grid, folds, System.out).run();
        return 0;
    }

    /**
     * The model, data and fixed training flags tune shares with train (same names, same defaults), and their
     * resolution into a TrainConfig. TrainCommand can adopt it as a picocli @Mixin.
     */
    public static final class Common {
        @Option(names = "--model", description = "Architecture: ${COMPLETION-CANDIDATES} (default: resnet50-keras with the "
                + "ImageNet weights when " + TrainCommand.DEFAULT_WEIGHTS + " exists, else custom).", completionCandidates = TrainCommand.ModelNames.class)
        String model;

        @Option(names = "--weights", description = "Pretrained weights (a 'minifig convert' output) to fine-tune from.")
        Path weights;

        @Option(names = "--finetune", description = "With --weights: head, last-stage or all (default: ${DEFAULT-VALUE}).", defaultValue = "head")
        String finetune;

        @Option(names = "--head-lr-scale", description = "With --weights: the new head's learning rate over the backbone's (default: ${DEFAULT-VALUE}).",
                defaultValue = "10")
        double headLrScale;

        @Option(names = "--cache-views", description = "With --finetune head|last-stage: augmented views per photo in the feature cache "
                + "(default: ${DEFAULT-VALUE}).", defaultValue = "8")
        int cacheViews;

        @Option(names = "--data", description = "Photo-set folder (default: data/lego-minifigures, else ../shared/data/lego-minifigures).")
        String data;

        @Option(names = "--split", description = "lego36 or published (default: ${DEFAULT-VALUE}).", defaultValue = "lego36")
        String split;

        @Option(names = "--split-file", description = "A split file (path,class_id,subset) instead of --split.")
        Path splitFile;

        @Option(names = "--batch-size", description = "Mini-batch size (default: ${DEFAULT-VALUE}).", defaultValue = "32")
        int batchSize;

        @Option(names = "--nesterov", description = "Nesterov momentum.")
        boolean nesterov;

        @Option(names = "--schedule", description = "Learning-rate schedule: step, cosine or constant (default: ${DEFAULT-VALUE}).",
                defaultValue = "cosine")
        String schedule;

        @Option(names = "--step-size", description = "Epochs between decays for --schedule step (default: ${DEFAULT-VALUE}).", defaultValue = "7")
        int stepSize;

        @Option(names = "--gamma", description = "Decay factor for --schedule step (default: ${DEFAULT-VALUE}).", defaultValue = "0.1")
        double gamma;

        @Option(names = "--warmup", description = "Linear warm-up epochs (default: ${DEFAULT-VALUE}).", defaultValue = "2")
        int warmup;

        @Option(names = "--image-size", description = "Input side in pixels (default: 64 for custom, 224 for ResNets).")
        Integer imageSize;

        @Option(names = "--augment", description = "Training augmentation: standard, light or none (default: ${DEFAULT-VALUE}).",
                defaultValue = "standard")
        String augment;

        @Option(names = "--seed", description = "Drives initialisation, the folds, shuffling and augmentation (default: ${DEFAULT-VALUE}).",
                defaultValue = "1")
        long seed;

        @Option(names = "--threads", description = "Compute threads (default: all cores).")
        Integer threads;

        @Option(names = "--out", description = "Run folder (default: runs/<prefix><timestamp>).")
        Path out;

        /** Resolves defaults and checks the flags; {@code runPrefix} names the default run folder. */
        TrainConfig config(double lr, double momentum, double weightDecay, int epochs, String runPrefix) {
            if (model == null) {
                if (weights == null && Files.isRegularFile(Path.of(TrainCommand.DEFAULT_WEIGHTS))) {
                    model = "resnet50-keras";
                    weights = Path.of(TrainCommand.DEFAULT_WEIGHTS);
                } else if (weights == null) {
                    model = "custom";
                } else {
                    throw new BadInputException("--weights " + weights + ": also give --model (the weights' architecture)");
                }
            }
            if (!Models.NAMES.contains(model)) {
                throw new BadInputException("--model: expected one of " + String.join(", ", Models.NAMES) + ", found '" + model + "'");
            }
            if (weights != null && !Files.isRegularFile(weights)) throw new BadInputException("--weights " + weights + ": no such file");
            if (weights != null && !List.of("head", "last-stage", "all").contains(finetune)) {
                throw new BadInputException("--finetune: expected head, last-stage or all, found '" + finetune + "'");
            }
            if (batchSize < 1) throw new BadInputException("--batch-size: expected a positive number, found " + batchSize);
            if (cacheViews < 1) throw new BadInputException("--cache-views: expected a positive number, found " + cacheViews);
            if (warmup < 0) throw new BadInputException("--warmup: expected 0 or more epochs, found " + warmup);
            int size = imageSize != null ? imageSize : model.equals("custom") ? 64 : 224;
            if (size < 16 || size > 1024) throw new BadInputException("--image-size: expected 16..1024, found " + size);
            int resize = (int) Math.round(size * 256.0 / 224.0);
            int nThreads = Threads.apply(threads);
            Path dataDir = DataDir.resolve(data);
            Path outDir = out != null ? out : Path.of("runs", runPrefix + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
            return new TrainConfig(model, weights == null ? null : weights.toAbsolutePath().toString(), weights == null ? null : finetune,
                    dataDir.toString(), splitFile != null ? "file" : split, splitFile == null ? null : splitFile.toAbsolutePath().toString(),
                    0.15, epochs, batchSize, lr, momentum, weightDecay, nesterov, schedule, stepSize, gamma, warmup, size, resize, augment,
                    weights == null ? 1.0 : headLrScale, cacheViews, 0, seed, nThreads, outDir.toString());
        }
    }
}
