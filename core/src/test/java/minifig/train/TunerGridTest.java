package minifig.train;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import minifig.BadInputException;
import minifig.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The grid (points, grid files, bad values), the table's ranking rules and the tune command line. */
class TunerGridTest {
    @TempDir Path tmp;

    @Test
    void pointsAreTheCartesianProductLearningRateSlowestWithoutRepeats() {
        TuneGrid g = new TuneGrid(List.of(0.1, 0.01, 0.1), List.of(0.9), List.of(0.0, 1e-4), List.of(5, 10));
        assertEquals(List.of(0.1, 0.01), g.lr());
        assertEquals(8, g.size());
        List<TuneGrid.Point> p = g.points();
        assertEquals(8, p.size());
        assertEquals(new TuneGrid.Point(0.1, 0.9, 0.0, 5), p.get(0));
        assertEquals(new TuneGrid.Point(0.1, 0.9, 0.0, 10), p.get(1));
        assertEquals(new TuneGrid.Point(0.1, 0.9, 1e-4, 5), p.get(2));
        assertEquals(new TuneGrid.Point(0.01, 0.9, 1e-4, 10), p.get(7));
    }

    @Test
    void badGridValuesAreOneLineErrorsNamingTheFlag() {
        assertMessage(() -> new TuneGrid(List.of(-1.0), List.of(0.9), List.of(0.0), List.of(5)), "--lr: expected positive numbers, found -1.0");
        assertMessage(() -> new TuneGrid(List.of(0.1), List.of(1.0), List.of(0.0), List.of(5)), "--momentum: expected numbers in [0, 1), found 1.0");
        assertMessage(() -> new TuneGrid(List.of(0.1), List.of(0.9), List.of(Double.NaN), List.of(5)), "--weight-decay");
        assertMessage(() -> new TuneGrid(List.of(0.1), List.of(0.9), List.of(0.0), List.of(0)), "--epochs: expected positive whole numbers, found 0");
        assertMessage(() -> new TuneGrid(List.of(), List.of(0.9), List.of(0.0), List.of(3)), "--lr: expected at least one value");
    }

    @Test
    void gridFilesInJsonAndPropertiesAndFlagsOverrideTheirAxes() throws IOException {
        Path json = Files.writeString(tmp.resolve("grid.json"), "{\"lr\": [0.001, 0.01], \"weight_decay\": 0, \"epochs\": [15, 30]}");
        TuneGrid.Axes a = TuneGrid.read(json);
        assertEquals(List.of(0.001, 0.01), a.lr());
        assertNull(a.momentum());
        assertEquals(List.of(0.0), a.weightDecay());
        assertEquals(List.of(15, 30), a.epochs());
        TuneGrid g = new TuneGrid.Axes(List.of(0.5), null, null, null).or(a).or(new TuneGrid.Axes(null, List.of(0.8), null, List.of(1))).grid();
        assertEquals(new TuneGrid(List.of(0.5), List.of(0.8), List.of(0.0), List.of(15, 30)), g);

        Path props = Files.writeString(tmp.resolve("grid.properties"), "# a comment\nlr = 0.003, 0.03\nmomentum=0.8,0.95\n");
        TuneGrid.Axes b = TuneGrid.read(props);
        assertEquals(List.of(0.003, 0.03), b.lr());
        assertEquals(List.of(0.8, 0.95), b.momentum());
        assertNull(b.epochs());

        assertMessage(() -> TuneGrid.read(Files.writeString(tmp.resolve("k.json"), "{\"learning_rate\": [1]}")),
                "k.json: key 'learning_rate': expected one of [lr, momentum, weight_decay, epochs]");
        assertMessage(() -> TuneGrid.read(Files.writeString(tmp.resolve("t.json"), "{\"lr\": [\"fast\"]}")), "t.json: 'lr': expected numbers, found \"fast\"");
        assertMessage(() -> TuneGrid.read(Files.writeString(tmp.resolve("e.json"), "{\"epochs\": [2.5]}")), "e.json: 'epochs': expected positive whole numbers, found 2.5");
        assertMessage(() -> TuneGrid.read(Files.writeString(tmp.resolve("x.json"), "{\"lr\": [0.1,")), "x.json: expected a JSON object of grid axes, found invalid JSON");
        assertMessage(() -> TuneGrid.read(Files.writeString(tmp.resolve("p.properties"), "lr = 0.1, x\n")), "p.properties: 'lr': expected comma-separated numbers, found 'x'");
        assertMessage(() -> TuneGrid.read(tmp.resolve("missing.json")), "missing.json: cannot read the grid file");
    }

