package minifig.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The soft-heap-target rule: grows only while ZGC is busy, by GROWTH, and stops at the heap cap. */
class HeapTargetTest {
    static final long GIB = 1L << 30;

    @Test
    void keepsTheTargetWhileTheCollectorIsMostlyIdle() {
        assertEquals(GIB, HeapTarget.next(GIB, 0.11, 6 * GIB));  // resnet18 batch 32: ~10% of the time in ZGC cycles
        assertEquals(GIB, HeapTarget.next(GIB, HeapTarget.MAX_BUSY, 6 * GIB));
    }

    @Test
    void growsWhileBusyUntilTheCap() {
        long soft = GIB;
        int windows = 0;
        while (soft < 6 * GIB) {
            long grown = HeapTarget.next(soft, 0.8, 6 * GIB);
            assertEquals(Math.min(6 * GIB, (long) (soft * HeapTarget.GROWTH)), grown);
            soft = grown;
            windows++;
        }
        assertEquals(6 * GIB, soft);
        assertEquals(9, windows);  // 1.25^8 = 5.96, so the ninth busy window reaches the 6 GiB cap
        assertEquals(6 * GIB, HeapTarget.next(soft, 1.2, 6 * GIB));
    }
}
