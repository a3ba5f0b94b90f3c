package minifig.nn;

import java.util.Random;
import minifig.kernels.Gemm;
import minifig.kernels.Im2col;
import minifig.tensor.Param;
import minifig.tensor.Tensor;

/**
 * 2-D convolution as im2col + GEMM, PyTorch's nn.Conv2d (square kernel, groups = 1, dilation = 1).
 *
 * <pre>
 * forward, per image n:  col = im2col(x[n])              [C*K*K, OH*OW]
 *                        y[n] = W · col (+ b)             W viewed as [O, C*K*K]  (OIHW flat)
 * backward, per image n: dW  += dY[n] · colᵀ              (col recomputed from the cached input)
 *                        db  += row sums of dY[n]
 *                        dX[n] = col2im(Wᵀ · dY[n])
 * </pre>
 *
 * Only the input is cached, not the column matrices of the whole batch (a ResNet-18 batch would need GBs);
 * backward recomputes im2col per image into a reused per-thread buffer. A 1x1, stride-1, unpadded conv
 * needs no im2col at all: the image itself is the column matrix.
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

    /** The last training-mode input, for recomputing im2col in backward. */
    private Tensor input;

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

    /** Output spatial size for an input of size {@code in} (one axis). */
    public int outSize(int in) { return Im2col.outSize(in, kernel, stride, padding); }

    private boolean isPointwise() { return kernel == 1 && stride == 1 && padding == 0; }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Checks.nchw("Conv2d input", x, inChannels);
        int N = x.shape[0], C = inChannels, H = x.shape[2], W = x.shape[3];
        int OH = outSize(H), OW = outSize(W);
        if (OH <= 0 || OW <= 0) {
            throw new IllegalArgumentException("Conv2d input " + x.shapeString() + " is smaller than the "
                    + kernel + "x" + kernel + " kernel (padding " + padding + ")");
        }
        int O = outChannels, CKK = C * kernel * kernel, OHW = OH * OW;
        Tensor y = new Tensor(N, O, OH, OW);
        float[] col = isPointwise() ? null : Workspace.get(Workspace.COL, CKK * OHW);
        for (int n = 0; n < N; n++) {
            float[] b = x.data;
            int bOff = n * C * H * W;
            if (col != null) {
                Im2col.im2col(x.data, bOff, C, H, W, kernel, kernel, stride, padding, col, 0);
                b = col;
                bOff = 0;
            }
            int yOff = n * O * OHW;
            Gemm.sgemm(false, false, O, OHW, CKK, weight.value.data, 0, CKK, b, bOff, OHW, y.data, yOff, OHW, false);
            if (bias != null) {
                for (int o = 0; o < O; o++) {
                    float bo = bias.value.data[o];
                    int p = yOff + o * OHW;
                    for (int i = 0; i < OHW; i++) y.data[p + i] += bo;
                }
            }
        }
        if (training) input = x;
        return y;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        Tensor x = Checks.cached(input, "Conv2d");
        int N = x.shape[0], C = inChannels, H = x.shape[2], W = x.shape[3];
        int OH = outSize(H), OW = outSize(W), O = outChannels, CKK = C * kernel * kernel, OHW = OH * OW;
        dOut.requireShape("Conv2d backward dOut", N, O, OH, OW);
        Tensor dx = new Tensor(x.shape);
        boolean pointwise = isPointwise();
        boolean needDW = !weight.frozen;
        float[] col = pointwise || !needDW ? null : Workspace.get(Workspace.COL, CKK * OHW);
        float[] dCol = pointwise ? null : Workspace.get(Workspace.DCOL, CKK * OHW);
        for (int n = 0; n < N; n++) {
            int xOff = n * C * H * W, dyOff = n * O * OHW;
            if (needDW) {
                float[] b = x.data;
                int bOff = xOff;
                if (col != null) {
                    Im2col.im2col(x.data, xOff, C, H, W, kernel, kernel, stride, padding, col, 0);
                    b = col;
                    bOff = 0;
                }
                // dW[O, CKK] += dY[n][O, OHW] · col[CKK, OHW]ᵀ
                Gemm.sgemm(false, true, O, CKK, OHW, dOut.data, dyOff, OHW, b, bOff, OHW,
                        weight.grad.data, 0, CKK, true);
            }
            if (bias != null && !bias.frozen) {
                for (int o = 0; o < O; o++) {
                    double s = 0;
                    int p = dyOff + o * OHW;
                    for (int i = 0; i < OHW; i++) s += dOut.data[p + i];
                    bias.grad.data[o] += (float) s;
                }
            }
            // dCol[CKK, OHW] = W[O, CKK]ᵀ · dY[n]; a pointwise conv writes it straight into dX[n].
            if (pointwise) {
                Gemm.sgemm(true, false, CKK, OHW, O, weight.value.data, 0, CKK, dOut.data, dyOff, OHW,
                        dx.data, xOff, OHW, false);
            } else {
                Gemm.sgemm(true, false, CKK, OHW, O, weight.value.data, 0, CKK, dOut.data, dyOff, OHW,
                        dCol, 0, OHW, false);
                Im2col.col2im(dCol, 0, C, H, W, kernel, kernel, stride, padding, dx.data, xOff);
            }
        }
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
