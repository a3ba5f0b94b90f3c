package minifig.optim;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class LrScheduleTest {

    @Test
    void stepDecay() {
        LrSchedule s = LrSchedule.step(0.1, 3, 0.5);
        assertEquals(0.1, s.lr(0), 1e-12);
        assertEquals(0.1, s.lr(2), 1e-12);
        assertEquals(0.05, s.lr(3), 1e-12);
        assertEquals(0.025, s.lr(7), 1e-12);
    }

    @Test
    void cosineToFloor() {
        LrSchedule s = LrSchedule.cosine(0.1, 10, 0.001);
        assertEquals(0.1, s.lr(0), 1e-12);
        assertEquals(0.001 + 0.099 * 0.5, s.lr(5), 1e-12);                      // half way: the midpoint
        assertEquals(0.001 + 0.099 * (1 + Math.cos(Math.PI * 0.3)) / 2, s.lr(3), 1e-12);
        assertEquals(0.001, s.lr(10), 1e-12);
        assertEquals(0.001, s.lr(25), 1e-12);
        // PyTorch CosineAnnealingLR(T_max=4, eta_min=0) from 1.0: 1, 0.853553, 0.5, 0.146447, 0
        LrSchedule t = LrSchedule.cosine(1.0, 4, 0);
        double[] torch = {1.0, 0.8535533905932737, 0.5, 0.14644660940672627, 0.0};
        for (int i = 0; i < torch.length; i++) assertEquals(torch[i], t.lr(i), 1e-12);
    }

    @Test
    void warmupComposesMultiplicatively() {
        LrSchedule s = LrSchedule.cosine(0.2, 20, 0).withWarmup(4, 0.25);
        assertEquals(0.2 * 0.25, s.lr(0), 1e-12);
        assertEquals(LrSchedule.cosine(0.2, 20, 0).lr(2) * (0.25 + 0.75 * 0.5), s.lr(2), 1e-12);
        assertEquals(LrSchedule.cosine(0.2, 20, 0).lr(4), s.lr(4), 1e-12);
        LrSchedule w = LrSchedule.step(1.0, 10, 0.1).withWarmup(5, 0.0);
        assertEquals(0.0, w.lr(0), 1e-12);
        assertEquals(0.6, w.lr(3), 1e-12);
        assertEquals(1.0, w.lr(5), 1e-12);
        assertEquals(0.1, w.lr(12), 1e-12);
        assertEquals(0.3, LrSchedule.constant(0.3).withWarmup(0, 0.1).lr(0), 1e-12);
    }

    @Test
    void invalidArguments() {
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.step(0.1, 0, 0.5));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.cosine(0.1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.constant(1).withWarmup(-1, 0.1));
    }
}
