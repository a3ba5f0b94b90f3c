package minifig.nn;

import java.util.Arrays;
import java.util.Random;
import java.util.function.Supplier;
import minifig.kernels.ConvShifted;
import minifig.kernels.ConvWeightGrad;
import minifig.kernels.Elementwise;
import minifig.kernels.Epilogue;
import minifig.kernels.Gemm;
import minifig.kernels.GemmBlocked;
import minifig.kernels.Im2col;
import minifig.kernels.Im2colPanels;
import minifig.kernels.Parallel;
import minifig.kernels.Winograd;
import minifig.tensor.Param;
import minifig.tensor.Tensor;

/**
 * 2-D convolution as im2col + GEMM, PyTorch's nn.Conv2d (square kernel, groups = 1, dilation = 1).
 *
 * <pre>
 * forward, per image n:  col = im2col(x[n])              [C*K*K, OH*OW], never stored: the GEMM packs
 *                        y[n] = W · col (+ b)             its panels from x[n] ({@link Im2colPanels}), or
 *                                                         from a padded (phase) copy of x[n] ({@link ConvShifted})
 *                                                         W viewed as [O, C*K*K]  (OIHW flat)
 * backward, per image n: dW  += dY[n] · colᵀ              (col recomputed from the cached input; on large
 *                                                         maps read from a padded (phase) copy, {@link ConvWeightGrad};
 *                                                         computed as dWᵀ = col · dY[n]ᵀ for wide, shallow convs)
 *                        db  += row sums of dY[n]
 *                        dX[n] = col2im(Wᵀ · dY[n])       (stride 2, pointwise)
 *                             = conv(dY[n], W' rotated)   (stride 1: the forward's kernels, {@link #inputGradAsConv})
 * </pre>
 *
 * Only the input is cached, not the column matrices of the whole batch (a ResNet-18 batch would need GBs);
 * backward recomputes im2col per image into a reused per-thread buffer. A 1x1, stride-1, unpadded conv
 * needs no im2col at all: the image itself is the column matrix. Small feature maps run several images
 * per GEMM (same sums, wider matrices; see {@link #groupColumns}).
 *
 * Weight sharing: the second constructor takes existing {@link Param}s; several Conv2d objects sharing
 * them each cache their own input, and each adds its gradient into the shared Param.grad.
 */
public final class Conv2d implements Layer {
    public final int inChannels, outChannels, kernel, stride, padding;
    /** [outC, inC, K, K] (OIHW); decay = true. */
    public final Param weight;
    /** [outC], or null for a conv without bias; decay = false. */
    public final Param bias;

    /** The last training-mode input, for recomputing im2col in backward; or null with {@link #inputRecompute} set. */
    private Tensor input;

    /** How backward gets the input when the forward kept no copy ({@link #recomputeInputWith}); else null. */
    private Supplier<Tensor> inputRecompute;

    /**
     * Whether backward computes dX. A network's first conv reads the image, whose gradient nobody uses in
     * training (PyTorch skips it too: the input does not require grad); turning this off saves the
     * Wᵀ · dY GEMM and the col2im of every image (for a ResNet stem, a 147 x 12544 x 64 GEMM and a
     * stride-2 col2im per 224x224 image). Models switch it off only around their training backward
     * ({@link Module#backwardParams}), so {@link #backward} keeps its contract by default.
     */
    private boolean needsInputGrad = true;

    /**
     * A new conv with PyTorch's default init: kaiming_uniform(a=sqrt(5)), i.e. weight and bias both
     * U(-1/sqrt(fanIn), 1/sqrt(fanIn)) with fanIn = inC*K*K, drawn from {@code rng} (weight first).
     */
    public Conv2d(int inC, int outC, int kernel, int stride, int padding, boolean bias, Random rng) {
        this(inC, outC, kernel, stride, padding, newWeight(inC, outC, kernel, rng),
                bias ? newBias(inC, outC, kernel, rng) : null);
    }

    /** A conv over existing parameters (weight sharing, or weights loaded elsewhere); {@code bias} may be null. */
    public Conv2d(int inC, int outC, int kernel, int stride, int padding, Param weight, Param bias) {
        Checks.positive("Conv2d in_channels", inC);
        Checks.positive("Conv2d out_channels", outC);
        Checks.positive("Conv2d kernel_size", kernel);
        Checks.positive("Conv2d stride", stride);
        if (padding < 0) throw new IllegalArgumentException("Conv2d padding must be >= 0, got " + padding);
        weight.value.requireShape("Conv2d weight", outC, inC, kernel, kernel);
        if (bias != null) bias.value.requireShape("Conv2d bias", outC);
        this.inChannels = inC;
        this.outChannels = outC;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.weight = weight;
        this.bias = bias;
    }

