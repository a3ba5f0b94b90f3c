package minifig.robust;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import minifig.data.ClassInfo;
import minifig.data.LabelSet;
import minifig.data.Preprocessing;
import minifig.io.Metadata;
import minifig.kernels.Parallel;
import minifig.models.Models;
import minifig.nn.Module;
import minifig.tensor.Tensor;
import minifig.train.Checkpoint;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One loaded model serving several threads: eval-mode forward keeps no state in the layers (caches are written
 * only when training; im2col and GEMM scratch buffers are per thread), so N threads predicting different photos
 * at once get bit-identical logits to one thread doing them in turn, also while GEMM splits work on the pool.
 */
class ConcurrentPredictTest {
    @TempDir Path dir;

    @ParameterizedTest(name = "{0} at {1}x{1}")
    // 96x96: layer3's and layer4's 3x3 convs reduce over K > 1024 (several k blocks), and their GEMMs put a lone image's
    // pixels and a batched one's in different tiles (at 32x32 both land in edge tiles)
    @CsvSource({"custom, 16", "resnet18, 32", "resnet18, 96"})
    void sharedModelGivesTheSequentialAnswers(String arch, int size) throws Exception {
        int k = 5, photos = 6, threads = 3;
        List<ClassInfo> cls = new ArrayList<>();
        for (int i = 0; i < k; i++) cls.add(new ClassInfo(i + 1, "class " + i, "u"));
        Module fresh = Models.create(arch, k, 3, 7);
        Random rng = new Random(3);
        // Non-trivial BatchNorm statistics, so eval-mode normalisation is really exercised.
        fresh.stateDict().tensors().forEach((name, t) -> {
            if (name.endsWith("running_var")) for (int i = 0; i < t.data.length; i++) t.data[i] = 0.5f + rng.nextFloat();
            if (name.endsWith("running_mean") || name.endsWith(".bias")) for (int i = 0; i < t.data.length; i++) t.data[i] = 0.2f * (rng.nextFloat() - 0.5f);
        });
        Module model = fresh;
        if (arch.equals("custom")) { // as predict gets it; ResNet-18's 45 MB round trip would only cost time here
            Metadata m = Checkpoint.metadata(arch, 3, new LabelSet(cls), Preprocessing.torch(size + 2, size));
            Path f = dir.resolve(arch + ".safetensors");
            Checkpoint.save(f, fresh, m);
            model = Checkpoint.load(f).model();
        }

        List<Tensor> xs = new ArrayList<>();
        for (int i = 0; i < photos; i++) xs.add(new Tensor(1, 3, size, size).uniform(rng, 2.0));
        int before = Parallel.threads();
        Parallel.setThreads(2); // GEMMs also split over the shared pool while the callers run concurrently
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            float[][] sequential = new float[photos][];
            for (int i = 0; i < photos; i++) sequential[i] = model.forward(xs.get(i), false).data;
            List<Future<float[][]>> futures = new ArrayList<>();
            Module shared = model; // one instance for every thread
            for (int t = 0; t < threads; t++) {
                int shift = t;
                futures.add(pool.submit(() -> {
                    float[][] out = new float[photos][];
                    for (int round = 0; round < 2; round++) {
                        for (int j = 0; j < photos; j++) {
                            int i = (j + shift * 3) % photos; // each thread in its own order
                            out[i] = shared.forward(xs.get(i), false).data;
                        }
                    }
                    return out;
                }));
            }
            for (int t = 0; t < threads; t++) {
                float[][] got = futures.get(t).get();
                for (int i = 0; i < photos; i++) assertArrayEquals(sequential[i], got[i], "thread " + t + ", photo " + i);
            }
            // A batch of all photos gives the same rows as one photo at a time.
            Tensor batch = new Tensor(photos, 3, size, size);
            for (int i = 0; i < photos; i++) System.arraycopy(xs.get(i).data, 0, batch.data, i * 3 * size * size, 3 * size * size);
            float[] all = model.forward(batch, false).data;
            for (int i = 0; i < photos; i++) {
                assertArrayEquals(sequential[i], java.util.Arrays.copyOfRange(all, i * k, (i + 1) * k), "batched photo " + i);
            }
        } finally {
            pool.shutdownNow();
            Parallel.setThreads(before);
        }
    }
}