    @Test
    void rankingPutsHigherAccuracyFirstThenLowerLossThenGridOrderAndDivergedLast() {
        List<TuneGrid.Point> pts = List.of(new TuneGrid.Point(1, 0, 0, 1), new TuneGrid.Point(2, 0, 0, 1),
                new TuneGrid.Point(3, 0, 0, 1), new TuneGrid.Point(4, 0, 0, 1), new TuneGrid.Point(5, 0, 0, 1));
        List<List<Tuner.FoldScore>> s = List.of(
                List.of(fold(1, 0.9, 0.1), new Tuner.FoldScore(2, Double.NaN, Double.NaN, Double.NaN, 3, 0)), // diverged
                List.of(fold(1, 0.6, 0.5), fold(2, 0.8, 0.5)),   // 0.7, loss 0.5
                List.of(fold(1, 0.7, 0.4), fold(2, 0.7, 0.4)),   // 0.7, loss 0.4
                List.of(fold(1, 0.5, 0.9), fold(2, 0.5, 0.9)),   // 0.5
                List.of(fold(1, 0.7, 0.4), fold(2, 0.7, 0.4)));  // tie with point 3: grid order
        List<Tuner.Row> t = Tuner.rank(pts, s);
        assertEquals(List.of(3.0, 5.0, 2.0, 4.0, 1.0), t.stream().map(r -> r.point().lr()).toList());
        assertEquals(List.of(1, 2, 3, 4, 5), t.stream().map(Tuner.Row::rank).toList());
        assertTrue(t.get(4).diverged());
        Tuner.Row two = t.get(2);
        assertEquals(0.7, two.meanAcc(), 1e-12);
        assertEquals(Math.sqrt(0.02), two.stdAcc(), 1e-12, "sample standard deviation over the folds");
        String table = Tuner.format(t);
        assertTrue(table.contains("diverged (fold 2, epoch 3)"), table);
        assertTrue(table.lines().skip(1).findFirst().orElseThrow().matches(" +1 +3 +0 +0 +1 +0\\.7000 ± 0\\.0000 +0\\.4000 +0\\.0s"), table);
        String csv = Tuner.csv(t, 2);
        assertEquals("1,3,0,0,1,0.700000,0.000000,0.400000,0.00,false,0.700000,0.700000", csv.lines().skip(1).findFirst().orElseThrow());
    }

    static Tuner.FoldScore fold(int f, double acc, double loss) { return new Tuner.FoldScore(f, acc, loss, loss, 0, 0); }