    private static Param newWeight(int inC, int outC, int k, Random rng) {
        return new Param(new Tensor(outC, inC, k, k).uniform(rng, 1.0 / Math.sqrt((double) inC * k * k)), true);
    }

    private static Param newBias(int inC, int outC, int k, Random rng) {
        return new Param(new Tensor(outC).uniform(rng, 1.0 / Math.sqrt((double) inC * k * k)), false);
    }

    /** Whether {@link #backward} computes dX (true unless switched off, see the field). */
    public boolean needsInputGrad() { return needsInputGrad; }

    /**
     * With {@code false}, {@link #backward} adds dW and db as usual but computes no input gradient and
     * returns null: for a conv whose input is the network's input, in a training backward.
     */
    public void setNeedsInputGrad(boolean needed) { needsInputGrad = needed; }

    /** Output spatial size for an input of size {@code in} (one axis). */
    public int outSize(int in) { return Im2col.outSize(in, kernel, stride, padding); }

    private boolean isPointwise() { return pointwise(kernel, stride, padding); }

    /** A 1x1, stride-1, unpadded conv: the image itself is its column matrix. */
    static boolean pointwise(int K, int stride, int pad) { return K == 1 && stride == 1 && pad == 0; }

    /**
     * Output columns one GEMM should cover at least. A small feature map (layer3/4 of a ResNet: 14x14, 7x7)
     * makes a skinny GEMM per image that re-packs the whole weight each time and wastes part of every
     * 24-wide micro-tile; G images side by side in one col matrix [C*K*K, G*OH*OW] make one wide GEMM instead
     * (docs/performance.md has the measurement). Package-private so tests can force either path.
     */
    static int groupColumns = 1568;

    /** Images per GEMM for a batch of N maps of OHW output pixels (1 = the plain per-image loop). */
    static int groupSize(int N, int OHW) {
        return OHW >= groupColumns ? 1 : Math.max(1, Math.min(N, groupColumns / OHW));
    }

    /**
     * Images per GEMM in {@link #convolve}: {@link #groupSize}, made smaller when that leaves fewer groups than
     * threads, so each thread takes whole groups (its own panels, no B packed twice) instead of splitting one
     * GEMM's rows (layer3/layer4 at batch 8: one group of 8). A forward output does not depend on the grouping
     * (each output's sum runs over C*K*K in the same order), so neither does it depend on the thread count;
     * backward's dW, whose sums run over the group's columns, keeps {@link #groupSize}.
     */
    static int forwardGroupSize(int N, int OHW, int threads) {
        int G = groupSize(N, OHW);
        return (N + G - 1) / G < threads && N >= threads ? (N + threads - 1) / threads : G;
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        if (training) winogradCache = null;     // stale after the step anyway; not held through training
        Tensor y = output(x, training);
        if (training) {
            input = x;
            inputRecompute = null;
        }
        return y;
    }

    /** This conv of x, caching nothing: the forward's work, and {@link #recomputeOutput}'s with the same bits. */
    private Tensor output(Tensor x, boolean training) {
        Tensor y = emptyOutput(x, training);
        // the bias goes in as the outputs are stored (Epilogue's first step: y += b per channel)
        Epilogue epi = bias == null ? null : new Epilogue(bias.value.data, null, null, null, null, null, false);
        convolve(weight.value.data, outChannels, x, kernel, stride, padding, y, winogradAllowed, training, epi,
                training ? null : evalWinogradWeights(x.shape[0], y.shape[2] * y.shape[3]));
        return y;
    }

    /** A [N, outChannels, OH, OW] output for the input x, after checking x (recycled in training: every element is written). */
    private Tensor emptyOutput(Tensor x, boolean training) {
        Checks.nchw("Conv2d input", x, inChannels);
        int OH = outSize(x.shape[2]), OW = outSize(x.shape[3]);
        if (OH <= 0 || OW <= 0) {
            throw new IllegalArgumentException("Conv2d input " + x.shapeString() + " is smaller than the "
                    + kernel + "x" + kernel + " kernel (padding " + padding + ")");
        }
        return training ? Recycler.take(x.shape[0], outChannels, OH, OW) : new Tensor(x.shape[0], outChannels, OH, OW);
    }

    /**
     * The last training forward's output again, from its cached input with the same kernels, so the same bits (a forward
     * output does not depend on the grouping or the threads, {@link #forwardGroupSize}); caches nothing. For the
     * BatchNorm after the stem ({@link BatchNorm2d#recomputeInputWith}), which then holds no copy of this output
     * between the forward and the backward. Call it before this layer's backward, which releases the input.
     */
    Tensor recomputeOutput() {
        return output(Checks.cached(input, "Conv2d"), true);
    }

