package minifig.bench;

import java.util.Random;
import minifig.BadInputException;

/**
 * A benchmark GEMM problem parsed from a JMH @Param such as "1024x1024x1024" (M x N x K), with op(A)/op(B)
 * stored as "NN", "NT" (B stored [N,K], conv's dW = dOut·colᵀ) or "TN" (A stored [K,M], conv's dCol = Wᵀ·dOut).
 * Inputs are filled from a fixed seed.
 */
final class GemmShape {
    final int M, N, K;
    final boolean transA, transB;
    final float[] A, B, C;
    final int lda, ldb;

    GemmShape(String shape, String op) {
        int[] d = dims(shape);
        M = d[0];
        N = d[1];
        K = d[2];
        transA = op.charAt(0) == 'T';
        transB = op.charAt(1) == 'T';
        lda = transA ? M : K;
        ldb = transB ? K : N;
        Random r = new Random(1234);
        A = fill(r, M * K);
        B = fill(r, K * N);
        C = new float[M * N];
    }

    /** {M, N, K} of "MxNxK", each at least 1; a one-line error naming the shape otherwise. */
    static int[] dims(String shape) {
        String[] p = shape.split("x", -1);
        int[] d = new int[p.length];
        try {
            for (int i = 0; i < p.length; i++) d[i] = Integer.parseInt(p[i]);
        } catch (NumberFormatException e) {
            d = new int[0];
        }
        if (d.length != 3 || d[0] < 1 || d[1] < 1 || d[2] < 1 || (long) Math.max(d[0], d[1]) * d[2] > Integer.MAX_VALUE - 8
                || (long) d[0] * d[1] > Integer.MAX_VALUE - 8) {
            throw new BadInputException("shape: expected MxNxK, three whole numbers >= 1 (e.g. 1024x1024x1024) whose "
                    + "matrices fit a Java array, got '" + shape + "'");
        }
        return d;
    }

    private static float[] fill(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = r.nextFloat() * 2 - 1;
        return x;
    }

    double flops() {
        return 2.0 * M * N * K;
    }
}
