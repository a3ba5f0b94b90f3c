package minifig.optim;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import minifig.nn.Golden;
import minifig.tensor.Param;
import minifig.tensor.Tensor;
import org.junit.jupiter.api.Test;

class SGDTest {

    /** torch.optim.SGD, momentum 0.9, dampening 0, weight decay only on w, b's group at 2.5x lr; both Nesterov modes. */
    @Test
    void matchesTorchSgdOverFourSteps() {
        JsonNode g = Golden.load("sgd.json");
        for (JsonNode c : g.get("cases")) {
            boolean nesterov = c.get("nesterov").asBoolean();
            Param w = new Param(Golden.tensor(g.get("w0")), true);
            Param b = new Param(Golden.tensor(g.get("b0")), false);
            SGD sgd = new SGD(g.get("lr").asDouble(), g.get("momentum").asDouble(), g.get("weight_decay").asDouble(), nesterov)
                    .addGroup("weights", List.of(w), 1.0)
                    .addGroup("biases", List.of(b), g.get("b_lr_scale").asDouble());
            for (int s = 0; s < 4; s++) {
                Golden.copyInto(g.get("grads").get(s).get("w"), w.grad);
                Golden.copyInto(g.get("grads").get(s).get("b"), b.grad);
                sgd.step();
                JsonNode want = c.get("steps").get(s);
                Golden.assertClose("sgd nesterov=" + nesterov + " w", want.get("w"), w.value, 1e-5);
                Golden.assertClose("sgd nesterov=" + nesterov + " b", want.get("b"), b.value, 1e-5);
            }
        }
        Golden.WORST.entrySet().stream().filter(e -> e.getKey().startsWith("sgd")).sorted(java.util.Map.Entry.comparingByKey())
                .forEach(e -> System.out.printf("golden %-32s max rel error %.2e%n", e.getKey(), e.getValue()));
    }

    @Test
    void handComputedStepsWithDecayAndMomentum() {
        Param p = new Param(new Tensor(new float[] {1f}, 1), true);
        SGD sgd = new SGD(List.of(p), 0.1, 0.5, 0.2, false);
        p.grad.data[0] = 1f;
        sgd.step();                                  // g' = 1 + 0.2*1 = 1.2; v = 1.2; w = 1 - 0.12
        assertEquals(0.88f, p.value.data[0], 1e-7);
        assertEquals(1.2f, sgd.velocity(p).data[0], 1e-7);
        sgd.step();                                  // g' = 1 + 0.176 = 1.176; v = 0.6 + 1.176 = 1.776
        assertEquals(1.776f, sgd.velocity(p).data[0], 1e-6);
        assertEquals(0.88f - 0.1776f, p.value.data[0], 1e-6);
        // Nesterov: step = g' + m*v.
        Param q = new Param(new Tensor(new float[] {0f}, 1), false);
        SGD nag = new SGD(List.of(q), 1.0, 0.5, 0.2, true);
        q.grad.data[0] = 2f;
        nag.step();                                  // no decay (decay=false): v = 2, step = 2 + 1 = 3
        assertEquals(-3f, q.value.data[0]);
    }

    @Test
    void largeParamsSplitOverThreadsGiveTheSameBits() {
        // 300k elements: Elementwise.split hands slices to the threads; the update of each element is the same
        // float32 formula, so 1, 2 and 3 threads must agree bit for bit with the scalar definition.
        int n = 300_001;
        java.util.Random r = new java.util.Random(9);
        float[] w0 = new float[n], g0 = new float[n], g1 = new float[n];
        for (int i = 0; i < n; i++) { w0[i] = r.nextFloat() - 0.5f; g0[i] = r.nextFloat() - 0.5f; g1[i] = r.nextFloat() - 0.5f; }
        int saved = minifig.kernels.Parallel.threads();
        try {
            for (boolean nesterov : new boolean[] {false, true}) {
                float[] want = w0.clone(), v = new float[n];
                float m = 0.9f, wd = 1e-3f, lr = 0.05f;
                for (float[] g : new float[][] {g0, g1}) {
                    boolean first = g == g0;
                    for (int i = 0; i < n; i++) {
                        float d = g[i] + wd * want[i];
                        v[i] = first ? d : v[i] * m + d;
                        want[i] -= lr * (nesterov ? d + m * v[i] : v[i]);
                    }
                }
                for (int t = 1; t <= 3; t++) {
                    minifig.kernels.Parallel.setThreads(t);
                    Param p = new Param(new Tensor(w0.clone(), n), true);
                    SGD sgd = new SGD(List.of(p), lr, m, wd, nesterov);
                    for (float[] g : new float[][] {g0, g1}) {
                        System.arraycopy(g, 0, p.grad.data, 0, n);
                        sgd.step();
                    }
                    assertArrayEquals(want, p.value.data, 0f, "threads " + t + " nesterov " + nesterov);
                    assertArrayEquals(v, sgd.velocity(p).data, 0f, "velocity, threads " + t);
                }
            }
        } finally {
            minifig.kernels.Parallel.setThreads(saved);
        }
    }