    /**
     * Drops the last training forward's input and has backward get it from {@code recompute} instead, which must
     * return the same values: for a conv whose input is a fused BatchNorm + ReLU's output, which the BatchNorm can
     * rebuild from what its own backward keeps anyway ({@link BatchNorm2d#recomputeReluOutput}), so the activation
     * is not held from the forward to the backward twice. {@link Sequential} does this in training.
     */
    void recomputeInputWith(Supplier<Tensor> recompute) {
        Checks.cached(input, "Conv2d");
        input = null;
        inputRecompute = recompute;
    }

    /**
     * The eval forward of "this conv, {@code bn} (or null), + {@code residual} (or null), ReLU (if {@code relu})" with
     * all of it done as each output run is stored ({@link Epilogue}), instead of three or four passes over the
     * activation and as many fresh tensors: the same bits as {@code forward(x, false)} followed by the separate
     * layers, caching nothing. {@link Sequential} and {@link Residual} call it in eval mode.
     */
    public Tensor forwardEval(Tensor x, BatchNorm2d bn, Tensor residual, boolean relu) {
        Tensor y = emptyOutput(x, false);
        if (bn != null && bn.numFeatures != outChannels) {
            throw new IllegalArgumentException("Conv2d with " + outChannels + " out channels cannot feed a BatchNorm2d of "
                    + bn.numFeatures + " features");
        }
        if (residual != null && !residual.sameShape(y)) throw Residual.shapeMismatch(y, residual);
        Epilogue epi = new Epilogue(bias == null ? null : bias.value.data,
                bn == null ? null : bn.runningMean.data, bn == null ? null : bn.evalInvStd(),
                bn == null ? null : bn.weight.value.data, bn == null ? null : bn.bias.value.data,
                residual == null ? null : residual.data, relu);
        convolve(weight.value.data, outChannels, x, kernel, stride, padding, y, winogradAllowed, false, epi,
                evalWinogradWeights(x.shape[0], y.shape[2] * y.shape[3]));
        return y;
    }

    /** Winograd's transformed and packed weights for eval forwards, and the weights they were made from. */
    private record TransformedWeights(float[] w, GemmBlocked.PackedA[] u) {}

    /** See {@link #evalWinogradWeights}; null until an eval forward needs it, and dropped by a training forward. */
    private volatile TransformedWeights winogradCache;

    /**
     * U, transformed and packed ({@link Winograd#transformedWeights}), for an eval forward that Winograd takes, else
     * null (no Winograd). Per call, the transform and the packing of U cost what Winograd saves on layer4's 7x7 maps
     * for one image (0.93-1.01x against im2col, 1.04-1.14x from a kept U), and kept for every Winograd conv they make
     * resnet18's one-image forward 1.1-1.2x faster (docs/performance.md). So U is kept with a copy of the weights it
     * came from, and the copy is compared with the current weights, every float, before each use: an optimizer step,
     * a loaded checkpoint or a direct write to weight.value is never served a stale U. The cost is 25/9 of the
     * weights in memory, in eval only. Thread-safe: concurrent eval forwards at worst build the same U twice.
     */
    private GemmBlocked.PackedA[] evalWinogradWeights(int N, int OHW) {
        if (!winogradAllowed || !winograd(kernel, stride, padding, N, OHW, inChannels, outChannels, false)) return null;
        float[] w = weight.value.data;
        TransformedWeights c = winogradCache;
        if (c == null || !Arrays.equals(c.w, w)) {
            float[] copy = w.clone();
            c = new TransformedWeights(copy, Winograd.transformedWeights(copy, outChannels, inChannels));
            winogradCache = c;
        }
        return c.u;
    }

    /**
     * y[N, O, OH, OW] = conv(x[N, C, H, W], w[O, C, K, K]) without bias, y overwritten. The forward's
     * product, and the backward's dX of a stride-1 conv (see {@link #backward}), through the same kernels:
     * 3x3 stride-1 convs by {@link Winograd} when {@link #winograd} says so and {@code winogradAllowed}; the others
     * through {@link Im2colPanels} (implicit im2col: panels copied from a zero-padded, phase-split copy of the
     * images), G images per GEMM, or, with {@link #shiftedForward}, through {@link ConvShifted} on large maps.
     */
    static void convolve(float[] w, int O, Tensor x, int K, int stride, int pad, Tensor y, boolean winogradAllowed,
                         boolean training) {
        convolve(w, O, x, K, stride, pad, y, winogradAllowed, training, null, null);
    }

