package minifig.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import minifig.BadInputException;
import minifig.data.DataDir;
import minifig.data.DataLoader;
import minifig.data.Dataset;
import minifig.data.ImageCache;
import minifig.data.LabelSet;
import minifig.data.Sample;
import minifig.data.Split;
import minifig.nn.Module;
import minifig.train.Checkpoint;
import minifig.train.EvalReport;
import minifig.train.Evaluation;
import minifig.train.Inference;
import minifig.train.RunReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code minifig eval}: score a checkpoint on a split's test part or on a folder of new photos. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluate a checkpoint: accuracy, top-5, per-class table, confusion matrix, most-confused pairs",
                "and universe-level accuracy. By default on the test part of the checkpoint's own split."})
public final class EvalCommand implements Callable<Integer> {

    @Option(names = "--checkpoint", required = true, description = "A checkpoint written by train (best.safetensors).")
    Path checkpoint;

    @Option(names = "--data", description = "Photo-set folder (default: the checkpoint's, else the usual default).")
    String data;

    @Option(names = "--split", description = "lego36 or published (default: the checkpoint's split).")
    String split;

    @Option(names = "--split-file", description = "A split file (path,class_id,subset).")
    Path splitFile;

    @Option(names = "--images", description = "A folder of photos instead: sub-folders named by class id or name are scored; a flat folder gets predictions only.")
    Path images;

    @Option(names = "--out", description = "Folder for eval.txt, eval.json, confusion.csv/.png, misclassified.csv.")
    Path out;

    @Option(names = "--batch-size", defaultValue = "32", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--json", description = "Print a machine-readable summary (accuracy, top5, n, per_class, ...) instead of the text report.")
    boolean json;

    @Option(names = "--threads", description = "Compute threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() throws IOException {
        int nThreads = Threads.apply(threads);
        if (batchSize < 1) throw new BadInputException("--batch-size: expected a positive number, found " + batchSize);
        Checkpoint ck = Checkpoint.load(checkpoint);
        Module model = ck.model();
        LabelSet labels = ck.labels;
        List<Sample> samples;
        String what;
        if (images != null) {
            samples = folderSamples(images, labels);
            what = images.toString();
            if (samples.stream().anyMatch(s -> s.classId() < 0)) {
                return PredictCommand.printPredictions(ck, model, samples.stream().map(Sample::file).toList(), 5, json);
            }
        } else {
            var cfg = ck.json("config");
            String dataFlag = data != null ? data : cfg != null && Files.isDirectory(Path.of(cfg.path("data").asText("")))
                    ? cfg.path("data").asText() : null;
            Dataset ds = Dataset.open(DataDir.resolve(dataFlag));
            String splitName = split != null ? split : ck.metadata.get("split").orElse("lego36");
            Path sf = splitFile;
            if (sf == null && split == null && "file".equals(splitName) && cfg != null) sf = Path.of(cfg.path("splitFile").asText());
            Split s = Split.load(ds, "file".equals(splitName) ? null : splitName, sf);
            if (!s.labels().equals(labels)) {
                throw new BadInputException(checkpoint + ": labels: expected the " + s.name() + " split's " + s.labels().size()
                        + " classes, found a checkpoint trained on " + labels.size() + " other classes; pass the right --split");
            }
            samples = s.test();
            what = s.name() + " test part (" + samples.size() + " photos)";
        }
        ImageCache cache = ImageCache.build(samples, ck.preprocessing.resize(), ck.preprocessing.filter(), nThreads);
        DataLoader loader = DataLoader.builder(samples, labels, cache, ck.preprocessing).batchSize(batchSize).build();
        Inference.Outputs o = Inference.run(model, loader);
        Evaluation ev = EvalReport.evaluation(labels, o);
        if (out != null) {
            Files.createDirectories(out);
            EvalReport.write(out, labels, o, ev);
            Map<String, Object> about = new LinkedHashMap<>();
            about.put("checkpoint", checkpoint.toAbsolutePath().toString());
            about.put("arch", ck.arch);
            about.put("epoch", ck.epoch());
            about.put("evaluated", what);
            RunReport.write(out, "minifig eval: " + checkpoint.getFileName() + " on " + what, about, ev,
                    EvalReport.misclassified(labels, o), RunReport.photoFiles(o.samples()));
        }
        if (json) {
            Map<String, Object> j = new LinkedHashMap<>(ev.toJson());
            j.put("checkpoint", checkpoint.toString());
            j.put("evaluated", what);
            j.put("misclassified", EvalReport.misclassified(labels, o));
            System.out.print(Json.pretty(j));
        } else {
            System.out.printf(Locale.ROOT, "checkpoint %s (%s, %d classes, epoch %d) on %s%n%n", checkpoint, ck.arch,
                    labels.size(), ck.epoch(), what);
            System.out.print(ev.format());
            if (out != null) {
                System.out.println("\nwrote eval.txt, eval.json, confusion.csv, confusion.png, misclassified.csv, report.html to " + out);
            }
        }
        return 0;
    }

    /**
     * Photos under {@code dir}: in sub-folders named by class id or name (labelled), or directly in it
     * (unlabelled: class id -1). Unknown sub-folder names are an error listing what is expected.
     */
    static List<Sample> folderSamples(Path dir, LabelSet labels) throws IOException {
        if (!Files.isDirectory(dir)) throw new BadInputException("--images " + dir + ": expected a folder of photos, found " + (Files.exists(dir) ? "a file" : "no such path"));
        List<Sample> out = new ArrayList<>();
        List<Path> entries;
        try (Stream<Path> s = Files.list(dir)) {
            entries = s.sorted().toList();
        }
        for (Path p : entries) {
            if (Files.isDirectory(p)) {
                int id = classIdOf(p.getFileName().toString(), labels, p);
                try (Stream<Path> s = Files.list(p)) {
                    for (Path f : s.sorted().toList()) if (PredictCommand.isImage(f)) out.add(new Sample(dir.relativize(f).toString(), id, f));
                }
            } else if (PredictCommand.isImage(p)) {
                out.add(new Sample(p.getFileName().toString(), -1, p));
            }
        }
        if (out.isEmpty()) throw new BadInputException("--images " + dir + ": expected .jpg/.jpeg/.png photos (or class sub-folders of them), found none");
        return out;
    }

    private static int classIdOf(String folder, LabelSet labels, Path p) {
        for (int i = 0; i < labels.size(); i++) {
            var c = labels.get(i);
            if (folder.equals(Integer.toString(c.id())) || folder.equals(String.format("%04d", c.id()))
                    || folder.equalsIgnoreCase(c.name()) || folder.equalsIgnoreCase(labels.displayName(i))) {
                return c.id();
            }
        }
        throw new BadInputException(p + ": expected a sub-folder named by a class id (1.." + labels.idOf(labels.size() - 1)
                + ") or class name of the checkpoint, found '" + folder + "'");
    }
}
