package minifig.bench;

import java.util.Random;

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
        String[] p = shape.split("x");
        if (p.length != 3) throw new IllegalArgumentException("shape must be MxNxK, got " + shape);
        M = Integer.parseInt(p[0]);
        N = Integer.parseInt(p[1]);
        K = Integer.parseInt(p[2]);
        transA = op.charAt(0) == 'T';
        transB = op.charAt(1) == 'T';
        lda = transA ? M : K;
        ldb = transB ? K : N;
        Random r = new Random(1234);
        A = fill(r, M * K);
        B = fill(r, K * N);
        C = new float[M * N];
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
