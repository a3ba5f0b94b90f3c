package minifig.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * What an eval-mode convolution does to its outputs right after writing them, while they are still in L1: the
 * conv's bias, the BatchNorm after it (running statistics), the residual add of a ResNet block and the ReLU.
 * Run as separate layers, each of those is a pass over the whole activation in memory and a fresh tensor for the
 * JVM to zero; those passes scale ~1.0x at two threads (DRAM-bound on the large maps): ~8% of a ResNet-18 batch-8
 * forward at two threads (bench LayerProfile --eval).
 *
 * <pre>
 *   v = conv output (+ bias[o])                      Conv2d's bias (its forward uses this step alone)
 *   v = gamma[o] * ((v - mean[o]) * scale[o]) + beta[o]      BatchNorm2d eval, {@link Elementwise#normalize}
 *   v = v + residual[i]                              Residual, {@link Elementwise#add}
 *   v = v > 0 ? v : 0                                ReLU, {@link Elementwise#relu}
 * </pre>
 *
 * Each step is the same float operations in the same order as the separate layer (no fused multiply-add), so a
 * fused network gives the same bits as the unfused one (Conv2dEvalFusionTest: per path and whole networks). Any step
 * may be absent.
 */
public final class Epilogue {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();

    private final float[] bias, mean, scale, gamma, beta, residual;
    private final boolean relu;

    /**
     * Per output channel: {@code bias} (or null), and BatchNorm's {@code mean}, {@code scale} = 1/sqrt(var + eps),
     * {@code gamma}, {@code beta} (all four, or all null); {@code residual} (or null) laid out as the conv's output
     * (read at the index being written); {@code relu} last.
     */
    public Epilogue(float[] bias, float[] mean, float[] scale, float[] gamma, float[] beta, float[] residual, boolean relu) {
        boolean bn = mean != null;
        if (bn != (scale != null) || bn != (gamma != null) || bn != (beta != null)) {
            throw new IllegalArgumentException("Epilogue: BatchNorm needs mean, scale, gamma and beta together");
        }
        this.bias = bias;
        this.mean = mean;
        this.scale = scale;
        this.gamma = gamma;
        this.beta = beta;
        this.residual = residual;
        this.relu = relu;
    }

    /** y[off, off+n) of output channel {@code o}, in place (residual read at the same indices). */
    public void apply(float[] y, int off, int n, int o) {
        boolean hasBias = bias != null, bn = mean != null, res = residual != null;
        float bo = hasBias ? bias[o] : 0f;
        float mo = bn ? mean[o] : 0f, so = bn ? scale[o] : 0f, go = bn ? gamma[o] : 0f, b = bn ? beta[o] : 0f;
        FloatVector zero = FloatVector.zero(S);
        int i = off, end = off + n;
        for (int bound = off + S.loopBound(n); i < bound; i += V) {
            FloatVector v = FloatVector.fromArray(S, y, i);
            if (hasBias) v = v.add(bo);
            if (bn) v = v.sub(mo).mul(so).mul(go).add(b);
            if (res) v = v.add(FloatVector.fromArray(S, residual, i));
            if (relu) v = zero.blend(v, v.compare(VectorOperators.GT, 0f));
            v.intoArray(y, i);
        }
        for (; i < end; i++) {
            float v = y[i];
            if (hasBias) v += bo;
            if (bn) v = go * ((v - mo) * so) + b;
            if (res) v += residual[i];
            if (relu) v = v > 0f ? v : 0f;
            y[i] = v;
        }
    }
}
