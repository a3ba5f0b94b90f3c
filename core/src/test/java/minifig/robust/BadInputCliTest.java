package minifig.robust;

import static minifig.robust.Cli.assertBadInput;
import static minifig.robust.Cli.assertBadInputNoOutput;
import static minifig.robust.Cli.resource;
import static minifig.robust.Cli.run;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import minifig.data.ClassInfo;
import minifig.data.LabelSet;
import minifig.data.Preprocessing;
import minifig.io.Metadata;
import minifig.io.Safetensors;
import minifig.tensor.Tensor;
import minifig.train.Checkpoint;
import minifig.train.SyntheticPhotoSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile and broken inputs through the whole CLI (train, eval, predict, convert), driven by the hand-made corpus
 * under src/test/resources/robust (and the .pth/TF.js one under io): each gets exit status 2 and one line
 * "error: <file>: ..." with no stack trace, and leaves no output file behind. Nothing here trains a network.
 */
class BadInputCliTest {
    @TempDir static Path tmp;
    static Path data, ck;

    @BeforeAll
    static void setUp() throws IOException {
        data = SyntheticPhotoSet.write(tmp.resolve("photos"), 4, 2, 20, 5);
        ck = Cli.customCheckpoint(data, tmp.resolve("ck.safetensors"), 1);
    }

    /** A one-epoch custom-net train command; {@code more} replaces a default flag's value or adds a flag. */
    static String[] train(Path out, String... more) {
        return Cli.args(List.of("train", "--data", data.toString(), "--split", "published", "--model", "custom", "--image-size", "16",
                "--epochs", "1", "--batch-size", "4", "--threads", "1", "--no-progress", "--out", out.toString()), more);
    }