    /**
     * {@link #convolve}, each output run put through {@code epi} (null: none) right after it is stored; {@code u}, when
     * not null, is Winograd's transform of w ({@link #evalWinogradWeights}), used if Winograd applies.
     */
    static void convolve(float[] w, int O, Tensor x, int K, int stride, int pad, Tensor y, boolean winogradAllowed,
                         boolean training, Epilogue epi, GemmBlocked.PackedA[] u) {
        int N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
        int CKK = C * K * K, OHW = y.shape[2] * y.shape[3], CHW = C * H * W;
        if (winogradAllowed && winograd(K, stride, pad, N, OHW, C, O, training)) {
            if (u != null) Winograd.forwardTransformed(u, O, x.data, N, C, H, W, y.data, 0, epi);
            else Winograd.forward(w, O, x.data, N, C, H, W, y.data, 0, epi);
            return;
        }
        if (shiftedPanels(K, stride, pad, OHW)) {
            ConvShifted.forward(w, O, x.data, N, C, H, W, K, stride, pad, y.data, 0, epi);
            return;
        }
        int G = forwardGroupSize(N, OHW, Parallel.threads());
        // The col matrix [CKK, g*OHW] of g images side by side is never stored: the GEMM packs its panels
        // straight from the images (Im2colPanels, implicit im2col). A pointwise conv on one image reads x itself.
        // One image at a time, y[n] is the GEMM's output; G at a time, it writes out [O, G*OHW], copied into y.
        boolean direct = G == 1 && pointwise(K, stride, pad);
        // The weight is packed once, into this thread's workspace, and shared by every GEMM of the batch.
        GemmBlocked.PackedA a = GemmBlocked.DEFAULT.pack(false, O, CKK, w, 0, CKK,
                Workspace.get(Workspace.PACKED_W, GemmBlocked.packedSize(O, CKK)));
        // Whole groups per thread when there are enough, each with its own output buffer (Workspace is per thread).
        int groups = (N + G - 1) / G;
        Parallel.forEachWhole(groups, (lo, hi) -> {
            float[] out = G == 1 ? null : Workspace.get(Workspace.OUT, O * G * OHW);
            for (int n0 = lo * G; n0 < Math.min(N, hi * G); n0 += G) {
                int g = Math.min(G, N - n0), cols = g * OHW;
                float[] c = out == null ? y.data : out;
                int cOff = out == null ? n0 * O * OHW : 0;
                GemmBlocked.BPanels col = direct ? GemmBlocked.matrix(false, x.data, n0 * CHW, OHW)
                        : new Im2colPanels(x.data, n0 * CHW, g, C, H, W, K, stride, pad);
                GemmBlocked.DEFAULT.sgemm(a, cols, col, c, cOff, cols, false);
                if (out != null) {
                    for (int i = 0; i < g; i++) {
                        for (int o = 0; o < O; o++) {
                            int dst = ((n0 + i) * O + o) * OHW;
                            System.arraycopy(out, o * cols + i * OHW, y.data, dst, OHW);
                            if (epi != null) epi.apply(y.data, dst, OHW, o);
                        }
                    }
                } else if (epi != null) {
                    for (int o = 0; o < O; o++) epi.apply(y.data, cOff + o * OHW, OHW, o);
                }
            }
        });
    }

    /**
     * Whether {@link #convolve} runs through {@link ConvShifted}: only with {@link #shiftedForward}, then on a large
     * enough map, not pointwise, and not a strided 1x1 (a downsample only subsamples, which the implicit panels'
     * strided gather does as cheaply as the phase copy: 0.93x-1.13x in three runs; docs/performance.md).
     */
    static boolean shiftedPanels(int K, int stride, int pad, int OHW) {
        return shiftedForward && largeMap(K, stride, pad, OHW) && (stride == 1 || K > 1);
    }

    /**
     * Whether forward convs on large maps use {@link ConvShifted} (the stem and layer2's 3x3/2 in a ResNet-18, which
     * takes its 3x3/1 convs through Winograd): off since {@link Im2colPanels} copies its panels from a padded image too,
     * without ConvShifted's extra grid columns; with it off, resnet18 forward b8 took 0.97-0.99x the time at one thread
     * and 0.92x at two, a b32 training step 0.94-0.99x at one thread (docs/performance.md). Package-private for tests,
     * which compare the two.
     */
    static boolean shiftedForward = false;

