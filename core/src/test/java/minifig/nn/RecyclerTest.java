package minifig.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import minifig.kernels.Parallel;
import minifig.models.Models;
import minifig.optim.SGD;
import minifig.tensor.Param;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The recycled arrays of a training step ({@link Recycler}): whole training steps give the same results with and
 * without them, with every array filled with NaN as it is given back (so a layer that reads an array after giving it,
 * or leaves part of a taken one unwritten, shows as NaN or a different number); and the pool's own rules.
 */
class RecyclerTest {

    private static final boolean DEFAULT = Recycler.enabled;

    @BeforeEach
    void on() {
        Recycler.enabled = true;    // whatever -Dminifig.recycle says
        Recycler.clear();
    }

    @AfterEach
    void restore() {
        Recycler.enabled = DEFAULT;
        Recycler.poison = false;
        Recycler.maxBytes = 256L << 20;
        Residual.giveBranchOutputs = true;
        Recycler.clear();
    }

    /** Three SGD steps (forward, backward, update) of {@code model}: each step's output, then the final parameters, gradients and buffers. */
    private static List<float[]> threeSteps(String model, int size, boolean recycle) {
        Recycler.enabled = recycle;
        Recycler.poison = recycle;
        Recycler.clear();
        Module m = Models.create(model, 5, 3, 3L);
        SGD sgd = new SGD(m.params(), 0.05, 0.9, 1e-4, false);
        Random r = new Random(4);
        List<float[]> out = new ArrayList<>();
        for (int step = 0; step < 3; step++) {
            m.zeroGrad();
            Tensor y = m.forward(minifig.nn.GradCheck.randn(r, 2, 3, size, size), true);
            out.add(y.data.clone());
            m.backward(minifig.nn.GradCheck.randn(r, y.shape));
            sgd.step();
        }
        for (Param p : m.params()) {
            out.add(p.value.data);
            out.add(p.grad.data);
        }
        for (Tensor b : m.stateDict().buffers().values()) out.add(b.data);
        return out;
    }

    /**
     * ResNet-18 (basic blocks), ResNet-50 (bottlenecks) and the custom net: the same outputs, gradients, parameters
     * and running statistics over three steps, recycled with poison or not (within 1e-4 of each array's largest value,
     * the JIT caveat of {@code ResidualSequentialTest}; a NaN or a stale array is far outside it).
     */
    @Test
    void trainingStepsGiveTheSameResultsWithRecycledPoisonedArrays() {
        for (String[] c : new String[][] {{"resnet18", "48"}, {"resnet50", "40"}, {"custom", "32"}}) {
            int size = Integer.parseInt(c[1]);
            threeSteps(c[0], size, false);                              // warms the JIT up
            List<float[]> want = threeSteps(c[0], size, false), got = threeSteps(c[0], size, true);
            assertEquals(want.size(), got.size());
            for (int i = 0; i < want.size(); i++) GradCheck.assertSameUpToLaneOrder(want.get(i), got.get(i), c[0] + " array " + i);
        }
    }

    /**
     * A residual block's branch outputs go back to the pool after its add (ResNet-18: bn2's, and the downsample's):
     * the step then takes fewer new arrays, and its results with poisoned arrays equal the pool-off results (a given
     * array that something still read would be NaN). Both checked with the feature on and off.
     */
    @Test
    void branchOutputsGoBackAfterTheAdd() {
        int threads = Parallel.threads();
        Parallel.setThreads(1);
        try {
            threeSteps("resnet18", 48, false);                          // warms the JIT up
            List<float[]> want = threeSteps("resnet18", 48, false);
            long[] fresh = new long[2];
            for (int on = 0; on < 2; on++) {
                Residual.giveBranchOutputs = on == 1;
                List<float[]> got = threeSteps("resnet18", 48, true);
                for (int i = 0; i < want.size(); i++) GradCheck.assertSameUpToLaneOrder(want.get(i), got.get(i), "on=" + on + " array " + i);
                Module m = Models.create("resnet18", 5, 3, 3L);
                Random r = new Random(4);
                Tensor x = minifig.nn.GradCheck.randn(r, 4, 3, 64, 64), dy = minifig.nn.GradCheck.randn(r, 4, 5);
                for (int step = 0; step < 3; step++) {
                    Recycler.takenBytes();
                    m.zeroGrad();
                    m.forward(x, true);
                    m.backward(dy);
                    fresh[on] = Recycler.takenBytes()[1];                  // the last step's new arrays
                }
            }
            // at least one max-pool output's worth (4 x 64 x 16 x 16 floats) fewer new bytes (measured: 8.03 -> 7.31 MB)
            assertTrue(fresh[1] + 4L * 4 * 64 * 16 * 16 <= fresh[0], "new bytes per step: " + fresh[0] + " off, " + fresh[1] + " on");
        } finally {
            Residual.giveBranchOutputs = true;
            Parallel.setThreads(threads);
        }
    }