    @Test
    void frozenParamsDoNotMoveAndPlainSgdHasNoVelocity() {
        Param frozen = new Param(new Tensor(new float[] {1, 2}, 2), true);
        frozen.frozen = true;
        Param live = new Param(new Tensor(new float[] {1, 2}, 2), true);
        SGD sgd = new SGD(List.of(frozen, live), 0.1, 0.9, 0.1, false);
        frozen.grad.fill(5f);
        live.grad.fill(5f);
        sgd.step();
        sgd.step();
        assertArrayEquals(new float[] {1, 2}, frozen.value.data);
        assertNull(sgd.velocity(frozen));
        assertNotEquals(1f, live.value.data[0]);
        Param plain = new Param(new Tensor(new float[] {1}, 1), false);
        SGD noMomentum = new SGD(List.of(plain), 0.5, 0.0, 0.0, false);
        plain.grad.fill(2f);
        noMomentum.step();
        assertEquals(0f, plain.value.data[0]);
        assertNull(noMomentum.velocity(plain));
    }

    /** Checkpointing the velocity and restoring it into a fresh optimizer continues exactly. */
    @Test
    void velocityRestoreResumesExactly() {
        Param a = new Param(new Tensor(new float[] {1, -1, 0.5f}, 3), true);
        Param b = new Param(a.value.copy(), true);
        SGD first = new SGD(List.of(a), 0.05, 0.9, 1e-3, true);
        float[][] grads = {{0.3f, -0.2f, 1f}, {-0.1f, 0.4f, 0.2f}, {0.7f, 0.1f, -0.5f}};
        System.arraycopy(grads[0], 0, a.grad.data, 0, 3);
        first.step();
        // "Checkpoint": copy value and velocity into b and a new optimizer.
        System.arraycopy(a.value.data, 0, b.value.data, 0, 3);
        SGD resumed = new SGD(List.of(b), 0.05, 0.9, 1e-3, true);
        resumed.setVelocity(b, first.velocity(a));
        for (int s = 1; s < 3; s++) {
            System.arraycopy(grads[s], 0, a.grad.data, 0, 3);
            System.arraycopy(grads[s], 0, b.grad.data, 0, 3);
            first.step();
            resumed.step();
        }
        assertArrayEquals(a.value.data, b.value.data);
        assertThrows(IllegalArgumentException.class, () -> resumed.setVelocity(b, new Tensor(2)));
        assertThrows(IllegalArgumentException.class, () -> resumed.setVelocity(a, new Tensor(3)));
    }

    @Test
    void groupsAndValidation() {
        Param p = new Param(new Tensor(1), true);
        SGD sgd = new SGD(0.1, 0.9, 0, false).addGroup("backbone", List.of(p), 0.1);
        assertEquals("backbone", sgd.groups().get(0).name);
        assertThrows(IllegalArgumentException.class, () -> sgd.addGroup("head", List.of(p), 1.0));
        assertThrows(IllegalArgumentException.class, () -> new SGD(-1, 0.9, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new SGD(0.1, 0, 0, true));
        // Group multiplier applies: lr 0.1 * 0.1 on grad 1 with no momentum history yet.
        p.grad.fill(1f);
        sgd.step();
        assertEquals(-0.01f, p.value.data[0], 1e-8);
    }
}
