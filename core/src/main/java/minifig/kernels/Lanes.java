package minifig.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lane moves shared by the stride-2 splits of {@link Im2colPanels} and {@link Winograd}: the even and odd lanes of 2V
 * consecutive floats held in two vectors, and a vector with the lanes outside a range zeroed.
 */
final class Lanes {
    private Lanes() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> S8 = FloatVector.SPECIES_256, S4 = FloatVector.SPECIES_128;
    private static final int V = S.length();
    private static final FloatVector ZERO = FloatVector.zero(S);
    /** Lane l takes lane 2l mod V (EVEN) or 2l + 1 mod V (ODD): the even / odd lanes of a vector, in both halves. */
    static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, l -> 2 * l % V),
            ODD = VectorShuffle.fromOp(S, l -> (2 * l + 1) % V);
    /** The upper half of the lanes. */
    static final VectorMask<Float> UPPER = VectorMask.fromLong(S, -1L << (V / 2));
    /**
     * {@link #EVEN} and {@link #UPPER} of 8 and 4 lanes, for runs shorter than a vector. Im2colPanels.pack writes its
     * evens out with these constants rather than calling {@link #evens} (see there).
     */
    static final VectorShuffle<Float> EVEN8 = VectorShuffle.fromOp(S8, l -> 2 * l % 8),
            EVEN4 = VectorShuffle.fromOp(S4, l -> 2 * l % 4);
    static final VectorMask<Float> UPPER8 = VectorMask.fromLong(S8, 0xF0L), UPPER4 = VectorMask.fromLong(S4, 0xCL);

    /**
     * Lanes 0, 2, .., 2V - 2 of the 2V values lo, hi: each half picks its even lanes, then a blend joins them. One-vector
     * rearranges and a blend, as in {@link GemmBlocked#transposePanel}: the library's two-vector rearrange there
     * sometimes ran its boxing fallback.
     */
    static FloatVector evens(FloatVector lo, FloatVector hi) {
        return lo.rearrange(EVEN).blend(hi.rearrange(EVEN), UPPER);
    }

    /** Lanes 1, 3, .., 2V - 1 of the 2V values lo, hi. */
    static FloatVector odds(FloatVector lo, FloatVector hi) {
        return lo.rearrange(ODD).blend(hi.rearrange(ODD), UPPER);
    }

    /**
     * v with lane l zeroed unless o + l is in [lo, hi) (o, lo >= 0): two in-range tests with offsets >= 0, as a loop tail
     * makes them. One test with a negative offset ran the library's boxing fallback (229 KB allocated per 28x28 split
     * in Im2colPanels).
     */
    static FloatVector within(FloatVector v, int o, int lo, int hi) {
        return ZERO.blend(v, S.indexInRange(o, hi).andNot(S.indexInRange(o, lo)));
    }
}