    /**
     * Whether backward takes dW from the padded (phase) image ({@link ConvWeightGrad}) instead of from col: a
     * large enough map, not pointwise, and either stride 1, a 1x1 kernel, or a shape that AVX-512's transposed form
     * takes ({@link ConvWeightGrad#transposedPays}). Unlike the forward this includes the strided 1x1 downsamples,
     * whose dW otherwise packs a transposed col (1.16x-1.20x faster this way; at batch 8 still 2.8x, at batch 32 now
     * 0.68x). A strided conv with a larger kernel (the stem's 7x7/2, layer2's 3x3/2) took dW from col, where the GEMM
     * reads dY in place, while the phase image meant the 3 x 3 vector tile (col was 1.45-2.0x faster); with the 6 x 4
     * tile the phase image is faster: the whole backward at batch 32, one / two threads, the stem 1.52x / 1.41x, the
     * 3x3/2 1.59x / 1.27x (docs/performance.md). On smaller maps (layer3's and layer4's strided convs) col stays
     * ahead or level: 0.62-1.06x.
     */
    static boolean shiftedWeightGrad(int K, int stride, int pad, int OHW, int O, int CKK) {
        return largeMap(K, stride, pad, OHW) && (stride == 1 || K == 1 || ConvWeightGrad.transposedPays(O, CKK));
    }

    /** Not pointwise (that reads x itself) and at least {@link #shiftedMinPixels} output pixels per image. */
    private static boolean largeMap(int K, int stride, int pad, int OHW) {
        return !pointwise(K, stride, pad) && OHW >= shiftedMinPixels;
    }

    /**
     * Whether {@link #convolve} runs through {@link Winograd} F(2x2, 3x3): a 3x3, stride-1, padding-1 conv with at
     * least {@link #winogradMinChannels} in-channels and {@link #winogradMinPixels} output pixels per image (ResNet's layer1-layer3); or at least
     * {@link #winogradWideMinPixels} with at least {@link #winogradWideMinChannels} in- and out-channels (layer4's
     * 512 x 512 on 7x7 maps); or, in training (the forward and the dX), with at least
     * {@link #winogradTrainingMinPixels} output pixels over the batch. Measured per conv against the other paths,
     * in one process (docs/performance.md): layer1-layer3 1.1-1.6x faster at batch 8 and 32, layer2 1.4x for one
     * image; 512 x 512 on 7x7 1.26-1.43x at batch 8 and 32 and 0.93-1.01x for one image, 256 x 256 1.26-1.33x and
     * 0.73-1.12x, 64 and 128 channels 0.23-0.99x for one image (their im2col GEMM is cheap, the transforms are not).
     * Inference does not look at the batch: Winograd and im2col round differently, and an image's prediction must
     * not depend on which other images share its batch (ConcurrentPredictTest, CliTest). A training step's numbers
     * depend on its batch anyway.
     */
    static boolean winograd(int K, int stride, int pad, int N, int OHW, int C, int O, boolean training) {
        return Winograd.applies(K, stride, pad) && C >= winogradMinChannels
                && (OHW >= winogradMinPixels
                        || OHW >= winogradWideMinPixels && C >= winogradWideMinChannels && O >= winogradWideMinChannels
                        || training && (long) N * OHW >= winogradTrainingMinPixels);
    }

    /**
     * In-channels from which {@link #winograd} and {@link #winogradWeightGrad} apply at all; package-private for tests.
     * With few input channels the im2col GEMM is short (C*9 deep) while Winograd's output transform and dW's input
     * transform still cost as much per output channel: the custom net's first conv (3 -> 64 on 64x64, batch 32) ran
     * its forward in 9.4 ms through Winograd and 3.9 through im2col, its dW in 33.5 and 10.4; with 16 channels im2col
     * was still 1.1-1.2x faster, with 32 Winograd 1.25x (forward + dW, docs/performance.md).
     */
    static int winogradMinChannels = 32;

    /** Output pixels per image from which {@link #winograd} applies to convs of many channels; package-private for tests. */
    static int winogradWideMinPixels = 49;

    /** In- and out-channels from which {@link #winogradWideMinPixels} applies; package-private for tests. */
    static int winogradWideMinChannels = 256;

    /** Output pixels per image from which {@link #winograd} applies; package-private for tests. */
    static int winogradMinPixels = 196;

    /** Output pixels over the batch from which {@link #winograd} applies in training; package-private for tests. */
    static int winogradTrainingMinPixels = 392;

    /**
     * Whether backward takes dW through {@link Winograd#weightGrad}: a 3x3, stride-1, padding-1 conv with at least
     * {@link #winogradMinChannels} in-channels and {@link #winogradWeightGradMinPixels} output pixels over the batch (dW is a sum over the batch, so the batch
     * may decide). Measured per conv in one process (docs/performance.md): layer2-layer4's dW 1.3-2.2x faster than
     * from col or from the padded image, layer1's 1.0-1.1x, at batch 8 and 32, one and two threads.
     */
    static boolean winogradWeightGrad(int K, int stride, int pad, int N, int OHW, int C) {
        return Winograd.applies(K, stride, pad) && C >= winogradMinChannels && (long) N * OHW >= winogradWeightGradMinPixels;
    }

