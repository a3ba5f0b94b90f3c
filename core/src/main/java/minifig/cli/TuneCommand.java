package minifig.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import minifig.BadInputException;
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
    ModelOptions common;

    static final TuneGrid.Axes DEFAULTS = new TuneGrid.Axes(List.of(0.003, 0.01, 0.03), List.of(0.9), List.of(0.0, 1e-4, 1e-3), List.of(20));

    @Override
    public Integer call() {
        TuneGrid.Axes given = new TuneGrid.Axes(lr, momentum, weightDecay, epochs);
        if (gridFile != null) given = given.or(TuneGrid.read(gridFile));
        TuneGrid grid = given.or(DEFAULTS).grid();
        if (folds < 2) throw new BadInputException("--folds: expected at least 2, found " + folds);
        TrainConfig cfg = common.config(grid.lr().get(0), grid.momentum().get(0), grid.weightDecay().get(0), grid.epochs().get(0), 0.15, 0,
                ModelOptions.timestamped("tune-"), System.out);
        new Tuner(cfg, grid, folds, System.out).run();
        return 0;
    }
}
