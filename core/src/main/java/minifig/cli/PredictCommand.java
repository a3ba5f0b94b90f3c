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
import minifig.data.LabelSet;
import minifig.io.Npy;
import minifig.nn.Module;
import minifig.tensor.Tensor;
import minifig.train.Checkpoint;
import minifig.train.Evaluation;
import minifig.train.Inference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code minifig predict}: the top classes for photos, folders of photos, or preprocessed .npy arrays.
 * Preprocessing comes from the checkpoint, so predict and eval can never disagree.
 */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Predict the class of photos with a checkpoint.",
                "INPUT is an image (.jpg/.jpeg/.png), a folder of images, or a .npy float32 array [N,3,H,W]",
                "already preprocessed (for exact comparisons with other frameworks)."})
public final class PredictCommand implements Callable<Integer> {

    @Option(names = "--checkpoint", required = true, description = "A checkpoint (train's best.safetensors, or converted ImageNet weights).")
    Path checkpoint;

    @Parameters(arity = "1..*", paramLabel = "INPUT", description = "Images, folders of images, or .npy arrays.")
    List<Path> inputs;

    @Option(names = "--top", defaultValue = "5", description = "Classes to show per input (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--json", description = "Print {\"predictions\":[{\"input\",\"logits\",\"top\":[{class_id,name,prob}]}]}.")
    boolean json;

    @Option(names = "--threads", description = "Compute threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() throws IOException {
        Threads.apply(threads);
        if (top < 1) throw new BadInputException("--top: expected a positive number, found " + top);
        Checkpoint ck = Checkpoint.load(checkpoint);
        Module model = ck.model();
        List<Path> files = new ArrayList<>();
        List<Path> arrays = new ArrayList<>();
        for (Path in : inputs) {
            if (in.toString().endsWith(".npy")) arrays.add(in);
            else files.addAll(expand(in));
        }
        List<Map<String, Object>> preds = new ArrayList<>();
        for (Path f : files) {
            Tensor x = ck.preprocessing.load(f);
            preds.add(prediction(f.toString(), ck.labels, model.forward(x, false).data, top));
        }
        for (Path a : arrays) {
            Tensor x = Npy.read(a);
            int size = ck.preprocessing.crop();
            if (x.rank() != 4 || x.shape[1] != ck.inChannels) {
                throw new BadInputException(a + ": expected a float32 array [N," + ck.inChannels + ",H,W] (e.g. [N,3," + size + "," + size
                        + "]), found shape " + x.shapeString());
            }
            Tensor y = model.forward(x, false);
            int k = y.shape[1];
            for (int i = 0; i < x.shape[0]; i++) {
                float[] row = new float[k];
                System.arraycopy(y.data, i * k, row, 0, k);
                preds.add(prediction(a + "[" + i + "]", ck.labels, row, top));
            }
        }
        print(preds, json);
        return 0;
    }

    /** Predictions for photo files with the checkpoint's preprocessing (also used by eval on a flat folder). */
    static int printPredictions(Checkpoint ck, Module model, List<Path> files, int top, boolean json) {
        List<Map<String, Object>> preds = new ArrayList<>();
        for (Path f : files) preds.add(prediction(f.toString(), ck.labels, model.forward(ck.preprocessing.load(f), false).data, top));
        print(preds, json);
        return 0;
    }

    static Map<String, Object> prediction(String input, LabelSet labels, float[] scores, int top) {
        double[] p = Inference.probabilities(scores);
        int[] r = Evaluation.rank(scores);
        List<Map<String, Object>> tops = new ArrayList<>();
        for (int j = 0; j < Math.min(top, r.length); j++) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("class_id", labels.idOf(r[j]));
            t.put("name", labels.displayName(r[j]));
            t.put("prob", p[r[j]]);
            tops.add(t);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("input", input);
        m.put("logits", scores);
        m.put("top", tops);
        return m;
    }

    @SuppressWarnings("unchecked")
    static void print(List<Map<String, Object>> preds, boolean json) {
        if (json) {
            System.out.print(Json.pretty(Map.of("predictions", preds)));
            return;
        }
        for (Map<String, Object> m : preds) {
            System.out.println(m.get("input"));
            for (Map<String, Object> t : (List<Map<String, Object>>) m.get("top")) {
                System.out.printf(Locale.ROOT, "%6.2f%%  %s%n", 100 * (double) t.get("prob"), t.get("name"));
            }
        }
    }

    static boolean isImage(Path f) {
        String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isRegularFile(f) && (n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png"));
    }

    private static List<Path> expand(Path in) throws IOException {
        if (Files.isDirectory(in)) {
            try (Stream<Path> s = Files.walk(in)) {
                List<Path> imgs = s.filter(PredictCommand::isImage).sorted().toList();
                if (imgs.isEmpty()) throw new BadInputException(in + ": expected .jpg/.jpeg/.png photos in the folder, found none");
                return imgs;
            }
        }
        if (!Files.exists(in)) throw new BadInputException(in + ": no such file");
        return List.of(in);
    }
}
