package minifig.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A JMH auxiliary counter: each benchmark adds the floating-point operations of one call, so JMH reports
 * "flops" as a rate next to the primary score (flops/s in Throughput mode; GFLOP/s = score / 1e9).
 * A GEMM of [M,K]·[K,N] counts 2*M*N*K (one multiply and one add per term).
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Flops {
    public double flops;

    @Setup(Level.Iteration)
    public void reset() {
        flops = 0;
    }
}
