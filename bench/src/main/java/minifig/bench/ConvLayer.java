package minifig.bench;

import minifig.BadInputException;
import minifig.kernels.Im2col;

/**
 * A ResNet-18 conv layer from a benchmark @Param "name_C_H_O_K_stride_pad" (square input H = W), with the
 * GEMM sizes im2col gives it: out[O, P] = W[O, CKK] · col[CKK, P], P = OH*OW, CKK = C*K*K.
 */
record ConvLayer(int C, int H, int O, int K, int stride, int pad) {
    static ConvLayer parse(String layer) {
        String[] p = layer.split("_", -1);
        int[] v = new int[6];
        try {
            if (p.length != 7) throw new NumberFormatException();
            for (int i = 0; i < 6; i++) v[i] = Integer.parseInt(p[i + 1]);
        } catch (NumberFormatException e) {
            v[0] = 0;
        }
        ConvLayer l = new ConvLayer(v[0], v[1], v[2], v[3], v[4], v[5]);
        if (l.C < 1 || l.H < 1 || l.O < 1 || l.K < 1 || l.stride < 1 || l.pad < 0 || l.OH() < 1) {
            throw new BadInputException("layer: expected name_C_H_O_K_stride_pad (whole numbers, a K x K kernel that fits the "
                    + "padded H x H input, e.g. layer2_128_28_128_3_1_1), got '" + layer + "'");
        }
        return l;
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