    /**
     * A residual add + ReLU whose main branch is an Identity: dMain is the fused ReLU's gradient itself, so the sum goes to
     * a new dx, and that gradient must still go back to the pool (it was left to the collector: one activation-sized
     * array per call, bench LayerProfile's residual rows). With the caller giving dx back too, the second and later calls
     * take nothing new, and poisoned arrays change no result.
     */
    @Test
    void anIdentityBranchsAddGivesTheReluGradientBack() {
        Recycler.poison = true;
        Random r = new Random(9);
        Tensor x = GradCheck.randn(r, 2, 3, 5, 5), dy = GradCheck.randn(r, 2, 3, 5, 5);
        float[] want = null;
        Sequential block = new Sequential(new Residual(new Identity(), null), new ReLU());
        for (int call = 0; call < 3; call++) {
            Recycler.takenBytes();
            Tensor y = block.forward(x, true);
            Tensor dx = block.backward(dy);
            long fresh = Recycler.takenBytes()[1];
            if (call == 0) want = dx.data.clone();
            else {
                assertArrayEquals(want, dx.data, 0f, "call " + call);
                assertEquals(0, fresh, "new bytes in call " + call);
            }
            // what a caller that holds neither does: both back to the pool
            Recycler.give(y);
            Recycler.give(dx);
        }
        // dx = 2 * relu'(x + x) * dy, elementwise
        for (int i = 0; i < want.length; i++) assertEquals(x.data[i] > 0 ? 2 * dy.data[i] : 0f, want[i], 1e-6f, "element " + i);
    }

    /**
     * From its second step on, a ResNet-18 training step finds a good part of the arrays it takes in the pool (41% at
     * this size: each stage starts with an empty pool), and allocates less on its thread than without it; with the
     * pool off every take is a new array.
     */
    @Test
    void aResNetStepTakesAGoodPartOfItsArraysFromThePool() {
        int threads = Parallel.threads();
        Parallel.setThreads(1);         // every allocation on this thread
        try {
            long[] allocated = new long[2];
            for (int run = 0; run < 2; run++) {
                Recycler.enabled = run == 1;
                Recycler.clear();
                Module m = Models.create("resnet18", 5, 3, 3L);
                Random r = new Random(4);
                Tensor x = minifig.nn.GradCheck.randn(r, 4, 3, 96, 96), dy = minifig.nn.GradCheck.randn(r, 4, 5);
                com.sun.management.ThreadMXBean tb = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
                long[] taken = null;
                for (int step = 0; step < 3; step++) {
                    Recycler.takenBytes();
                    long b0 = tb.getCurrentThreadAllocatedBytes();
                    m.zeroGrad();
                    m.forward(x, true);
                    m.backward(dy);
                    allocated[run] = tb.getCurrentThreadAllocatedBytes() - b0;      // the last step's
                    taken = Recycler.takenBytes();
                }
                long total = taken[0] + taken[1];
                assertTrue(total > 4L * 4 * 64 * 48 * 48, "a step takes at least the stem conv's output: " + total);
                if (run == 0) assertEquals(0, taken[0], "the pool is off");
                else assertTrue(taken[0] > 0.3 * total, "from the pool: " + taken[0] + " of " + total + " bytes");
            }
            assertTrue(allocated[1] < allocated[0], "allocated per step: " + allocated[0] + " without the pool, " + allocated[1] + " with");
        } finally {
            Parallel.setThreads(threads);
        }
    }

