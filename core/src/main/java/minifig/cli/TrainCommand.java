package minifig.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import minifig.BadInputException;
import minifig.data.DataDir;
import minifig.models.Models;
import minifig.train.Recipe;
import minifig.train.TrainConfig;
import minifig.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code minifig train}: train a model on the photo set, pick the best epoch on validation, score the test part. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a model on the LEGO minifigure photos and evaluate it on the test part.",
                "Writes config.json, metrics.csv, best/last checkpoints, charts and the test evaluation into --out.",
                "The last line is 'test accuracy: A (correct/total)'."})
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--model", description = "Architecture: ${COMPLETION-CANDIDATES} (default: resnet50-keras with the "
            + "ImageNet weights when " + DEFAULT_WEIGHTS + " exists, else custom).", completionCandidates = ModelNames.class)
    String model;

    @Option(names = "--weights", description = "Pretrained weights (a 'minifig convert' output) to fine-tune from.")
    Path weights;

    @Option(names = "--finetune", description = "With --weights: head (train the new fc only), last-stage (layer4 + fc) or all "
            + "(default: ${DEFAULT-VALUE}).", defaultValue = "head")
    String finetune;

    @Option(names = "--head-lr-scale", description = "With --weights: the new head's learning rate over the backbone's (default: recipe).")
    Double headLrScale;

    @Option(names = "--cache-views", description = "With --finetune head|last-stage: augmented views per photo run once through the "
            + "frozen backbone and cached (default: recipe).")
    Integer cacheViews;

    @Option(names = "--data", description = "Photo-set folder (default: data/lego-minifigures, else ../shared/data/lego-minifigures).")
    String data;

    @Option(names = "--split", description = "lego36 (classes 1-36, 340/85) or published (index.csv/test.csv) (default: ${DEFAULT-VALUE}).",
            defaultValue = "lego36")
    String split;

    @Option(names = "--split-file", description = "A split file (path,class_id,subset) instead of --split.")
    Path splitFile;

    @Option(names = "--val-fraction", description = "Share of each class's train photos held out for validation (default: ${DEFAULT-VALUE}).",
            defaultValue = "0.15")
    double valFraction;

    @Option(names = "--epochs", description = "Epochs (default: recipe).")
    Integer epochs;

    @Option(names = "--batch-size", description = "Mini-batch size (default: ${DEFAULT-VALUE}).", defaultValue = "32")
    int batchSize;

    @Option(names = "--lr", description = "Base learning rate (default: recipe).")
    Double lr;

    @Option(names = "--momentum", description = "SGD momentum (default: recipe).")
    Double momentum;

    @Option(names = "--weight-decay", description = "L2 weight decay on weights, not biases or BN (default: recipe).")
    Double weightDecay;

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

    @Option(names = "--image-size", description = "Input side in pixels (default: recipe).")
    Integer imageSize;

    @Option(names = "--augment", description = "Training augmentation: standard, light or none (default: recipe).")
    String augment;

    @Option(names = "--patience", description = "Stop after this many epochs without validation improvement; 0 = never (default: ${DEFAULT-VALUE}).",
            defaultValue = "0")
    int patience;

    @Option(names = "--seed", description = "Drives initialisation, the validation carve, shuffling and augmentation (default: ${DEFAULT-VALUE}).",
            defaultValue = "1")
    long seed;

    @Option(names = "--threads", description = "Compute threads (default: all cores).")
    Integer threads;

    @Option(names = "--out", description = "Run folder (default: runs/<timestamp>).")
    Path out;

    @Option(names = "--resume", description = "Continue from a last.safetensors checkpoint of an earlier run (same flags; "
            + "--out defaults to that run's folder).")
    Path resume;

    @Option(names = "--no-progress", description = "No progress bar (it is off anyway when output is not a terminal).")
    boolean noProgress;

    /** Where data/get-weights.sh puts the converted ImageNet ResNet-50. */
    static final String DEFAULT_WEIGHTS = "data/weights/resnet50-imagenet.safetensors";

    @Override
    public Integer call() {
        if (model == null) {
            if (weights == null && Files.isRegularFile(Path.of(DEFAULT_WEIGHTS))) {
                model = "resnet50-keras";
                weights = Path.of(DEFAULT_WEIGHTS);
            } else if (weights == null) {
                model = "custom";
                System.out.println("note         no pretrained weights at " + DEFAULT_WEIGHTS + " (run data/get-weights.sh for the best model); "
                        + "training the custom net from scratch instead");
            } else {
                throw new BadInputException("--weights " + weights + ": also give --model (the weights' architecture)");
            }
        }
        if (!Models.NAMES.contains(model)) {
            throw new BadInputException("--model: expected one of " + String.join(", ", Models.NAMES) + ", found '" + model + "'");
        }
        Recipe r = Recipe.of(model, weights != null);
        int nEpochs = epochs != null ? epochs : r.epochs();
        double baseLr = lr != null ? lr : r.lr();
        int size = imageSize != null ? imageSize : r.imageSize();
        int views = cacheViews != null ? cacheViews : r.cacheViews();
        if (nEpochs < 1) throw new BadInputException("--epochs: expected a positive number, found " + nEpochs);
        if (batchSize < 1) throw new BadInputException("--batch-size: expected a positive number, found " + batchSize);
        if (!(baseLr > 0 && baseLr < Double.POSITIVE_INFINITY)) throw new BadInputException("--lr: expected a positive finite number, found " + baseLr);
        if (size < 16 || size > 1024) throw new BadInputException("--image-size: expected 16..1024, found " + size);
        if (views < 1) throw new BadInputException("--cache-views: expected a positive number, found " + views);
        int resize = (int) Math.round(size * 256.0 / 224.0);
        int nThreads = Threads.apply(threads);
        Path dataDir = DataDir.resolve(data);
        Path outDir = out != null ? out : resume != null ? resume.toAbsolutePath().getParent()
                : Path.of("runs", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        String splitName = splitFile != null ? "file" : split;
        if (weights != null && !Files.isRegularFile(weights)) {
            throw new BadInputException("--weights " + weights + ": no such file" + (weights.toString().equals(DEFAULT_WEIGHTS) ? "; run data/get-weights.sh" : ""));
        }
        TrainConfig cfg = new TrainConfig(model, weights == null ? null : weights.toAbsolutePath().toString(), weights == null ? null : finetune,
                dataDir.toString(), splitName, splitFile == null ? null : splitFile.toAbsolutePath().toString(), valFraction,
                nEpochs, batchSize, baseLr, momentum != null ? momentum : r.momentum(), weightDecay != null ? weightDecay : r.weightDecay(),
                nesterov, schedule, stepSize, gamma, warmup, size, resize, augment != null ? augment : r.augment(),
                weights == null ? 1.0 : headLrScale != null ? headLrScale : r.headLrScale(), views, patience, seed,
                nThreads, outDir.toString());
        new Trainer(cfg, System.out, Threads.progressWanted(noProgress)).run(resume);
        return 0;
    }

    /** Model names for picocli's completion candidates. */
    static final class ModelNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() { return Models.NAMES.iterator(); }
    }
}