    @Test
    void trainCommandRepeatsEveryRecipeFlagAndQuotesPaths() {
        TrainConfig c = new TrainConfig("resnet50-keras", "/w/resnet 50.safetensors", "head", "/data/lego", "lego36", null, 0.15,
                30, 32, 0.003, 0.9, 1e-4, false, "cosine", 7, 0.1, 2, 224, 256, "standard", 10, 4, 0, 1, 2, "runs/x");
        assertEquals("./minifig train --model resnet50-keras --weights '/w/resnet 50.safetensors' --finetune head --head-lr-scale 10 "
                + "--cache-views 4 --data /data/lego --split lego36 --image-size 224 --resize 256 --val-fraction 0 --augment standard --batch-size 32 --lr 0.003 "
                + "--momentum 0.9 --weight-decay 0.0001 --epochs 30 --schedule cosine --warmup 2 --seed 1", Tuner.trainCommand(c));
        TrainConfig p = Tuner.at(c, new TuneGrid.Point(0.01, 0.5, 0, 7));
        TrainConfig plain = new TrainConfig("custom", null, null, "/d", "file", "/s/my split.csv", 0.15, 5, 16, 0.05, 0.9, 5e-4, true,
                "step", 7, 0.1, 0, 64, 73, "none", 1, 8, 0, 9, 2, "runs/y");
        assertEquals("./minifig train --model custom --data /d --split-file '/s/my split.csv' --image-size 64 --resize 73 --val-fraction 0 --augment none --batch-size 16 "
                + "--lr 0.05 --momentum 0.9 --weight-decay 0.0005 --epochs 5 --schedule step --step-size 7 --gamma 0.1 --warmup 0 --nesterov --seed 9",
                Tuner.trainCommand(plain));
        assertEquals(0.01, p.lr());
        assertEquals(0.5, p.momentum());
        assertEquals(0, p.weightDecay());
        assertEquals(7, p.epochs());
        assertEquals(c.cacheViews(), p.cacheViews());
    }

    @Test
    void tuneCommandRunsEndToEndAndRejectsBadFlagsInOneLine() throws IOException {
        Path data = SyntheticPhotoSet.write(tmp.resolve("photos"), 6, 1, 40, 3);
        Path weights = TunerTest.tinyWeights(tmp.resolve("w.safetensors"));
        Path grid = Files.writeString(tmp.resolve("grid.json"), "{\"lr\": [0.01, 0.03], \"weight_decay\": [0]}");
        Path out = tmp.resolve("run");
        Run ok = cli("tune", "--model", "resnet18", "--weights", weights.toString(), "--data", data.toString(), "--split", "published",
                "--image-size", "32", "--batch-size", "8", "--cache-views", "2", "--augment", "light", "--grid", grid.toString(),
                "--epochs", "3", "--folds", "2", "--threads", "1", "--out", out.toString());
        assertEquals(0, ok.status, ok.err);
        String last = ok.out.strip().lines().reduce((x, y) -> y).orElseThrow();
        assertTrue(last.startsWith("best         ./minifig train --model resnet18 --weights " + weights), last);
        assertTrue(last.contains(" --epochs 3 ") && last.contains(" --weight-decay 0 ") && last.contains(" --cache-views 2 "), last);
        assertEquals(3, Files.readAllLines(out.resolve("tune.csv")).size());

        Run bad = cli("tune", "--model", "resnet18", "--weights", weights.toString(), "--data", data.toString(), "--lr", "0.1,-2");
        assertEquals(2, bad.status);
        assertEquals("error: --lr: expected positive numbers, found -2.0", bad.err.strip());
        Run folds = cli("tune", "--model", "custom", "--data", data.toString(), "--folds", "1");
        assertEquals("error: --folds: expected at least 2, found 1", folds.err.strip());
        Run sched = cli("tune", "--model", "custom", "--data", data.toString(), "--schedule", "linear", "--out", tmp.resolve("s").toString());
        assertEquals("error: --schedule: expected step, cosine or constant, found 'linear'", sched.err.strip());
        assertFalse(Files.exists(tmp.resolve("s")), "nothing written for a bad flag");
    }

    record Run(int status, String out, String err) {}

    static synchronized Run cli(String... args) {
        PrintStream o = System.out, e = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true));
            System.setErr(new PrintStream(err, true));
            int status = Main.run(args);
            return new Run(status, out.toString(), err.toString());
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable run, String start) {
        BadInputException e = assertThrows(BadInputException.class, run);
        assertTrue(e.getMessage().contains(start), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }
}
