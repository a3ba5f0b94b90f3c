package minifig.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import minifig.nn.NLLLoss;
import minifig.optim.SGD;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Behaviour: with a fixed seed the custom net learns a small synthetic image task generated here, reaching
 * more than 90% training accuracy in a few epochs. It exercises forward, backward (shared conv2 included),
 * NLLLoss and SGD together; a sign error or a lost gradient anywhere keeps it at chance (33%).
 */
class CustomNetTrainingTest {
    static final int SIZE = 8, CLASSES = 3, PER_CLASS = 12;

    /** Class 0: a horizontal bar, 1: a vertical bar, 2: a diagonal; random position, contrast and noise. */
    static Tensor images(Random rng, int[] labels) {
        int n = labels.length;
        Tensor x = new Tensor(n, 1, SIZE, SIZE);
        for (int i = 0; i < n; i++) {
            int label = i % CLASSES;
            labels[i] = label;
            float contrast = 0.8f + 0.4f * rng.nextFloat();
            int at = 1 + rng.nextInt(SIZE - 2), from = rng.nextInt(3), len = SIZE - 3;
            for (int k = 0; k < len; k++) {
                int h, w;
                switch (label) {
                    case 0 -> { h = at; w = from + k; }
                    case 1 -> { h = from + k; w = at; }
                    default -> { h = from + k; w = Math.min(SIZE - 1, (at / 2) + k); }
                }
                x.set(contrast, i, 0, h, w);
            }
            for (int p = 0; p < SIZE * SIZE; p++) x.data[i * SIZE * SIZE + p] += (float) (0.1 * rng.nextGaussian()) - 0.2f;
        }
        return x;
    }

    @Test
    void learnsBarsVersusDiagonalsAboveNinetyPercent() {
        Random rng = new Random(2024);
        int[] labels = new int[CLASSES * PER_CLASS];
        Tensor x = images(rng, labels);
        // PyTorch's default init (U(+-1/sqrt(fanIn))) shrinks the signal ~1.7x per layer: through this
        // 9-layer stack the features reaching fc1 barely differ between images and SGD stays at chance for
        // dozens of epochs (measured: 33% after 20). He init keeps activations O(1) through the ReLUs.
        CustomNet net = new CustomNet(1, CLASSES, new Random(7)).heInit();
        SGD sgd = new SGD(net.params(), 0.02, 0.9, 5e-4, false);
        NLLLoss nll = new NLLLoss();
        int batch = 12, n = labels.length, imageSize = SIZE * SIZE;
        double accuracy = 0;
        int epoch;
        for (epoch = 0; epoch < 20 && accuracy <= 0.9; epoch++) {
            int[] order = shuffled(n, rng);
            for (int b = 0; b < n; b += batch) {
                Tensor xb = new Tensor(batch, 1, SIZE, SIZE);
                int[] yb = new int[batch];
                for (int j = 0; j < batch; j++) {
                    System.arraycopy(x.data, order[b + j] * imageSize, xb.data, j * imageSize, imageSize);
                    yb[j] = labels[order[b + j]];
                }
                net.zeroGrad();
                nll.forward(net.forward(xb, true), yb);
                net.backward(nll.backward());
                sgd.step();
            }
            accuracy = accuracy(net.forward(x, false), labels);
        }
        System.out.printf("custom net: %.0f%% training accuracy after %d epochs%n", 100 * accuracy, epoch);
        assertTrue(accuracy > 0.9, "training accuracy " + accuracy + " after " + epoch + " epochs");
    }

    static double accuracy(Tensor logProbs, int[] labels) {
        int k = logProbs.dim(1), correct = 0;
        for (int i = 0; i < labels.length; i++) {
            int best = 0;
            for (int c = 1; c < k; c++) if (logProbs.data[i * k + c] > logProbs.data[i * k + best]) best = c;
            if (best == labels[i]) correct++;
        }
        return (double) correct / labels.length;
    }

    static int[] shuffled(int n, Random rng) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1), t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }
}
