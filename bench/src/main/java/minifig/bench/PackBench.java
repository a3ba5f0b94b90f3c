package minifig.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import minifig.kernels.GemmBlocked;
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
 * The GEMM's shuffling packers, vector vs scalar reference, one panel per call: {@code interleave3*} packs three rows of
 * A into an MR-row panel ({@link GemmBlocked#interleave3}, the AVX2 tile's; AVX-512's tile reads A's rows as they are,
 * so its packing is a row copy), {@code transpose*} packs NR rows of a stored Bᵀ
 * into an NR-column panel ({@link GemmBlocked#transposePanel}). Each call takes the next panel of a matrix of
 * {@code rows} x {@code depth} (row stride = depth), so the source streams as it does inside a GEMM instead of
 * sitting in L1. Shapes: 1024³'s A block (480 x 1024), and the operands E [O, T] and V [C, T] of Winograd's weight
 * gradient in ResNet-18: layer1 (64 x 784, the 28 x 28 tiles of one 56x56 image), layer3 (256 x 490, ten 14x14
 * images of 49 tiles) and layer4 (512 x 512, thirty-two 7x7 images of 16 tiles).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar PackBench -f 1}; the score
 * is time per panel, so per element divide by 3 x depth (interleave) or NR x depth (transpose).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g", "-XX:+UseParallelGC"})
@State(Scope.Thread)
public class PackBench {
    @Param({"480x1024", "64x784", "256x490", "512x512"})
    public String shape;

    private int rows, depth, next;
    private float[] src, panel;

    @Setup
    public void setup() {
        String[] d = shape.split("x");
        rows = Integer.parseInt(d[0]);
        depth = Integer.parseInt(d[1]);
        Random r = new Random(1);
        src = new float[rows * depth];
        for (int i = 0; i < src.length; i++) src[i] = r.nextFloat() * 2 - 1;
        panel = new float[GemmBlocked.NR * depth];
    }

    /** First row of the next panel of {@code height} rows, wrapping around. */
    private int nextRow(int height) {
        int row = next;
        next = next + 2 * height > rows ? 0 : next + height;
        return row;
    }

    @Benchmark
    public float[] interleave3Vector() {
        GemmBlocked.interleave3(src, nextRow(3) * depth, depth, depth, panel, 0);
        return panel;
    }

    @Benchmark
    public float[] interleave3Scalar() {
        GemmBlocked.interleave3Scalar(src, nextRow(3) * depth, depth, depth, panel, 0);
        return panel;
    }

    @Benchmark
    public float[] transposeVector() {
        GemmBlocked.transposePanel(src, nextRow(GemmBlocked.NR) * depth, depth, depth, panel, 0);
        return panel;
    }

    @Benchmark
    public float[] transposeScalar() {
        GemmBlocked.transposePanelScalar(src, nextRow(GemmBlocked.NR) * depth, depth, depth, panel, 0, GemmBlocked.NR);
        return panel;
    }
}
