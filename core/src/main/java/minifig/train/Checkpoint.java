package minifig.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import minifig.BadInputException;
import minifig.data.LabelSet;
import minifig.data.Preprocessing;
import minifig.io.Metadata;
import minifig.io.Safetensors;
import minifig.io.TensorFile;
import minifig.models.Models;
import minifig.models.ResNetConfig;
import minifig.models.ResNet;
import minifig.nn.Module;
import minifig.nn.StateDict;
import minifig.optim.SGD;
import minifig.tensor.Param;
import minifig.tensor.Tensor;

/**
 * A trained model on disk: a safetensors file whose tensors are the PyTorch-named state_dict (so Python's
 * safetensors + load_state_dict read it) and whose {@code __metadata__} says how to rebuild and use it:
 *
 * <pre>
 * format          "minifig-checkpoint"        format_version "1"
 * arch            e.g. "resnet50-keras"       arch_config    {"num_classes": 36, "in_channels": 3}
 * labels          the LabelSet (class ids, names, universes, in output order)
 * preprocessing   the Preprocessing (resize, crop, normalisation) that predict and eval must apply
 * epoch, seed, split, metrics (that epoch's row), history (all rows so far), best, config (TrainConfig)
 * </pre>
 *
 * The optimizer's momentum buffers, needed only to resume, go to a sibling file NAME.optim.safetensors.
 * Every write is atomic, and {@link #saveResumable} orders the writes so that a crash at any moment leaves a
 * checkpoint with its matching optimizer state (NAME.optim.safetensors, or NAME.optim.prev.safetensors).
 */
public final class Checkpoint {
    public static final String FORMAT = "minifig-checkpoint";
    public static final String VERSION = "1";
    private static final ObjectMapper JSON = new ObjectMapper();

    public final Path file;
    public final String arch;
    public final int numClasses;
    public final int inChannels;
    public final LabelSet labels;
    public final Preprocessing preprocessing;
    public final Metadata metadata;
    public final Map<String, Tensor> tensors;

    private Checkpoint(Path file, String arch, int numClasses, int inChannels, LabelSet labels,
                       Preprocessing preprocessing, Metadata metadata, Map<String, Tensor> tensors) {
        this.file = file;
        this.arch = arch;
        this.numClasses = numClasses;
        this.inChannels = inChannels;
        this.labels = labels;
        this.preprocessing = preprocessing;
        this.metadata = metadata;
        this.tensors = tensors;
    }

    /** The metadata every checkpoint carries; callers add epoch, metrics, history and config. */
    public static Metadata metadata(String arch, int inChannels, LabelSet labels, Preprocessing pp) {
        Metadata m = new Metadata();
        m.put("format", FORMAT).put("format_version", VERSION).put("arch", arch);
        Map<String, Object> archConfig = new LinkedHashMap<>();
        archConfig.put("num_classes", labels.size());
        archConfig.put("in_channels", inChannels);
        m.putJson("arch_config", archConfig);
        m.put("labels", labels.toJson());
        m.put("preprocessing", pp.toJson());
        return m;
    }

    /** Writes the model's state_dict with {@code metadata} to {@code file}, atomically. */
    public static void save(Path file, Module model, Metadata metadata) {
        Safetensors.write(file, model.stateDict().tensors(), metadata);
    }

    /** Copies a checkpoint file atomically (the copy appears whole or not at all). */
    public static void copy(Path from, Path to) {
        minifig.io.AtomicFiles.write(to, out -> Files.copy(from, out));
    }

    /** Path of the optimizer file that goes with checkpoint {@code file}. */
    public static Path optimizerFile(Path file) {
        String name = file.getFileName().toString().replaceFirst("\\.safetensors$", "");
        return file.resolveSibling(name + ".optim.safetensors");
    }

    /** Where the previous optimizer state waits while a new checkpoint pair is being written. */
    public static Path previousOptimizerFile(Path file) {
        Path of = optimizerFile(file);
        return of.resolveSibling(of.getFileName().toString().replaceFirst("\\.safetensors$", ".prev.safetensors"));
    }

