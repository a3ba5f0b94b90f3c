package minifig.models;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import minifig.nn.BatchNorm2d;
import minifig.nn.Conv2d;
import minifig.nn.Module;
import minifig.nn.ReLU;
import minifig.nn.Residual;
import minifig.nn.Sequential;
import minifig.nn.StateDict;
import minifig.tensor.Param;
import minifig.tensor.Tensor;

/**
 * One residual block, torchvision's BasicBlock or Bottleneck: y = relu(main(x) + shortcut(x)).
 *
 * <pre>
 * basic:       conv1 3x3 (stride) - bn1 - relu - conv2 3x3 - bn2
 * bottleneck:  conv1 1x1 - bn1 - relu - conv2 3x3 (stride) - bn2 - relu - conv3 1x1 (planes*4) - bn3
 *              (Keras "v1": the stride sits on conv1 instead of conv2)
 * shortcut:    identity, or downsample = 1x1 conv (stride) + bn when the stride or channel count changes
 * </pre>
 *
 * State names are torchvision's: conv1.weight, bn1.running_mean, ..., downsample.0.weight (the shortcut
 * conv), downsample.1.* (its BatchNorm).
 */
public final class ResNetBlock extends Module {
    public final int inChannels, outChannels, stride;
    /** Main-branch convs and norms in order (conv1, conv2[, conv3]) and (bn1, bn2[, bn3]). */
    public final List<Conv2d> convs;
    public final List<BatchNorm2d> norms;
    /** The projection shortcut, or both null for the identity. */
    public final Conv2d downsampleConv;
    public final BatchNorm2d downsampleBn;
    private final Sequential body;

    private ResNetBlock(int inC, int outC, int stride, List<Conv2d> convs, List<BatchNorm2d> norms,
                        Conv2d dsConv, BatchNorm2d dsBn) {
        this.inChannels = inC;
        this.outChannels = outC;
        this.stride = stride;
        this.convs = List.copyOf(convs);
        this.norms = List.copyOf(norms);
        this.downsampleConv = dsConv;
        this.downsampleBn = dsBn;
        Sequential main = new Sequential();
        for (int i = 0; i < convs.size(); i++) {
            main.add("conv" + (i + 1), convs.get(i)).add("bn" + (i + 1), norms.get(i));
            if (i < convs.size() - 1) main.add("relu" + (i + 1), new ReLU());
        }
        Sequential shortcut = dsConv == null ? null : new Sequential(dsConv, dsBn);
        body = new Sequential().addInline(new Residual(main, shortcut, "downsample")).add("relu", new ReLU());
    }

    /** A basic block (two 3x3 convs) from {@code inC} to {@code planes} channels. */
    public static ResNetBlock basic(int inC, int planes, int stride, ResNetConfig cfg, Random rng) {
        List<Conv2d> convs = List.of(conv(cfg, inC, planes, 3, stride, rng), conv(cfg, planes, planes, 3, 1, rng));
        return withShortcut(inC, planes, stride, convs, cfg, rng);
    }

    /** A bottleneck block: 1x1 to {@code planes}, 3x3, 1x1 to 4 * planes; stride placed as {@code cfg} says. */
    public static ResNetBlock bottleneck(int inC, int planes, int stride, ResNetConfig cfg, Random rng) {
        int s1 = cfg.strideOnFirst1x1() ? stride : 1, s3 = cfg.strideOnFirst1x1() ? 1 : stride;
        int out = planes * ResNetConfig.BOTTLENECK_EXPANSION;
        List<Conv2d> convs = List.of(conv(cfg, inC, planes, 1, s1, rng), conv(cfg, planes, planes, 3, s3, rng),
                conv(cfg, planes, out, 1, 1, rng));
        return withShortcut(inC, out, stride, convs, cfg, rng);
    }

    /** The block {@code cfg} uses (basic or bottleneck). */
    public static ResNetBlock of(ResNetConfig cfg, int inC, int planes, int stride, Random rng) {
        return cfg.bottleneck() ? bottleneck(inC, planes, stride, cfg, rng) : basic(inC, planes, stride, cfg, rng);
    }

    private static ResNetBlock withShortcut(int inC, int outC, int stride, List<Conv2d> convs, ResNetConfig cfg,
                                            Random rng) {
        List<BatchNorm2d> norms = new ArrayList<>();
        for (Conv2d c : convs) norms.add(bn(cfg, c.outChannels));
        Conv2d dsConv = null;
        BatchNorm2d dsBn = null;
        if (stride != 1 || inC != outC) {
            dsConv = conv(cfg, inC, outC, 1, stride, rng);
            dsBn = bn(cfg, outC);
        }
        return new ResNetBlock(inC, outC, stride, convs, norms, dsConv, dsBn);
    }

    /**
     * A conv with torchvision's ResNet init: kaiming_normal_(mode="fan_out", nonlinearity="relu"), i.e.
     * N(0, 2 / (outC*k*k)); a bias (Keras variant) starts at 0 as Keras initialises it. Padding k/2 keeps
     * the size at stride 1 (Keras "same" for its 3x3 convs, "valid" for its 1x1 convs; the 7x7 stem conv after
     * ZeroPadding2D(3) is the same as padding 3).
     */
    static Conv2d conv(ResNetConfig cfg, int inC, int outC, int k, int stride, Random rng) {
        Param w = new Param(new Tensor(outC, inC, k, k).randn(rng, Math.sqrt(2.0 / (outC * k * k))), true);
        Param b = cfg.convBias() ? new Param(new Tensor(outC), false) : null;
        return new Conv2d(inC, outC, k, stride, k / 2, w, b);
    }

    /** BatchNorm with weight 1, bias 0 (torchvision's init) and the config's eps. */
    static BatchNorm2d bn(ResNetConfig cfg, int channels) {
        return new BatchNorm2d(channels, cfg.bnEps(), ResNetConfig.BN_MOMENTUM);
    }

    /** Every BatchNorm of this block (main branch, then the shortcut's). */
    public List<BatchNorm2d> batchNorms() {
        List<BatchNorm2d> all = new ArrayList<>(norms);
        if (downsampleBn != null) all.add(downsampleBn);
        return Collections.unmodifiableList(all);
    }

    @Override
    public Tensor forward(Tensor x, boolean training) { return body.forward(x, training); }

    @Override
    public Tensor backward(Tensor dOut) { return body.backward(dOut); }

    @Override
    public void collect(String prefix, StateDict sd) { body.collect(prefix, sd); }

    @Override
    public String toString() {
        return (convs.size() == 3 ? "Bottleneck(" : "BasicBlock(") + inChannels + " -> " + outChannels
                + ", stride " + stride + (downsampleConv == null ? ")" : ", downsample)");
    }
}