    /** Output pixels over the batch from which {@link #winogradWeightGrad} applies; package-private for tests. */
    static int winogradWeightGradMinPixels = 392;

    /**
     * Output pixels per image from which backward computes a col2im dX (strided convs, padded 1x1s) image by image with
     * Wᵀ packed once, instead of per group of images: measured per conv in one process, the strided convs of
     * ResNet-18's layer2/layer3 (784 and 196 pixels) 1.05-1.47x faster at batch 8 and 32, one and two threads, and
     * layer4's (49 pixels) 0.80-0.95x (docs/performance.md). Package-private for tests.
     */
    static int dxPerImageMinPixels = 196;

    /**
     * Output pixels per image from which a conv uses {@link ConvWeightGrad} for dW (and {@link ConvShifted} for the forward,
     * with {@link #shiftedForward}); package-private for tests.
     */
    static int shiftedMinPixels = 784;

    /**
     * Whether backward computes dX as a forward convolution of dY (stride 1, padding at most K - 1, not
     * pointwise): dX = conv(dY, W') with W'[c, o, kh, kw] = W[o, c, K-1-kh, K-1-kw] and padding K-1-p. That is
     * the same sum as col2im(Wᵀ · dY), but the GEMM's depth is O*K*K instead of O (576 instead of 64 at
     * ResNet's layer1, so each C tile is loaded and stored once per 576 FMA steps instead of per 64), and no
     * [C*K*K, OH*OW] dCol matrix is written to memory and read back by col2im.
     */
    boolean inputGradAsConv() {
        return dxByConvolution && stride == 1 && !isPointwise() && padding <= kernel - 1;
    }

    /** Whether stride-1 convs compute dX as a convolution of dY (default) or as col2im(Wᵀ · dY). */
    private boolean dxByConvolution = true;

    /** Whether large-map convs take dW from the padded (phase) image ({@link ConvWeightGrad}, default) or from col. */
    private boolean dwFromPaddedImage = true;

    /** Whether {@link #convolve} may take {@link Winograd} where {@link #winograd} applies (default). */
    private boolean winogradAllowed = true;

    /** Allows (default) or forbids Winograd for this conv's forward and dX; benchmarks and tests compare both. */
    public void setWinograd(boolean allowed) { winogradAllowed = allowed; }

    /** Chooses dW's kernel for convs on large maps: {@link ConvWeightGrad} (true) or im2col + GEMM. */
    public void setWeightGradFromPaddedImage(boolean fromPaddedImage) { dwFromPaddedImage = fromPaddedImage; }

    /**
     * Chooses how a stride-1 conv's backward computes dX: {@code true} (the default) as a convolution of dY,
     * {@code false} as col2im(Wᵀ · dY), the textbook form, kept for benchmarks (bench ConvBackwardAB) and tests.
     */
    public void setInputGradByConvolution(boolean byConvolution) { dxByConvolution = byConvolution; }

    /** Whether backward computes dW as dWᵀ = col · dYᵀ (see there): C*K*K >= O and N*OH*OW >= C*K*K*O. */
    static boolean transposedWeightGrad(int N, int OHW, int CKK, int O) {
        return CKK >= O && (long) N * OHW >= (long) CKK * O;
    }

    /**
     * W'[C, O, K, K] = W[O, C, K, K] with in/out channels swapped and each kernel rotated by 180 degrees, into
     * f[0, O*C*K*K) (f may be longer); returns f.
     */
    static float[] flippedTransposed(float[] w, int O, int C, int K, float[] f) {
        int KK = K * K;
        // Split over the threads: run serially, layer4's 2.4M floats kept the worker waiting.
        Elementwise.splitItems(O, (long) O * C * KK, (o0, o1) -> {
            for (int o = o0; o < o1; o++) {
                for (int c = 0; c < C; c++) {
                    int src = (o * C + c) * KK, dst = (c * O + o) * KK;
                    for (int k = 0; k < KK; k++) f[dst + KK - 1 - k] = w[src + k];
                }
            }
        });
        return f;
    }

