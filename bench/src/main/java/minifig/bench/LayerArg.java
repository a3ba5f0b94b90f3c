package minifig.bench;

import minifig.BadInputException;
import minifig.kernels.Im2col;

/**
 * A conv layer as ConvForwardAB and ConvBackwardAB take it on the command line: "G,C,H,K,stride,pad,O", G images of
 * C x H x H (side by side in one GEMM, or a batch of G), a K x K kernel and O output channels.
 */
record LayerArg(String text, int images, int C, int H, int K, int stride, int pad, int O) {
    static LayerArg parse(String text) {
        String[] f = text.split(",", -1);
        String expected = "expected G,C,H,K,stride,pad,O (seven whole numbers, e.g. 8,128,28,3,1,1,128), got '" + text + "'";
        if (f.length != 7) throw new BadInputException("layer: " + expected);
        int[] v = new int[7];
        for (int i = 0; i < 7; i++) {
            try {
                v[i] = Integer.parseInt(f[i].trim());
            } catch (NumberFormatException e) {
                throw new BadInputException("layer: " + expected);
            }
            if (v[i] < (i == 5 ? 0 : 1)) throw new BadInputException("layer '" + text + "': field " + "G,C,H,K,stride,pad,O".split(",")[i]
                    + (i == 5 ? " must be >= 0" : " must be >= 1") + ", got " + v[i]);
        }
        LayerArg l = new LayerArg(text, v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
        if (l.OH() < 1) throw new BadInputException("layer '" + text + "': a " + l.K + "x" + l.K + " kernel is larger than the padded "
                + l.H + "x" + l.H + " image");
        return l;
    }

    int OH() {
        return Im2col.outSize(H, K, stride, pad);
    }
}