    /**
     * Saves a checkpoint that {@code --resume} can continue exactly: the optimizer state, then the model. The old
     * optimizer state is first moved aside (atomically) and dropped only once the new model is on disk, so after a
     * crash at any point, {@link #restoreOptimizer} finds the state whose epoch matches the checkpoint on disk.
     */
    public static void saveResumable(Path file, Module model, Metadata metadata, SGD sgd, int epoch) {
        Path of = optimizerFile(file), prev = previousOptimizerFile(file);
        try {
            if (Files.exists(of)) Files.move(of, prev, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            saveOptimizer(file, model, sgd, epoch);
            save(file, model, metadata);
            Files.deleteIfExists(prev);
        } catch (IOException e) {
            throw new BadInputException(of + ": cannot write the optimizer state (" + e.getMessage() + ")", e);
        }
    }

    /** Saves the SGD momentum buffers by parameter name, tagged with the epoch for consistency checks. */
    public static void saveOptimizer(Path file, Module model, SGD sgd, int epoch) {
        Map<String, Tensor> v = new LinkedHashMap<>();
        model.stateDict().params().forEach((name, p) -> {
            Tensor t = sgd.velocity(p);
            if (t != null) v.put("velocity." + name, t);
        });
        Metadata m = new Metadata().put("format", FORMAT + "-optimizer").put("epoch", Integer.toString(epoch));
        Safetensors.write(optimizerFile(file), v, m);
    }

    /** Restores momentum buffers saved by {@link #saveOptimizer}; the epoch must match the model checkpoint's. */
    public void restoreOptimizer(Module model, SGD sgd) {
        Path of = optimizerFile(file), prev = previousOptimizerFile(file);
        if (!Files.exists(of) && !Files.exists(prev)) {
            throw new BadInputException(file + ": --resume needs the optimizer state " + of.getFileName() + " beside it, found none");
        }
        String want = metadata.require("epoch");
        TensorFile tf = Files.exists(of) ? Safetensors.read(of) : null;
        if (tf == null || !want.equals(tf.metadata().require("epoch"))) {
            // A crash between the writes of saveResumable: the previous state goes with this checkpoint.
            TensorFile p = Files.exists(prev) ? Safetensors.read(prev) : null;
            if (p == null || !want.equals(p.metadata().require("epoch"))) {
                Path shown = tf != null ? of : prev;
                throw new BadInputException(shown + ": epoch: expected " + want + " (the checkpoint's), found "
                        + (tf != null ? tf : p).metadata().require("epoch"));
            }
            tf = p;
            try {
                Files.move(prev, of, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new BadInputException(prev + ": cannot restore it as " + of.getFileName() + " (" + e.getMessage() + ")", e);
            }
        }
        Map<String, Param> params = model.stateDict().params();
        for (var e : tf.tensors().entrySet()) {
            String name = e.getKey().replaceFirst("^velocity\\.", "");
            Param p = params.get(name);
            if (p == null) throw new BadInputException(of + ": tensor '" + e.getKey() + "': expected a velocity of a model parameter, found no such parameter");
            sgd.setVelocity(p, e.getValue());
        }
    }

    /** Reads and validates a checkpoint (format, architecture, classes, preprocessing). */
    public static Checkpoint load(Path file) {
        if (!Files.isRegularFile(file)) throw new BadInputException(file + ": expected a checkpoint file, found " + (Files.exists(file) ? "a folder" : "no such file"));
        TensorFile tf = Safetensors.read(file);
        Metadata m = tf.metadata();
        String format = m.get("format").orElse(null);
        if (!FORMAT.equals(format)) {
            throw new BadInputException(file + ": metadata 'format': expected \"" + FORMAT + "\" (a minifig checkpoint; convert pretrained weights with 'minifig convert' and pass them as --weights), found " + (format == null ? "none" : quote(format)));
        }
        String version = m.require("format_version");
        if (!VERSION.equals(version)) {
            throw new BadInputException(file + ": metadata 'format_version': expected " + VERSION + ", found " + quote(version));
        }
        String arch = m.require("arch");
        if (!Models.NAMES.contains(arch)) {
            throw new BadInputException(file + ": metadata 'arch': expected one of " + Models.NAMES + ", found " + quote(arch));
        }
        JsonNode ac = m.json("arch_config");
        int k = ac.path("num_classes").asInt(-1), inC = ac.path("in_channels").asInt(3);
        if (inC < 1 || inC > 16) {
            throw new BadInputException(file + ": metadata 'arch_config.in_channels': expected 1..16, found " + ac.path("in_channels"));
        }
        String epoch = m.get("epoch").orElse("0");
        if (!epoch.matches("[0-9]{1,9}")) {
            throw new BadInputException(file + ": metadata 'epoch': expected a non-negative integer, found " + quote(epoch));
        }
        LabelSet labels = LabelSet.fromJson(m.require("labels"), file.toString());
        if (k != labels.size()) {
            throw new BadInputException(file + ": metadata 'arch_config.num_classes': expected " + labels.size() + " (the number of labels), found " + k);
        }
        Preprocessing pp = Preprocessing.fromJson(m.require("preprocessing"), file.toString());
        return new Checkpoint(file, arch, k, inC, labels, pp, m, tf.tensors());
    }

    /** The name of the first state_dict tensor holding a NaN or infinity, or null when all are finite. */
    public static String nonFinite(Module model) {
        for (var e : model.stateDict().tensors().entrySet()) {
            for (float v : e.getValue().data) if (!Float.isFinite(v)) return e.getKey();
        }
        return null;
    }

    /** Untrusted metadata text for a one-line message: quoted, control characters escaped, at most 40 characters. */
    static String quote(String s) {
        String t = s.length() > 40 ? s.substring(0, 40) + "..." : s;
        StringBuilder b = new StringBuilder("'");
        for (char c : t.toCharArray()) b.append(Character.isISOControl(c) ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        return b.append('\'').toString();
    }

    /** Builds the network this checkpoint describes and loads its tensors (names and shapes must all match). */
    public Module model() {
        Tensor conv1 = tensors.get("conv1.weight");
        boolean narrowResNet = ResNetConfig.byName(arch) != null && conv1 != null && conv1.rank() == 4 && conv1.shape[0] != 64;
        // A ResNet at another width (the small networks tests train) is built at the width its stem has.
        Module model = narrowResNet ? new ResNet(Models.config(arch).withWidth(conv1.shape[0]), numClasses, inChannels, 0L)
                : Models.create(arch, numClasses, inChannels, 0);
        loadInto(model);
        return model;
    }

    /** Loads the tensors into {@code model}; a mismatch is a BadInputException naming the tensor and shapes. */
    public void loadInto(Module model) {
        StateDict sd = model.stateDict();
        try {
            sd.load(tensors, true);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(file + ": " + e.getMessage() + " (checkpoint for " + arch + " with " + numClasses + " classes)");
        }
    }

    public int epoch() { return Integer.parseInt(metadata.get("epoch").orElse("0")); }

    /** A metadata entry parsed as JSON, or null when absent. */
    public JsonNode json(String key) {
        return metadata.containsKey(key) ? metadata.json(key) : null;
    }

    static ObjectMapper mapper() { return JSON; }
}
