package minifig.bench;

import java.util.concurrent.TimeUnit;
import minifig.kernels.Parallel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Whole networks, one call = one batch: resnet18 eval forward and training step at 224x224, resnet50-keras
 * eval forward (the feature-extraction job), the custom net at 64x64. Images per second = score x batch
 * (JMH's score is batches per second here).
 *
 * <p>Run (long: narrow it with -p): {@code java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar
 * NetworkBench -f 1 -p net=resnet18_fwd -p batch=8 -p threads=1}. On a shared machine prefer
 * {@code bench/compare.py}, which interleaves these with PyTorch's.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx8g", "-XX:+UseParallelGC"})
@State(Scope.Benchmark)
public class NetworkBench {
    @Param({"resnet18_fwd", "resnet18_train", "resnet50keras_fwd", "custom_fwd", "custom_train"})
    public String net;

    @Param({"1", "8", "32"})
    public int batch;

    @Param({"1", "2"})
    public int threads;

    private NetCase c;

    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        c = new NetCase(net, batch);   // fixed seeds inside: model 42, batch 7
    }

    @Benchmark
    public float step() {
        return c.step();
    }
}
