package minifig.kernels;

/**
 * The reference max pooling forward (the plain window loop {@link MaxPool} is tested against): PyTorch's
 * nn.MaxPool2d semantics, padding reads as -infinity, ties go to the first maximum in row-major window order,
 * a NaN wins (the first one).
 */
public final class MaxPoolNaive {
    private MaxPoolNaive() {}

    /**
     * x: planes [P, H, W] -> y: [P, OH, OW]; arg (may be null) gets, per output, where its max lies in its window:
     * kh * K + kw, the window's top left corner (oh*stride - pad, ow*stride - pad) being (0, 0). K at most
     * {@link MaxPool#MAX_KERNEL_WITH_ARGMAX}.
     */
    public static void forward(float[] x, int planes, int H, int W, int K, int stride, int pad, float[] y, byte[] arg) {
        if (arg != null) MaxPool.checkArgmaxKernel("max pooling kernel_size with argmax", K);
        int OH = Im2col.outSize(H, K, stride, pad), OW = Im2col.outSize(W, K, stride, pad);
        int o = 0;
        for (int nc = 0; nc < planes; nc++) {
            int base = nc * H * W;
            for (int oh = 0; oh < OH; oh++) {
                int h0 = Math.max(oh * stride - pad, 0), h1 = Math.min(oh * stride - pad + K, H);
                for (int ow = 0; ow < OW; ow++, o++) {
                    int w0 = Math.max(ow * stride - pad, 0), w1 = Math.min(ow * stride - pad + K, W);
                    float best = Float.NEGATIVE_INFINITY;
                    int bestIdx = base + h0 * W + w0;
                    for (int h = h0; h < h1; h++) {
                        for (int w = w0; w < w1; w++) {
                            float v = x[base + h * W + w];
                            if (v > best || Float.isNaN(v)) {   // NaN propagates, as in PyTorch
                                best = v;
                                bestIdx = base + h * W + w;
                                if (Float.isNaN(v)) break;
                            }
                        }
                        if (Float.isNaN(best)) break;
                    }
                    y[o] = best;
                    if (arg != null) {
                        int h = (bestIdx - base) / W, w = (bestIdx - base) % W;
                        arg[o] = (byte) ((h - (oh * stride - pad)) * K + w - (ow * stride - pad));
                    }
                }
            }
        }
    }
}
