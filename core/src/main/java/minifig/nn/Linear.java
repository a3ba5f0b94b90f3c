package minifig.nn;

import java.util.Random;
import minifig.kernels.Gemm;
import minifig.tensor.Param;
import minifig.tensor.Tensor;

/**
 * Fully connected layer, PyTorch's nn.Linear: y[N, out] = x[N, in] · Wᵀ + b with W stored [out, in].
 * backward: dX = dY · W,  dW += dYᵀ · x,  db += column sums of dY.
 */
public final class Linear implements Layer {
    public final int inFeatures, outFeatures;
    /** [out, in]; decay = true. */
    public final Param weight;
    /** [out], or null; decay = false. */
    public final Param bias;

    /** The last training-mode input. */
    private Tensor input;

    /** PyTorch's default init: weight and bias U(-1/sqrt(in), 1/sqrt(in)) from {@code rng}, weight first. */
    public Linear(int in, int out, boolean bias, Random rng) {
        this(in, out, new Param(new Tensor(out, in).uniform(rng, 1.0 / Math.sqrt(in)), true),
                bias ? new Param(new Tensor(out).uniform(rng, 1.0 / Math.sqrt(in)), false) : null);
    }

    /** A Linear over existing parameters (weight sharing or loaded weights); {@code bias} may be null. */
    public Linear(int in, int out, Param weight, Param bias) {
        Checks.positive("Linear in_features", in);
        Checks.positive("Linear out_features", out);
        weight.value.requireShape("Linear weight", out, in);
        if (bias != null) bias.value.requireShape("Linear bias", out);
        this.inFeatures = in;
        this.outFeatures = out;
        this.weight = weight;
        this.bias = bias;
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        if (x.rank() != 2 || x.shape[1] != inFeatures) {
            throw new IllegalArgumentException("Linear input: expected shape [N, " + inFeatures + "], got "
                    + x.shapeString());
        }
        int N = x.shape[0];
        Tensor y = new Tensor(N, outFeatures);
        Gemm.sgemm(false, true, N, outFeatures, inFeatures, x.data, 0, inFeatures, weight.value.data, 0, inFeatures,
                y.data, 0, outFeatures, false);
        if (bias != null) {
            for (int n = 0; n < N; n++) {
                for (int o = 0; o < outFeatures; o++) y.data[n * outFeatures + o] += bias.value.data[o];
            }
        }
        if (training) input = x;
        return y;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        Tensor x = Checks.cached(input, "Linear");
        int N = x.shape[0];
        dOut.requireShape("Linear backward dOut", N, outFeatures);
        if (!weight.frozen) {
            // dW[out, in] += dY[N, out]ᵀ · x[N, in]
            Gemm.sgemm(true, false, outFeatures, inFeatures, N, dOut.data, 0, outFeatures, x.data, 0, inFeatures,
                    weight.grad.data, 0, inFeatures, true);
        }
        if (bias != null && !bias.frozen) {
            for (int o = 0; o < outFeatures; o++) {
                double s = 0;
                for (int n = 0; n < N; n++) s += dOut.data[n * outFeatures + o];
                bias.grad.data[o] += (float) s;
            }
        }
        Tensor dx = new Tensor(N, inFeatures);
        Gemm.sgemm(false, false, N, inFeatures, outFeatures, dOut.data, 0, outFeatures, weight.value.data, 0,
                inFeatures, dx.data, 0, inFeatures, false);
        return dx;
    }

    @Override
    public void collect(String prefix, StateDict sd) {
        sd.param(prefix + "weight", weight);
        if (bias != null) sd.param(prefix + "bias", bias);
    }

    @Override
    public String toString() {
        return "Linear(in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias != null) + ")";
    }
}
