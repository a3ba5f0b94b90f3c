package minifig.bench;

import minifig.kernels.Im2col;

/**
 * A ResNet-18 conv layer from a benchmark @Param "name_C_H_O_K_stride_pad" (square input H = W), with the
 * GEMM sizes im2col gives it: out[O, P] = W[O, CKK] · col[CKK, P], P = OH*OW, CKK = C*K*K.
 */
record ConvLayer(int C, int H, int O, int K, int stride, int pad) {
    static ConvLayer parse(String layer) {
        String[] p = layer.split("_");
        if (p.length != 7) throw new IllegalArgumentException("layer must be name_C_H_O_K_stride_pad, got " + layer);
        return new ConvLayer(Integer.parseInt(p[1]), Integer.parseInt(p[2]), Integer.parseInt(p[3]),
                Integer.parseInt(p[4]), Integer.parseInt(p[5]), Integer.parseInt(p[6]));
    }

    int OH() {
        return Im2col.outSize(H, K, stride, pad);
    }

    int P() {
        return OH() * OH();
    }

    int CKK() {
        return C * K * K;
    }
}
