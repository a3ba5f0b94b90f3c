package minifig.kernels;

/**
 * The reference im2col / col2im (layout documented on {@link Im2col}): plain loops, one element at a time,
 * the specification every faster version is tested against.
 */
public final class Im2colNaive {
    private Im2colNaive() {}

    /**
     * x: one image [C,H,W] at xOff  ->  col: [C*KH*KW, OH*OW] at colOff (overwritten).
     */
    public static void im2col(float[] x, int xOff, int C, int H, int W, int KH, int KW, int stride, int pad,
                              float[] col, int colOff) {
        im2col(x, xOff, C, H, W, KH, KW, stride, pad, col, colOff,
                Im2col.outSize(H, KH, stride, pad) * Im2col.outSize(W, KW, stride, pad));
    }

    /** As above with col rows ldCol apart (>= OH*OW): one image's block of a col matrix shared by several. */
    public static void im2col(float[] x, int xOff, int C, int H, int W, int KH, int KW, int stride, int pad,
                              float[] col, int colOff, int ldCol) {
        int OH = Im2col.outSize(H, KH, stride, pad), OW = Im2col.outSize(W, KW, stride, pad);
        for (int c = 0; c < C; c++) {
            for (int kh = 0; kh < KH; kh++) {
                for (int kw = 0; kw < KW; kw++) {
                    int p = colOff + ((c * KH + kh) * KW + kw) * ldCol;
                    for (int oh = 0; oh < OH; oh++) {
                        int ih = oh * stride - pad + kh;
                        for (int ow = 0; ow < OW; ow++) {
                            int iw = ow * stride - pad + kw;
                            col[p++] = (ih >= 0 && ih < H && iw >= 0 && iw < W)
                                    ? x[xOff + (c * H + ih) * W + iw] : 0f;
                        }
                    }
                }
            }
        }
    }

    /**
     * The adjoint of im2col: dCol [C*KH*KW, OH*OW] at colOff  ->  dx [C,H,W] at dxOff, ADDED (+=), because
     * one input pixel feeds several output pixels and its gradient is the sum over them.
     */
    public static void col2im(float[] col, int colOff, int C, int H, int W, int KH, int KW, int stride, int pad,
                              float[] dx, int dxOff) {
        col2im(col, colOff, C, H, W, KH, KW, stride, pad, dx, dxOff,
                Im2col.outSize(H, KH, stride, pad) * Im2col.outSize(W, KW, stride, pad));
    }

    /** As above with dCol rows ldCol apart (>= OH*OW). */
    public static void col2im(float[] col, int colOff, int C, int H, int W, int KH, int KW, int stride, int pad,
                              float[] dx, int dxOff, int ldCol) {
        int OH = Im2col.outSize(H, KH, stride, pad), OW = Im2col.outSize(W, KW, stride, pad);
        for (int c = 0; c < C; c++) {
            for (int kh = 0; kh < KH; kh++) {
                for (int kw = 0; kw < KW; kw++) {
                    int p = colOff + ((c * KH + kh) * KW + kw) * ldCol;
                    for (int oh = 0; oh < OH; oh++) {
                        int ih = oh * stride - pad + kh;
                        for (int ow = 0; ow < OW; ow++, p++) {
                            int iw = ow * stride - pad + kw;
                            if (ih >= 0 && ih < H && iw >= 0 && iw < W) dx[dxOff + (c * H + ih) * W + iw] += col[p];
                        }
                    }
                }
            }
        }
    }
}