    static Path copyOf(Path dir, String name) throws IOException {
        Path d = tmp.resolve(name);
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                Path q = d.resolve(dir.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(q);
                else Files.copy(p, q, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return d;
    }

    // ---- safetensors checkpoints, as --checkpoint (predict, eval), --weights (train) and convert input ----

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "st_header_past_end      | header length: 4096 bytes runs past the end of the 70-byte file",
        "st_header_huge          | header length: expected 2..100000000 bytes, found 1099511627776",
        "st_invalid_json         | header: invalid JSON",
        "st_overlap              | tensor 'b': data_offsets [4, 8] overlap tensor 'a' [0, 8]",
        "st_out_of_range         | tensor 'w': data_offsets [0, 16] run past the end of the 8-byte data section",
        "st_unknown_dtype        | tensor 'w': dtype: expected one of [F32,",
        "st_size_mismatch        | tensor 'w': shape [3] x F32 needs 12 bytes, but data_offsets [0, 8] span 8 bytes",
    })
    void brokenSafetensorsEverywhere(String name, String message) {
        Path f = resource("robust/" + name + ".safetensors");
        assertBadInputNoOutput(run("predict", "--checkpoint", f.toString(), data.resolve("test/001.png").toString()), f + ": " + message);
        assertBadInputNoOutput(run("eval", "--checkpoint", f.toString(), "--data", data.toString()), f + ": " + message);
        Path out = tmp.resolve("w-" + name);
        assertBadInput(run(train(out, "--model", "resnet18", "--weights", f.toString())), f + ": " + message);
        assertFalse(Files.exists(out), "a failed train leaves no run folder");
        Path conv = tmp.resolve("conv-" + name + ".safetensors");
        assertBadInputNoOutput(run("convert", "--from", "safetensors", f.toString(), "--arch", "resnet18", "--out", conv.toString()), f + ": " + message);
        assertEquals(List.of(), Cli.files(tmp).stream().filter(p -> p.startsWith("conv-")).toList());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "st_plain_state_dict | metadata 'format': expected \"minifig-checkpoint\"",
        "st_bad_labels_json  | class list: expected JSON",
        "st_unknown_arch     | metadata 'arch': expected one of [custom, resnet18",
    })
    void notAMinifigCheckpoint(String name, String message) {
        Path f = resource("robust/" + name + ".safetensors");
        assertBadInputNoOutput(run("predict", "--checkpoint", f.toString(), data.resolve("test/001.png").toString()), f + ": " + message);
        assertBadInputNoOutput(run("eval", "--checkpoint", f.toString(), "--data", data.toString()), f + ": " + message);
        assertBadInput(run(train(tmp.resolve("x"), "--model", "resnet18", "--weights", f.toString())), f + ": " + message);
        assertBadInput(run(train(tmp.resolve("x"), "--resume", f.toString())), f + ": " + message);
        assertFalse(Files.exists(tmp.resolve("x")));
    }

    // ---- photos for predict and eval --images ----

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "img_zero.jpg      | expected a JPEG or PNG image, found an empty (0-byte) file",
        "img_text.jpg      | expected a JPEG or PNG image, found text or unknown data",
        "img_truncated.jpg | expected a readable JPEG or PNG image, found a truncated or corrupt file",
        "img_corrupt.png   | expected a readable JPEG or PNG image, found a truncated or corrupt file",
        "img_bomb.png      | expected an image at most 10000 pixels a side and 50 Mpx, found png 30000x30000 (refused before decoding)",
        "img_bomb.jpg      | expected an image at most 10000 pixels a side and 50 Mpx, found JPEG 60000x60000 (refused before decoding)",
    })
    void brokenPhotos(String name, String message) throws IOException {
        Path f = resource("robust/" + name);
        assertBadInputNoOutput(run("predict", "--checkpoint", ck.toString(), f.toString()), f + ": " + message);
        // A good photo first: its prediction must not be printed when a later one fails.
        assertBadInputNoOutput(run("predict", "--checkpoint", ck.toString(), data.resolve("test/001.png").toString(), f.toString()), f + ": " + message);
        Path folder = Files.createDirectories(tmp.resolve("images-" + name).resolve("RED SQUARE"));
        Files.copy(data.resolve("test/001.png"), folder.resolve("a.png"));
        Files.copy(f, folder.resolve(name));
        Path out = tmp.resolve("eval-out-" + name);
        assertBadInputNoOutput(run("eval", "--checkpoint", ck.toString(), "--images", folder.getParent().toString(), "--out", out.toString()),
                name + ": " + message);
        assertFalse(Files.exists(out), "a failed eval writes no report");
    }

    @Test
    void unusualButValidPhotosAreHandled() throws IOException {
        List<String> names = List.of("img_gray.png", "img_alpha.png", "img_cmyk.jpg", "img_gray16.png");
        Path folder = Files.createDirectories(tmp.resolve("unusual").resolve("1"));
        String[] args = new String[names.size() + 3];
        args[0] = "predict";
        args[1] = "--checkpoint";
        args[2] = ck.toString();
        for (int i = 0; i < names.size(); i++) {
            args[3 + i] = resource("robust/" + names.get(i)).toString();
            Files.copy(resource("robust/" + names.get(i)), folder.resolve(names.get(i)));
        }
        Cli.Result r = run(args);
        assertEquals(0, r.code(), r::toString);
        for (String n : names) assertTrue(r.out().contains(n), r::toString);
        assertEquals(names.size() * 4, r.out().lines().count(), r::toString); // name + 3 classes each
        Cli.Result e = run("eval", "--checkpoint", ck.toString(), "--images", folder.getParent().toString());
        assertEquals(0, e.code(), e::toString);
        assertTrue(e.out().contains("4 photos") || e.out().contains("accuracy"), e::toString);
    }

    // ---- the data folder and its CSV lists ----

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "csv_missing_column  | line 1 (header): expected columns path,class_id, found path (missing class_id)",
        "csv_unknown_class   | line 3, field 'class_id': expected a class id listed in metadata.csv (1..3), found 99",
        "csv_duplicate_row   | line 3, field 'path': expected each photo listed once",
        "csv_dotdot          | line 3, field 'path': expected a path inside the data folder (relative, no '..'), found '../outside.png'",
        "csv_absolute        | line 3, field 'path': expected a path inside the data folder (relative, no '..'), found '/etc/passwd'",
        "csv_missing_image   | line 3, field 'path': expected an existing photo file, found no file 'marvel/0001/404.png'",
    })
    void brokenCsvLists(String name, String message) throws IOException {
        Path d = copyOf(data, "data-" + name);
        Files.copy(resource("robust/" + name + ".csv"), d.resolve("index.csv"), StandardCopyOption.REPLACE_EXISTING);
        Path out = tmp.resolve("out-" + name);
        assertBadInput(run(train(out, "--data", d.toString())), d.resolve("index.csv") + ": " + message);
        assertFalse(Files.exists(out), "a failed train leaves no run folder");
        // eval reads the same lists (its split's test part comes from them).
        assertBadInputNoOutput(run("eval", "--checkpoint", ck.toString(), "--data", d.toString()), d.resolve("index.csv") + ": " + message);
    }

    @Test
    void missingEmptyOrIncompleteDataFolder() throws IOException {
        Path out = tmp.resolve("out-nodata");
        String[] a = train(out);
        a[2] = tmp.resolve("absent").toString();
        assertBadInput(run(a), "--data " + a[2] + ": expected a folder with the photo set, found no such path");
        a[2] = Files.createDirectories(tmp.resolve("empty")).toString();
        assertBadInput(run(a), a[2] + ": expected the photo set", "found an empty folder");
        Path noMeta = copyOf(data, "nometa");
        Files.delete(noMeta.resolve("metadata.csv"));
        a[2] = noMeta.toString();
        assertBadInput(run(a), noMeta + ": expected metadata.csv in the data folder, found none");
        Path emptyIndex = copyOf(data, "emptyindex");
        Files.writeString(emptyIndex.resolve("index.csv"), "");
        a[2] = emptyIndex.toString();
        assertBadInput(run(a), emptyIndex.resolve("index.csv").toString());
        assertFalse(Files.exists(out));
    }

    // ---- PyTorch .pth and TF.js through convert ----

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "evil_system.pth     | forbidden global 'posix.system'",
        "evil_legacy.pth     | forbidden global 'os.system'",
        "not_a_zip.pth       | expected a PyTorch checkpoint (a zip archive, or a legacy pickle starting with 0x80)",
        "truncated.pth       | damaged or truncated zip archive",
        "missing_storage.pth | storage '0': entry zip_mixed/data/0 is missing from the archive",
    })
    void brokenPthThroughConvert(String name, String message) throws IOException {
        Path f = resource("io/bad/" + name);
        Path out = tmp.resolve("pth-" + name + ".safetensors");
        assertBadInputNoOutput(run("convert", "--from", "torch", f.toString(), "--arch", "resnet18", "--out", out.toString()), f + ": ", message);
        assertFalse(Files.exists(out), "no output file");
        // An existing output stays as it was.
        Files.writeString(out, "previous");
        assertBadInputNoOutput(run("convert", "--from", "torch", f.toString(), "--arch", "resnet18", "--out", out.toString()), f + ": ", message);
        assertEquals("previous", Files.readString(out));
        assertFalse(Files.exists(Path.of("/tmp/minifig-io-pwned-marker")), "the payload ran");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"missing shard", "short shard", "unknown dtype"})
    void brokenTfjsThroughConvert(String what) throws IOException {
        Path dir = copyOf(resource("io/tfjs/model.json").getParent(), "tfjs-" + what.replace(' ', '-'));
        Path json = dir.resolve("model.json");
        String message = switch (what) {
            case "missing shard" -> {
                Files.delete(dir.resolve("group1-shard2of3.bin"));
                yield "weightsManifest[0]: shard group1-shard2of3.bin is missing";
            }
            case "short shard" -> {
                Files.write(dir.resolve("group1-shard3of3.bin"), new byte[8]);
                yield "weightsManifest[0]: the weights need 92 bytes, the 3 shard(s) hold 88 bytes";
            }
            default -> {
                Files.writeString(json, Files.readString(json).replaceFirst("\"float32\"", "\"complex64\""));
                yield "weight 'conv/kernel': dtype: expected 'float32' or 'int32', found string \"complex64\"";
            }
        };
        Path out = tmp.resolve("tfjs-out.safetensors");
        assertBadInputNoOutput(run("convert", "--from", "tfjs", json.toString(), "--arch", "resnet50-keras", "--out", out.toString()), json + ": " + message);
        assertFalse(Files.exists(out));
    }

    // ---- checkpoints for another architecture, class count or split ----

    /** A checkpoint file with the given metadata tweaks and tensors (possibly none). */
    static Path fakeCheckpoint(String name, String arch, LabelSet labels, Map<String, Tensor> tensors) {
        Metadata m = Checkpoint.metadata(arch, 3, labels, Preprocessing.torch(18, 16));
        m.put("epoch", "2");
        Path f = tmp.resolve(name + ".safetensors");
        Safetensors.write(f, tensors, m);
        return f;
    }

    static LabelSet ownLabels() {
        return Checkpoint.load(ck).labels;
    }

    @Test
    void weightsOfAnotherArchitecture() {
        Path keras = fakeCheckpoint("keras50", "resnet50-keras", ownLabels(), Map.of());
        Path out = tmp.resolve("out-arch");
        assertBadInput(run(train(out, "--model", "resnet18", "--weights", keras.toString())),
                keras + ": metadata 'arch': expected resnet18 weights for --model resnet18, found resnet50-keras");
        // The custom net has no pretrained form: its checkpoints are for predict, eval and --resume.
        assertBadInput(run(train(out, "--weights", ck.toString())), "--weights");
        assertFalse(Files.exists(out));
    }

    @Test
    void resumeFromAnotherModelOrSplit() throws IOException {
        Path out = tmp.resolve("out-resume");
        Path r18 = fakeCheckpoint("r18", "resnet18", ownLabels(), Map.of());
        assertBadInput(run(train(out, "--resume", r18.toString())), r18 + ": expected a checkpoint of custom with 3 classes of this split, found resnet18");
        LabelSet two = new LabelSet(List.of(new ClassInfo(1, "RED SQUARE", "marvel"), new ClassInfo(2, "GREEN DISC", "marvel")));
        Path other = fakeCheckpoint("two-classes", "custom", two, Checkpoint.load(ck).tensors);
        assertBadInput(run(train(out, "--resume", other.toString())), other + ": expected a checkpoint of custom with 3 classes of this split, found custom with 2 classes");
        // Another input size would make the run's checkpoints disagree on their preprocessing.
        assertBadInput(run(train(out, "--image-size", "24", "--resume", ck.toString())), ck + ": preprocessing: expected torch resize 27 crop 24",
                "found torch resize 18 crop 16", "resume with the run's own --image-size");
        // A checkpoint without its optimizer state beside it cannot be resumed exactly.
        assertBadInput(run(train(out, "--epochs", "3", "--resume", ck.toString())), ck + ": --resume needs the optimizer state ck.optim.safetensors beside it, found none");
        assertEquals(List.of(), Cli.files(out).stream().filter(f -> f.endsWith(".safetensors")).toList(), "no checkpoint written");
    }

    @Test
    void tensorsThatDoNotMatchTheirArchitecture() {
        Map<String, Tensor> t = new LinkedHashMap<>(Checkpoint.load(ck).tensors);
        t.put("fc2.weight", new Tensor(5, 64));
        Path wrongShape = fakeCheckpoint("wrong-shape", "custom", ownLabels(), t);
        assertBadInputNoOutput(run("predict", "--checkpoint", wrongShape.toString(), data.resolve("test/001.png").toString()),
                wrongShape + ": ", "'fc2.weight'", "[3, 64]", "[5, 64]");
        t.remove("fc2.weight");
        Path missing = fakeCheckpoint("missing-tensor", "custom", ownLabels(), t);
        assertBadInputNoOutput(run("eval", "--checkpoint", missing.toString(), "--data", data.toString()), missing + ": ", "fc2.weight");
        Path empty = fakeCheckpoint("no-tensors", "resnet18", ownLabels(), Map.of());
        assertBadInputNoOutput(run("predict", "--checkpoint", empty.toString(), data.resolve("test/001.png").toString()), empty + ": ", "conv1.weight");
    }

    @Test
    void checkpointOfAnotherSplitForEval() throws IOException {
        LabelSet two = new LabelSet(List.of(new ClassInfo(1, "RED SQUARE", "marvel"), new ClassInfo(2, "GREEN DISC", "marvel")));
        Path other = fakeCheckpoint("eval-two", "custom", two, minifig.models.Models.create("custom", 2, 3, 1).stateDict().tensors());
        assertBadInputNoOutput(run("eval", "--checkpoint", other.toString(), "--data", data.toString()), other + ": labels: expected");
        // .npy input of the wrong layout
        Path npy = tmp.resolve("x.npy");
        minifig.io.Npy.write(npy, new Tensor(1, 1, 16, 16));
        assertBadInputNoOutput(run("predict", "--checkpoint", ck.toString(), npy.toString()), npy + ": expected a float32 array [N,3,H,W]");
    }

    /** A checkpoint of this set's labels whose metadata entry {@code key} is replaced by {@code value}. */
    static Path withMetadata(String name, String key, String value) {
        Checkpoint base = Checkpoint.load(ck);
        Metadata m = new Metadata();
        base.metadata.asMap().forEach(m::put);
        m.put(key, value);
        Path f = tmp.resolve(name + ".safetensors");
        Safetensors.write(f, base.tensors, m);
        return f;
    }

    @Test
    void hostileMetadataInAMinifigCheckpoint() {
        String img = data.resolve("test/001.png").toString();
        Path epoch = withMetadata("epoch-text", "epoch", "3\nerror: fake second line");
        assertBadInputNoOutput(run("predict", "--checkpoint", epoch.toString(), img), epoch + ": metadata 'epoch': expected a non-negative integer, found '3\\x0aerror");
        Path channels = withMetadata("channels", "arch_config", "{\"num_classes\": 3, \"in_channels\": 1000000000}");
        assertBadInputNoOutput(run("predict", "--checkpoint", channels.toString(), img), channels + ": metadata 'arch_config.in_channels': expected 1..16, found 1000000000");
        Path classes = withMetadata("classes", "arch_config", "{\"num_classes\": 7, \"in_channels\": 3}");
        assertBadInputNoOutput(run("eval", "--checkpoint", classes.toString(), "--data", data.toString()), classes + ": metadata 'arch_config.num_classes': expected 3");
        Path pp = withMetadata("preprocessing", "preprocessing", "{\"resize\": 100000, \"crop\": 100000}");
        assertBadInputNoOutput(run("predict", "--checkpoint", pp.toString(), img), pp + ": preprocessing: expected");
        // --resume reads the run's history from the checkpoint (with the optimizer state beside it).
        Path history = withMetadata("history", "history", "[{\"epoch\": \"x\"}]");
        minifig.nn.Module model = Checkpoint.load(history).model();
        Checkpoint.saveOptimizer(history, model, new minifig.optim.SGD(model.params(), 0.01, 0.9, 0, false), 1);
        Path out = tmp.resolve("out-history");
        assertBadInput(run(train(out, "--epochs", "3", "--resume", history.toString())), history + ": metadata 'history': expected a list of metrics rows");
        assertEquals(List.of(), Cli.files(out).stream().filter(f -> f.endsWith(".safetensors")).toList());
    }

    // ---- flags ----

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "--epochs -1        | --epochs: expected a positive number, found -1",
        "--model vgg        | --model: expected one of custom, resnet18, resnet34, resnet50, resnet50-keras, found 'vgg'",
        "--threads 0        | --threads: expected 1..1024, found 0",
        "--batch-size 0     | --batch-size: expected a positive number, found 0",
        "--image-size 8     | --image-size: expected 16..1024, found 8",
        "--lr -0.1          | --lr: expected a positive finite number, found -0.1",
        "--lr Infinity      | --lr: expected a positive finite number, found Infinity",
        "--epochs abc       | '--epochs': 'abc' is not an int",
        "--schedule sine    | --schedule: expected step, cosine or constant, found 'sine'",
        "--augment heavy    | --augment: expected standard, light, flip or none, found 'heavy'",
        "--resize 10        | --resize: expected 16..4096 (at least --image-size), found 10",
        "--val-fraction 1   | --val-fraction: expected 0 <= f < 1, found 1.0",
        "--bogus-flag 1     | --bogus-flag",
    })
    void badTrainFlags(String flag, String message) {
        Path out = tmp.resolve("out-flags");
        assertBadInput(run(train(out, flag.split(" "))), message);
        assertFalse(Files.exists(out), "a rejected flag leaves no run folder");
    }

    @Test
    void badPredictAndEvalFlags() {
        String img = data.resolve("test/001.png").toString();
        assertBadInputNoOutput(run("predict", "--checkpoint", ck.toString(), "--top", "0", img), "--top: expected a positive number, found 0");
        assertBadInputNoOutput(run("predict", "--checkpoint", ck.toString(), "--threads", "0", img), "--threads: expected 1..1024, found 0");
        assertBadInputNoOutput(run("predict", "--checkpoint", ck.toString(), tmp.resolve("nope.png").toString()), "nope.png: no such file");
        assertBadInputNoOutput(run("eval", "--checkpoint", ck.toString(), "--data", data.toString(), "--batch-size", "0"),
                "--batch-size: expected a positive number, found 0");
        assertBadInputNoOutput(run("predict", "--checkpoint", tmp.resolve("none.safetensors").toString(), img), "none.safetensors: expected a checkpoint file, found no such file");
        assertBadInputNoOutput(run("convert", "--from", "onnx", ck.toString(), "--arch", "resnet18", "--out", tmp.resolve("o.safetensors").toString()),
                "--from: expected torch, tfjs or safetensors, found 'onnx'");
        assertBadInputNoOutput(run("predict"), "--checkpoint");
    }

}
