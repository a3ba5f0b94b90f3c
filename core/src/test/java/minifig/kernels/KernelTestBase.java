package minifig.kernels;

import java.util.Random;
import org.junit.jupiter.api.AfterEach;

/** What the kernel tests share: the pool's thread count is put back after each test, and uniform inputs in [-1, 1). */
abstract class KernelTestBase {
    private final int savedThreads = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(savedThreads);
    }

    static float[] random(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = r.nextFloat() * 2 - 1;
        return x;
    }
}
