package minifig.nn;

import minifig.kernels.Im2col;
import minifig.tensor.Tensor;

/**
 * The direct convolution: seven nested loops straight from the definition, accumulated in double.
 * Slow on purpose; it is the specification {@link Conv2d}'s im2col + GEMM path is tested against, and the
 * easiest place to read what a convolution computes.
 *
 * <pre>
 * y[n][o][oh][ow] = b[o] + sum_{c,kh,kw} w[o][c][kh][kw] * x[n][c][oh*stride - pad + kh][ow*stride - pad + kw]
 * </pre>
 * (positions outside the image read as 0).
 */
public final class ConvReference {
    private ConvReference() {}

    /** x [N, C, H, W], w [O, C, K, K], b [O] or null -> y [N, O, OH, OW]. */
    public static Tensor forward(Tensor x, Tensor w, Tensor b, int stride, int pad) {
        int N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
        int O = w.shape[0], K = w.shape[2];
        int OH = Im2col.outSize(H, K, stride, pad), OW = Im2col.outSize(W, K, stride, pad);
        Tensor y = new Tensor(N, O, OH, OW);
        for (int n = 0; n < N; n++)
            for (int o = 0; o < O; o++)
                for (int oh = 0; oh < OH; oh++)
                    for (int ow = 0; ow < OW; ow++) {
                        double s = b == null ? 0 : b.data[o];
                        for (int c = 0; c < C; c++)
                            for (int kh = 0; kh < K; kh++)
                                for (int kw = 0; kw < K; kw++) {
                                    int ih = oh * stride - pad + kh, iw = ow * stride - pad + kw;
                                    if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                    s += (double) w.data[((o * C + c) * K + kh) * K + kw] * x.data[x.idx(n, c, ih, iw)];
                                }
                        y.data[y.idx(n, o, oh, ow)] = (float) s;
                    }
        return y;
    }
}
