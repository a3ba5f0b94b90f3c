package minifig.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import minifig.train.TrainConfig;
import minifig.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code minifig train}: train a model on the photo set, pick the best epoch on validation, score the test part. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a model on the LEGO minifigure photos and evaluate it on the test part.",
                "Writes config.json, metrics.csv, best/last checkpoints, charts and the test evaluation into --out.",
                "The last line is 'test accuracy: A (correct/total)'."})
public final class TrainCommand implements Callable<Integer> {

    @Mixin
    ModelOptions options;

    @Option(names = "--val-fraction", description = "Share of each class's train photos held out to choose the best epoch; "
            + "0 trains on all of TRAIN and keeps the last epoch (default: recipe).")
    Double valFraction;

    @Option(names = "--epochs", description = "Epochs (default: recipe).")
    Integer epochs;

    @Option(names = "--lr", description = "Base learning rate (default: recipe).")
    Double lr;

    @Option(names = "--momentum", description = "SGD momentum (default: recipe).")
    Double momentum;

    @Option(names = "--weight-decay", description = "L2 weight decay on weights, not biases or BN (default: recipe).")
    Double weightDecay;

    @Option(names = "--patience", description = "Stop after this many epochs without validation improvement; 0 = never (default: ${DEFAULT-VALUE}).",
            defaultValue = "0")
    int patience;

    @Option(names = "--resume", description = "Continue from a last.safetensors checkpoint of an earlier run (same flags; "
            + "--out defaults to that run's folder).")
    Path resume;

    @Option(names = "--no-progress", description = "No progress bar (it is off anyway when output is not a terminal).")
    boolean noProgress;

    @Override
    public Integer call() {
        Path defaultOut = resume != null ? resume.toAbsolutePath().getParent() : ModelOptions.timestamped("");
        TrainConfig cfg = options.config(lr, momentum, weightDecay, epochs, valFraction, patience, defaultOut, System.out);
        new Trainer(cfg, System.out, Threads.progressWanted(noProgress)).run(resume);
        return 0;
    }
}
