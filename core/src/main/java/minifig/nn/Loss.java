package minifig.nn;

import minifig.tensor.Tensor;

/**
 * A classification loss over a batch: forward(input [N, classes], targets) returns the mean loss and caches
 * what backward needs; backward() returns dL/dinput for that last forward. Not a Layer, since it takes targets.
 */
public interface Loss {

    /** The mean loss over the batch; targets[n] is the class index of sample n, in [0, classes). */
    float forward(Tensor input, int[] targets);

    /** dL/dinput for the last forward, shape [N, classes]. */
    Tensor backward();

    /** Checks a [N, classes] input against its targets; messages name both. */
    static void checkTargets(String loss, Tensor input, int[] targets) {
        input.requireRank(loss + " input [N, classes]", 2);
        int N = input.shape[0], K = input.shape[1];
        if (targets == null || targets.length != N) {
            throw new IllegalArgumentException(loss + ": expected " + N + " targets, got "
                    + (targets == null ? "null" : targets.length));
        }
        if (N == 0) throw new IllegalArgumentException(loss + ": empty batch");
        for (int n = 0; n < N; n++) {
            if (targets[n] < 0 || targets[n] >= K) {
                throw new IllegalArgumentException(loss + ": target " + targets[n] + " of sample " + n
                        + " is outside [0, " + K + ")");
            }
        }
    }
}