    /** dY -> dX (null when {@link #needsInputGrad()} is off), adding dW and db. */
    @Override
    public Tensor backward(Tensor dOut) {
        boolean rebuilt = input == null && inputRecompute != null;     // x is then made for this call only
        Tensor x = rebuilt ? inputRecompute.get() : Checks.cached(input, "Conv2d");
        input = null;       // released as soon as backward starts (see Layer: one forward, one backward)
        inputRecompute = null;
        int N = x.shape[0], C = inChannels, H = x.shape[2], W = x.shape[3];
        int OH = outSize(H), OW = outSize(W), O = outChannels, CKK = C * kernel * kernel, OHW = OH * OW;
        int CHW = C * H * W;
        dOut.requireShape("Conv2d backward dOut", N, O, OH, OW);
        // a dX computed as a convolution overwrites every element; col2im adds into it
        Tensor dx = !needsInputGrad ? null : inputGradAsConv() ? Recycler.take(x.shape) : Recycler.takeZeroed(x.shape);
        int G = groupSize(N, OHW);
        boolean direct = G == 1 && isPointwise();     // x[n] is its own col matrix, dx[n] its own dCol
        // A 3x3/1 conv takes dW through Winograd where it pays; other convs on a large map from the padded (phase)
        // image directly (ConvWeightGrad); the rest from col.
        boolean dwWinograd = !weight.frozen && winogradAllowed && winogradWeightGrad(kernel, stride, padding, N, OHW, C);
        if (dwWinograd) Winograd.weightGrad(x.data, dOut.data, N, C, H, W, O, weight.grad.data);
        boolean dwShifted = !weight.frozen && !dwWinograd && dwFromPaddedImage
                && shiftedWeightGrad(kernel, stride, padding, OHW, O, CKK);
        if (dwShifted) ConvWeightGrad.accumulate(x.data, dOut.data, N, C, H, W, O, kernel, stride, padding, weight.grad.data, 0);
        boolean needDW = !weight.frozen && !dwShifted && !dwWinograd;
        // dW = dY · colᵀ runs as its transpose dWᵀ[CKK, O] += col · dYᵀ when that pays: the GEMM then packs col's
        // rows as they lie and transposes only dY, the smaller operand (C*K*K >= O), instead of packing colᵀ one
        // scalar at a time; but dWᵀ must be cleared and added back, a cost of the weight's size, so the batch's
        // columns must outnumber the weight's elements. That picks ResNet-50's wide 1x1 reductions (256 -> 64 at
        // 56x56: 26.2 -> 21.9 ms) and the stem on maps too small for ConvWeightGrad (on 224x224 images it goes there:
        // 75.3 -> 62.3 ms at batch 8 this way, 58.0 -> 44.3 ms from col there), not layer3/layer4 or the strided 3x3
        // convs, which measured up to 1.3x slower this way at batch 8 (docs/performance.md).
        float[] dwT = needDW && transposedWeightGrad(N, OHW, CKK, O) ? Workspace.get(Workspace.DWT, CKK * O) : null;
        if (dwT != null) Arrays.fill(dwT, 0, CKK * O, 0f);
        boolean asConv = dx != null && inputGradAsConv();
        boolean dxPerImage = dx != null && !asConv && !direct && OHW >= dxPerImageMinPixels;
        boolean loop = needDW || (dx != null && !asConv && !dxPerImage);      // anything left for the per-group GEMMs
        int groups = (N + G - 1) / G, WS = O * CKK;
        // With several groups each one's dW goes to its own slot of `part`, and the slots are added in group
        // order below: whole groups can then run on different threads and dW is the same sum for any thread
        // count. A single group adds straight into dW (or dWᵀ), its GEMMs split over the threads.
        float[] part = needDW && groups > 1 ? Workspace.get(Workspace.PART, groups * WS) : null;
        float[] dwTarget = dwT != null ? dwT : weight.grad.data;
        if (loop) Parallel.forEachWhole(groups, (lo, hi) -> {
            float[] col = direct || !needDW ? null : Workspace.get(Workspace.COL, CKK * G * OHW);
            float[] dCol = direct || dx == null || asConv || dxPerImage ? null : Workspace.get(Workspace.DCOL, CKK * G * OHW);
            // With G > 1 the GEMMs need dY of the group as one matrix [O, G*OHW]: gathered here.
            float[] dyG = G == 1 ? null : Workspace.get(Workspace.OUT, O * G * OHW);
            for (int gi = lo; gi < hi; gi++) {
                int n0 = gi * G, g = Math.min(G, N - n0), cols = g * OHW;
                float[] dy = dOut.data;
                int dyOff = n0 * O * OHW;
                if (dyG != null) {
                    for (int i = 0; i < g; i++) {
                        for (int o = 0; o < O; o++) System.arraycopy(dOut.data, ((n0 + i) * O + o) * OHW, dyG, o * cols + i * OHW, OHW);
                    }
                    dy = dyG;
                    dyOff = 0;
                }
                if (needDW) {
                    float[] b = x.data;
                    int bOff = n0 * CHW;
                    if (col != null) {
                        Im2col.im2colImages(x.data, n0 * CHW, g, C, H, W, kernel, kernel, stride, padding, col, cols);
                        b = col;
                        bOff = 0;
                    }
                    float[] t = part != null ? part : dwTarget;
                    int tOff = part != null ? gi * WS : 0;
                    // dW[O, CKK] (+)= dY[O, cols] · col[CKK, cols]ᵀ, or dWᵀ[CKK, O] (+)= col[CKK, cols] · dY[O, cols]ᵀ
                    if (dwT != null) Gemm.sgemm(false, true, CKK, O, cols, b, bOff, cols, dy, dyOff, cols, t, tOff, O, part == null);
                    else Gemm.sgemm(false, true, O, CKK, cols, dy, dyOff, cols, b, bOff, cols, t, tOff, CKK, part == null);
                }
                // dCol[CKK, cols] = W[O, CKK]ᵀ · dY[O, cols]; a direct pointwise conv writes it straight into dX[n].
                if (dx == null || asConv || dxPerImage) continue;
                if (direct) {
                    Gemm.sgemm(true, false, CKK, OHW, O, weight.value.data, 0, CKK, dy, dyOff, OHW,
                            dx.data, n0 * CHW, OHW, false);
                } else {
                    Gemm.sgemm(true, false, CKK, cols, O, weight.value.data, 0, CKK, dy, dyOff, cols, dCol, 0, cols, false);
                    Im2col.col2imImages(dCol, g, C, H, W, kernel, kernel, stride, padding, dx.data, n0 * CHW, cols);
                }
            }
        });
        // dW (or dWᵀ) += the groups' slots, in group order for every element (the threads split the elements)
        if (part != null) {
            Elementwise.split(WS, (lo, hi) -> {
                for (int gi = 0; gi < groups; gi++) Elementwise.addTo(part, gi * WS + lo, dwTarget, lo, hi - lo);
            });
        }
        if (dwT != null) ConvWeightGrad.addTransposed(dwT, 0, O, CKK, O, weight.grad.data, 0, 1);     // dW += (dWᵀ)ᵀ
        // dX[n] = col2im(Wᵀ · dY[n]) image by image, Wᵀ packed once: a group's dCol [C*K*K, G*OH*OW] (7.2 MB for
        // layer3's 3x3/2 at G = 8) left L2 before col2im read it back; one image's (0.9 MB) mostly does not.
        if (dxPerImage) {
            GemmBlocked.PackedA wt = GemmBlocked.DEFAULT.pack(true, CKK, O, weight.value.data, 0, CKK,
                    Workspace.get(Workspace.PACKED_WT, GemmBlocked.packedSize(CKK, O)));
            Parallel.forEachWhole(N, (lo, hi) -> {
                float[] dCol = Workspace.get(Workspace.DCOL, CKK * OHW);
                for (int n = lo; n < hi; n++) {
                    GemmBlocked.DEFAULT.sgemm(wt, OHW, GemmBlocked.matrix(false, dOut.data, n * O * OHW, OHW), dCol, 0, OHW, false);
                    Im2col.col2im(dCol, 0, C, H, W, kernel, kernel, stride, padding, dx.data, n * CHW, OHW);
                }
            });
        }
        // dX[N, C, H, W] = conv(dY, W') over the whole batch, through the forward's kernels (inputGradAsConv).
        // W' in this thread's workspace, not a new array per conv and step (34 MB per resnet18 b32 step)
        if (asConv) convolve(flippedTransposed(weight.value.data, O, C, kernel, Workspace.get(Workspace.FLIPPED_W, O * CKK)),
                C, dOut, kernel, 1, kernel - 1 - padding, dx, winogradAllowed, true);
        if (bias != null && !bias.frozen) {
            for (int o = 0; o < O; o++) {
                double s = 0;
                for (int n = 0; n < N; n++) {
                    int p = (n * O + o) * OHW;
                    for (int i = 0; i < OHW; i++) s += dOut.data[p + i];
                }
                bias.grad.data[o] += (float) s;
            }
        }
        if (rebuilt) Recycler.give(x);
        return dx;
    }

    @Override
    public void collect(String prefix, StateDict sd) {
        sd.param(prefix + "weight", weight);
        if (bias != null) sd.param(prefix + "bias", bias);
    }

    @Override
    public String toString() {
        return "Conv2d(" + inChannels + ", " + outChannels + ", kernel_size=" + kernel + ", stride=" + stride
                + ", padding=" + padding + ", bias=" + (bias != null) + ")";
    }
}