    @Test
    void aGivenArrayIsTakenAgainForAnyShapeOfItsSize() {
        Tensor t = new Tensor(2, 3, 4, 5);
        Recycler.give(t);
        assertEquals(4L * 120, Recycler.pooledBytes());
        Tensor other = Recycler.take(2, 3, 4, 4);           // another size: a new array
        assertNotSame(t.data, other.data);
        Tensor again = Recycler.take(4, 30);
        assertSame(t.data, again.data);
        assertEquals(0, Recycler.pooledBytes());
        assertNotSame(t.data, Recycler.take(2, 3, 4, 5).data, "taken once only");
    }

    @Test
    void anArrayGivenTwiceIsAnErrorUnderPoison() {
        Recycler.poison = true;
        Tensor t = new Tensor(6);
        Recycler.give(t);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> Recycler.give(t.reshape(2, 3)));
    }

    @Test
    void takeZeroedClearsAStaleArray() {
        Tensor t = new Tensor(3, 7).fill(5f);
        Recycler.give(t);
        Tensor z = Recycler.takeZeroed(21);
        assertSame(t.data, z.data);
        for (float v : z.data) assertEquals(0f, v);
    }

    @Test
    void thePoolHoldsAtMostItsLimitAndNothingWhenOff() {
        Recycler.maxBytes = 4L * 100;
        Recycler.give(new Tensor(60));
        Recycler.give(new Tensor(60));          // would pass 100 floats: left to the collector
        assertEquals(4L * 60, Recycler.pooledBytes());
        Recycler.clear();
        Recycler.enabled = false;
        Tensor t = new Tensor(10);
        Recycler.give(t);
        assertEquals(0, Recycler.pooledBytes());
        assertNotSame(t.data, Recycler.take(10).data);
    }

    @Test
    void aConsumedGradientIsGivenOnlyWhenItIsNeitherTheCallersNorTheResult() {
        Tensor argument = new Tensor(8), result = new Tensor(8), mine = new Tensor(8);
        Recycler.giveConsumed(argument, argument, result);
        Recycler.giveConsumed(argument.reshape(2, 4), argument, result);  // a view of the caller's tensor
        Recycler.giveConsumed(result.reshape(4, 2), argument, result);    // returned again by the layer
        assertEquals(0, Recycler.pooledBytes());
        Recycler.giveConsumed(mine, argument, result);
        assertEquals(4L * 8, Recycler.pooledBytes());
    }

    /** Eval forwards take nothing from the pool (their outputs may be kept by the caller) and empty it. */
    @Test
    void anEvalForwardEmptiesThePoolAndReturnsNewArrays() {
        Sequential s = new Sequential(new Conv2d(3, 4, 3, 1, 1, false, new Random(1)), new BatchNorm2d(4), new ReLU());
        Tensor x = minifig.nn.GradCheck.randn(new Random(2), 2, 3, 6, 6);
        Recycler.give(new Tensor(2, 4, 6, 6));
        Tensor y = s.forward(x, false);
        assertEquals(0, Recycler.pooledBytes());
        Recycler.give(new Tensor(2, 4, 6, 6));
        assertNotSame(y.data, s.forward(x, false).data);
    }

    /** The caller's output gradient is never written or pooled by a network's backward. */
    @Test
    void backwardLeavesTheCallersGradientAlone() {
        Recycler.poison = true;
        Module m = Models.create("resnet18", 5, 3, 3L);
        Random r = new Random(5);
        Tensor y = m.forward(minifig.nn.GradCheck.randn(r, 2, 3, 32, 32), true);
        Tensor dy = minifig.nn.GradCheck.randn(r, y.shape), copy = dy.copy();
        m.backward(dy);
        assertArrayEquals(copy.data, dy.data, 0f);
        assertTrue(Recycler.pooledBytes() > 0, "the step gave arrays back");
    }
}
