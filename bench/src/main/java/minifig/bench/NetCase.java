package minifig.bench;

import java.util.Random;
import java.util.function.DoubleSupplier;
import minifig.BadInputException;
import minifig.kernels.Parallel;
import minifig.models.Models;
import minifig.nn.Conv2d;
import minifig.nn.Loss;
import minifig.nn.Module;
import minifig.nn.NLLLoss;
import minifig.nn.SoftmaxCrossEntropy;
import minifig.optim.SGD;
import minifig.tensor.Tensor;

/**
 * One workload as the benchmarks time it: a model built from a fixed seed, a fixed random batch,
 * and one {@link #step()} = an eval-mode forward, or a training step (zero grads, training forward, loss,
 * backward of the parameters (not of the input image), SGD step with momentum 0.9 and weight decay 1e-4: what PyTorch's side runs too).
 *
 * <p>Names: {@code resnet18_fwd}, {@code resnet18_train}, {@code resnet50keras_fwd}, {@code custom_fwd},
 * {@code custom_train}. ResNets take 224x224 photos, the custom net 64x64; 36 classes (the minifig set).
 *
 * <p>Single conv layers, for the per-layer table of bench/compare.py: {@code MODE/name_C_H_O_K_stride_pad} (a
 * {@link ConvLayer}, no bias). MODE {@code fwd} is an eval forward as the network runs it (Winograd where
 * {@link Conv2d} picks it), {@code fwd-gemm} the same with Winograd forbidden (implicit im2col + GEMM: the kernel
 * whose % of peak the targets name), {@code train} a training forward and a backward with dX and dW, gradients
 * zeroed first. And {@code peak}: {@link PeakFlops}' FMA chains on every thread, this machine's peak measured in the
 * same rounds.
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
    /** A single conv layer's or the peak's step, null for a network. */
    private final DoubleSupplier other;

    /** FMA steps of {@link #peakStep} per thread: 768 MFLOP at 16 lanes, ~3 ms at this machine's one-core peak. */
    static final int PEAK_STEPS = 2_000_000;

    public NetCase(String name, int batch) {
        this.name = name;
        this.batch = batch;
        if (name.equals("peak") || name.contains("/")) {
            this.other = name.equals("peak") ? peakStep() : convStep(name, batch);
            this.model = null;
            this.train = false;
            this.size = 0;
            this.x = null;
            this.targets = null;
            this.loss = null;
            this.sgd = null;
            return;
        }
        this.other = null;
        check(name);
        String model = modelOf(name);
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

    /** The model a network case builds, or null if name is not one. */
    private static String modelOf(String name) {
        return switch (name) {
            case "resnet18_fwd", "resnet18_train" -> "resnet18";
            case "resnet50keras_fwd" -> "resnet50-keras";
            case "custom_fwd", "custom_train" -> "custom";
            default -> null;
        };
    }

    /** Checks a case name (class comment) without building it: a one-line BadInputException if it names no case. */
    static void check(String name) {
        if (name.equals("peak")) return;
        int slash = name.indexOf('/');
        if (slash >= 0) {
            String mode = name.substring(0, slash);
            if (!mode.equals("fwd") && !mode.equals("fwd-gemm") && !mode.equals("train")) {
                throw new BadInputException("case '" + name + "': unknown conv mode '" + mode + "', expected fwd, fwd-gemm or train");
            }
            ConvLayer.parse(name.substring(slash + 1));
        } else if (modelOf(name) == null) {
            throw new BadInputException("unknown case '" + name + "': expected resnet18_fwd, resnet18_train, resnet50keras_fwd, "
                    + "custom_fwd, custom_train, peak or MODE/name_C_H_O_K_stride_pad");
        }
    }

    /** One forward (eval) or one full training step; returns a value that depends on the work done. */
    public float step() {
        if (other != null) return (float) other.getAsDouble();
        if (!train) return model.forward(x, false).data[0];
        model.zeroGrad();
        Tensor out = model.forward(x, true);
        float l = loss.forward(out, targets);
        model.backwardParams(loss.backward());   // no gradient for the input image, as in PyTorch
        sgd.step();
        return l;
    }

    /**
     * A conv layer case "MODE/name_C_H_O_K_stride_pad" (class comment): its step on an input and an output gradient
     * drawn once from a fixed seed.
     */
    private static DoubleSupplier convStep(String name, int batch) {
        check(name);
        String mode = name.substring(0, name.indexOf('/'));
        ConvLayer l = ConvLayer.parse(name.substring(name.indexOf('/') + 1));
        Conv2d conv = new Conv2d(l.C(), l.O(), l.K(), l.stride(), l.pad(), false, new Random(42));
        Random r = new Random(7);
        Tensor in = new Tensor(batch, l.C(), l.H(), l.H()).randn(r, 1.0);
        Tensor dOut = new Tensor(batch, l.O(), l.OH(), l.OH()).randn(r, 1.0);
        return switch (mode) {
            case "fwd" -> () -> conv.forward(in, false).data[0];
            case "fwd-gemm" -> {
                conv.setWinograd(false);
                yield () -> conv.forward(in, false).data[0];
            }
            case "train" -> () -> {
                conv.weight.zeroGrad();
                conv.forward(in, true);
                return conv.backward(dOut).data[0];
            };
            default -> throw new AssertionError(mode);     // check() allows no other mode
        };
    }

    /** {@link PeakFlops#chains} on every thread of the pool at once; the sum of their results. */
    private static DoubleSupplier peakStep() {
        float[] seed = PeakFlops.seed();
        return () -> {
            int t = Parallel.threads();
            float[] out = new float[t];
            Parallel.parallelFor(t, t, (lo, hi) -> {
                for (int i = lo; i < hi; i++) out[i] = PeakFlops.chains(seed, PEAK_STEPS);
            });
            double sum = 0;
            for (float v : out) sum += v;
            return sum;
        };
    }

    /**
     * Floating-point operations of one step, for a GFLOP/s figure: a conv layer's direct-convolution count (forward
     * 2*O*OH*OW*C*K*K per image, a training step three times that: forward, dX, dW), the peak's FMAs; 0 for a network.
     */
    public static double flops(String name, int batch, int threads) {
        if (name.equals("peak")) return PeakFlops.flops(PEAK_STEPS) * threads;
        if (!name.contains("/")) return 0;
        ConvLayer l = ConvLayer.parse(name.substring(name.indexOf('/') + 1));
        double fwd = 2.0 * l.O() * l.P() * l.CKK() * batch;
        return name.startsWith("train/") ? 3 * fwd : fwd;
    }
}
