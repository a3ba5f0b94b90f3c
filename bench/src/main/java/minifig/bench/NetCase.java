package minifig.bench;

import java.util.Random;
import minifig.models.Models;
import minifig.nn.Loss;
import minifig.nn.Module;
import minifig.nn.NLLLoss;
import minifig.nn.SoftmaxCrossEntropy;
import minifig.optim.SGD;
import minifig.tensor.Tensor;

/**
 * One network workload as the benchmarks time it: a model built from a fixed seed, a fixed random batch,
 * and one {@link #step()} = an eval-mode forward, or a training step (zero grads, training forward, loss,
 * backward of the parameters (not of the input image), SGD step with momentum 0.9 and weight decay 1e-4: what PyTorch's side runs too).
 *
 * <p>Names: {@code resnet18_fwd}, {@code resnet18_train}, {@code resnet50keras_fwd}, {@code custom_fwd},
 * {@code custom_train}. ResNets take 224x224 photos, the custom net 64x64; 36 classes (the minifig set).
 */
public final class NetCase {
    public static final int CLASSES = 36;

    public final String name;
    public final int batch, size;
    private final Module model;
    private final boolean train;
    private final Tensor x;
    private final int[] targets;
    private final Loss loss;
    private final SGD sgd;

    public NetCase(String name, int batch) {
        this.name = name;
        this.batch = batch;
        String model = switch (name) {
            case "resnet18_fwd", "resnet18_train" -> "resnet18";
            case "resnet50keras_fwd" -> "resnet50-keras";
            case "custom_fwd", "custom_train" -> "custom";
            default -> throw new IllegalArgumentException("unknown network case '" + name + "'");
        };
        this.train = name.endsWith("_train");
        this.size = model.equals("custom") ? 64 : 224;
        this.model = Models.create(model, CLASSES, 42);
        Random r = new Random(7);
        this.x = new Tensor(batch, 3, size, size).randn(r, 1.0);
        this.targets = new int[batch];
        for (int i = 0; i < batch; i++) targets[i] = r.nextInt(CLASSES);
        // The custom net ends in LogSoftmax (NLL loss); the ResNets give logits (cross-entropy).
        this.loss = model.equals("custom") ? new NLLLoss() : new SoftmaxCrossEntropy();
        this.sgd = train ? new SGD(this.model.params(), 0.01, 0.9, 1e-4, false) : null;
    }

    /** One forward (eval) or one full training step; returns a value that depends on the work done. */
    public float step() {
        if (!train) return model.forward(x, false).data[0];
        model.zeroGrad();
        Tensor out = model.forward(x, true);
        float l = loss.forward(out, targets);
        model.backwardParams(loss.backward());   // no gradient for the input image, as in PyTorch
        sgd.step();
        return l;
    }
}
