// The worked example of docs/im2col.md, computed by the real classes. Run from the repository root after a build:
//   ./minifig test -q -pl core -Dtest=TensorTest     (or any build that fills core/target/classes)
//   /usr/lib/jvm/temurin-25-jdk-amd64/bin/java --add-modules jdk.incubator.vector -cp core/target/classes docs/examples/Im2colExample.java
import java.util.Random;
import minifig.kernels.Gemm;
import minifig.kernels.Im2col;
import minifig.nn.Conv2d;
import minifig.nn.ConvReference;
import minifig.tensor.Param;
import minifig.tensor.Tensor;

public class Im2colExample {
    public static void main(String[] args) {
        int C = 1, H = 4, W = 4, K = 3, stride = 2, pad = 1;
        int OH = Im2col.outSize(H, K, stride, pad), OW = Im2col.outSize(W, K, stride, pad);
        float[] x = new float[H * W];
        for (int i = 0; i < x.length; i++) x[i] = i + 1;                 // 1..16
        float[] w = {1, 0, -1, 2, 0, -2, 1, 0, -1};                       // a Sobel kernel, OIHW [1,1,3,3]
        System.out.println("OH x OW = " + OH + " x " + OW);
        print("x [4x4]", x, H, W);

        float[] col = new float[C * K * K * OH * OW];
        Im2col.im2col(x, 0, C, H, W, K, K, stride, pad, col, 0);
        print("col [C*K*K x OH*OW] = [9 x 4]", col, C * K * K, OH * OW);

        float[] y = new float[OH * OW];
        Gemm.sgemm(1, OH * OW, C * K * K, w, col, y);                    // y[1, 4] = w[1, 9] . col[9, 4]
        print("y = w . col [1 x 4] (as 2x2)", y, OH, OW);

        Tensor ref = ConvReference.forward(new Tensor(x, 1, 1, H, W), new Tensor(w, 1, 1, K, K), null, stride, pad);
        print("ConvReference (7 loops)", ref.data, OH, OW);

        // backward: dY = [[1, 2], [3, 4]] -> dCol = wT . dY -> col2im -> dX
        float[] dy = {1, 2, 3, 4};
        float[] dCol = new float[C * K * K * OH * OW];
        Gemm.sgemm(true, false, C * K * K, OH * OW, 1, w, 0, C * K * K, dy, 0, OH * OW, dCol, 0, OH * OW, false);
        print("dCol = wT . dY [9 x 4]", dCol, C * K * K, OH * OW);
        float[] dx = new float[H * W];
        Im2col.col2im(dCol, 0, C, H, W, K, K, stride, pad, dx, 0);
        print("dX = col2im(dCol) [4x4]", dx, H, W);
        float[] dw = new float[K * K];
        Gemm.sgemm(false, true, 1, C * K * K, OH * OW, dy, 0, OH * OW, col, 0, OH * OW, dw, 0, C * K * K, false);
        print("dW = dY . colT [1 x 9] (as 3x3)", dw, K, K);

        Conv2d conv = new Conv2d(1, 1, K, stride, pad, new Param(new Tensor(w.clone(), 1, 1, K, K), true), null);
        Tensor yc = conv.forward(new Tensor(x.clone(), 1, 1, H, W), true);
        Tensor dxc = conv.backward(new Tensor(dy.clone(), 1, 1, OH, OW));
        print("Conv2d.forward", yc.data, OH, OW);
        print("Conv2d.backward dX", dxc.data, H, W);
        print("Conv2d weight.grad", conv.weight.grad.data, K, K);
    }

    static void print(String title, float[] a, int rows, int cols) {
        System.out.println(title);
        for (int r = 0; r < rows; r++) {
            StringBuilder sb = new StringBuilder("  ");
            for (int c = 0; c < cols; c++) sb.append(String.format("%5s", fmt(a[r * cols + c])));
            System.out.println(sb);
        }
    }

    static String fmt(float v) { return v == Math.rint(v) ? Integer.toString((int) v) : Float.toString(v); }
}
