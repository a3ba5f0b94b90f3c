package minifig.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import minifig.BadInputException;
import minifig.data.DataDir;
import minifig.models.Models;
import minifig.train.Recipe;
import minifig.train.TrainConfig;
import picocli.CommandLine.Option;

/**
 * The model, data and training flags that train and tune share (a picocli @Mixin), and their resolution
 * into a TrainConfig: what the user left out comes from the model's measured {@link Recipe}.
 */
public final class ModelOptions {
    /** Where data/get-weights.sh puts the converted ImageNet ResNet-50. */
    static final String DEFAULT_WEIGHTS = "data/weights/resnet50-imagenet.safetensors";

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

    @Option(names = "--image-size", description = "Input side in pixels (default: recipe).")
    Integer imageSize;

    @Option(names = "--resize", description = "Shorter side photos are resized to before the centre crop of --image-size "
            + "(default: recipe, scaled with --image-size).")
    Integer resize;

    @Option(names = "--augment", description = "Training augmentation: standard (crops, flips, rotation, colour), light (mild crops, flips), "
            + "flip (each photo and its mirror image, alternating epochs; the feature cache keeps both) or none (default: recipe).")
    String augment;

    @Option(names = "--seed", description = "Drives initialisation, the validation carve or folds, shuffling and augmentation "
            + "(default: ${DEFAULT-VALUE}).", defaultValue = "1")
    long seed;

    @Option(names = "--threads", description = "Compute threads (default: all cores).")
    Integer threads;

    @Option(names = "--out", description = "Run folder (default: runs/<timestamp>).")
    Path out;

    /** Model names for picocli's completion candidates. */
    static final class ModelNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() { return Models.NAMES.iterator(); }
    }

    /**
     * Resolves the model (the ImageNet ResNet-50 when its weights are present, else the custom net, said on
     * {@code out}), fills what is missing from the recipe, checks every flag and returns the run's config.
     * {@code defaultOut} is the run folder when --out is not given.
     */
    TrainConfig config(Double lr, Double momentum, Double weightDecay, Integer epochs, Double valFraction, int patience,
                       Path defaultOut, PrintStream log) {
        if (model == null) {
            if (weights == null && Files.isRegularFile(Path.of(DEFAULT_WEIGHTS))) {
                model = "resnet50-keras";
                weights = Path.of(DEFAULT_WEIGHTS);
            } else if (weights == null) {
                model = "custom";
                log.println("note         no pretrained weights at " + DEFAULT_WEIGHTS + " (run data/get-weights.sh for the best model); "
                        + "training the custom net from scratch instead");
            } else {
                throw new BadInputException("--weights " + weights + ": also give --model (the weights' architecture)");
            }
        }
        if (!Models.NAMES.contains(model)) {
            throw new BadInputException("--model: expected one of " + String.join(", ", Models.NAMES) + ", found '" + model + "'");
        }
        if (weights != null && !Files.isRegularFile(weights)) {
            throw new BadInputException("--weights " + weights + ": no such file" + (weights.toString().equals(DEFAULT_WEIGHTS) ? "; run data/get-weights.sh" : ""));
        }
        if (weights != null && !List.of("head", "last-stage", "all").contains(finetune)) {
            throw new BadInputException("--finetune: expected head, last-stage or all, found '" + finetune + "'");
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
        if (warmup < 0) throw new BadInputException("--warmup: expected 0 or more epochs, found " + warmup);
        int resized = resize != null ? resize : r.resize(size);
        if (resized < size || resized > 4096) throw new BadInputException("--resize: expected " + size + "..4096 (at least --image-size), found " + resized);
        double valShare = valFraction != null ? valFraction : r.valFraction();
        if (!(valShare >= 0 && valShare < 1)) throw new BadInputException("--val-fraction: expected 0 <= f < 1, found " + valShare);
        int nThreads = Threads.apply(threads);
        Path dataDir = DataDir.resolve(data);
        Path outDir = out != null ? out : defaultOut;
        return new TrainConfig(model, weights == null ? null : weights.toAbsolutePath().toString(), weights == null ? null : finetune,
                dataDir.toString(), splitFile != null ? "file" : split, splitFile == null ? null : splitFile.toAbsolutePath().toString(),
                valShare, nEpochs, batchSize, baseLr, momentum != null ? momentum : r.momentum(),
                weightDecay != null ? weightDecay : r.weightDecay(), nesterov, schedule, stepSize, gamma, warmup, size, resized,
                augment != null ? augment : r.augment(), weights == null ? 1.0 : headLrScale != null ? headLrScale : r.headLrScale(),
                views, patience, seed, nThreads, outDir.toString());
    }

    /** runs/PREFIX&lt;timestamp&gt;. */
    static Path timestamped(String prefix) {
        return Path.of("runs", prefix + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    }
}
