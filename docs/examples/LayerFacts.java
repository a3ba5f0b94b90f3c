// Small numbers quoted in docs/layers/*.md, computed by the real layers. Run from the repository root after a build:
//   /usr/lib/jvm/temurin-25-jdk-amd64/bin/java --add-modules jdk.incubator.vector -cp core/target/classes docs/examples/LayerFacts.java
import java.util.Arrays;
import minifig.nn.AvgPool2d;
import minifig.nn.BatchNorm2d;
import minifig.nn.LogSoftmax;
import minifig.nn.MaxPool2d;
import minifig.nn.NLLLoss;
import minifig.nn.SoftmaxCrossEntropy;
import minifig.optim.SGD;
import minifig.tensor.Param;
import minifig.tensor.Tensor;
import java.util.List;

public class LayerFacts {
    public static void main(String[] args) {
        // BatchNorm: 4 values of one channel, momentum 0.1
        BatchNorm2d bn = new BatchNorm2d(1);
        Tensor y = bn.forward(new Tensor(new float[] {1, 2, 3, 4}, 4, 1, 1, 1), true);
        System.out.println("bn y = " + Arrays.toString(y.data));
        System.out.println("bn running_mean = " + bn.runningMean.data[0] + ", running_var = " + bn.runningVar.data[0]
                + ", num_batches_tracked = " + bn.numBatchesTracked.data[0]);

        // log-softmax of extreme logits
        Tensor ls = new LogSoftmax().forward(new Tensor(new float[] {1000, 0, -1000}, 1, 3), false);
        System.out.println("log_softmax([1000, 0, -1000]) = " + Arrays.toString(ls.data));

        // softmax cross-entropy gradient = (p - y) / N
        SoftmaxCrossEntropy ce = new SoftmaxCrossEntropy();
        float l = ce.forward(new Tensor(new float[] {2, 1, 0, 0, 0, 0}, 2, 3), new int[] {0, 2});
        System.out.println("CE loss = " + l + ", p = " + Arrays.toString(ce.probabilities().data)
                + ", dL/dlogits = " + Arrays.toString(ce.backward().data));
        // the same through LogSoftmax + NLLLoss
        LogSoftmax lsm = new LogSoftmax();
        NLLLoss nll = new NLLLoss();
        float l2 = nll.forward(lsm.forward(new Tensor(new float[] {2, 1, 0, 0, 0, 0}, 2, 3), true), new int[] {0, 2});
        System.out.println("LogSoftmax+NLL loss = " + l2 + ", dL/dlogits = " + Arrays.toString(lsm.backward(nll.backward()).data));

        // average pooling counts the padding: ones(2x2), kernel 3, stride 1, padding 1
        Tensor ap = new AvgPool2d(3, 1, 1).forward(new Tensor(new float[] {1, 1, 1, 1}, 1, 1, 2, 2), false);
        System.out.println("avg_pool(ones 2x2, k3 s1 p1) = " + Arrays.toString(ap.data));

        // max pooling routes the gradient to the argmax (ties: the first in row-major order)
        MaxPool2d mp = new MaxPool2d(2);
        Tensor x = new Tensor(new float[] {1, 5, 2, 0, 3, 4, 7, 7, 0, 9, 1, 2, 8, 6, 3, 3}, 1, 1, 4, 4);
        Tensor my = mp.forward(x, true);
        Tensor mdx = mp.backward(new Tensor(new float[] {10, 20, 30, 40}, 1, 1, 2, 2));
        System.out.println("max_pool 2x2 y = " + Arrays.toString(my.data) + ", dx = " + Arrays.toString(mdx.data));

        // SGD: three steps of w = 1, constant gradient 1, lr 0.1, momentum 0.9, plain and Nesterov
        for (boolean nesterov : new boolean[] {false, true}) {
            Param p = new Param(new Tensor(new float[] {1f}, 1), true);
            SGD sgd = new SGD(List.of(p), 0.1, 0.9, 0.0, nesterov);
            StringBuilder sb = new StringBuilder();
            for (int t = 0; t < 3; t++) {
                p.grad.data[0] = 1f;
                sgd.step();
                sb.append(" w=").append(p.value.data[0]).append(" v=").append(sgd.velocity(p).data[0]).append(';');
            }
            System.out.println("SGD nesterov=" + nesterov + ":" + sb);
        }
    }
}
