package minifig.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;

/** Loads golden/resnet fixtures and compares against them, tracking the worst error for the test log. */
final class Golden {
    private Golden() {}

    static JsonNode json(String file) {
        try (InputStream in = Golden.class.getResourceAsStream("/golden/resnet/" + file)) {
            if (in == null) fail("missing fixture golden/resnet/" + file + " (run generate.py)");
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new AssertionError("cannot read golden/resnet/" + file, e);
        }
    }

    static float[] floats(JsonNode arr) {
        float[] out = new float[arr.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) arr.get(i).asDouble();
        return out;
    }

    static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) out[i] = arr.get(i).asInt();
        return out;
    }

    /** Worst error relative to a tensor's max |value| over all comparisons of one test. */
    static final class Err {
        double worst;
        String where = "";

        void note(double rel, String what) {
            if (rel > worst) {
                worst = rel;
                where = what;
            }
        }

        @Override
        public String toString() { return String.format("%.3g (%s)", worst, where); }
    }

    /** Element-wise: max |a - e| <= tol * max |e|. Returns the relative error. */
    static double close(String what, float[] expected, float[] actual, double tol, Err err) {
        assertEquals(expected.length, actual.length, what + ": length");
        double scale = 0, diff = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            diff = Math.max(diff, Math.abs((double) expected[i] - actual[i]));
        }
        double rel = diff / Math.max(scale, 1e-30);
        if (err != null) err.note(rel, what);
        assertTrue(rel <= tol, what + ": max |diff| " + diff + " is " + rel + " of max |expected| " + scale
                + " (tolerance " + tol + ")");
        return rel;
    }

    /** Every |v| is below TOL-scale noise relative to the largest |value| of {@code scale}. */
    static void tiny(String what, float[] v, float[] scale) {
        double s = 0, m = 0;
        for (float x : scale) s = Math.max(s, Math.abs(x));
        for (float x : v) m = Math.max(m, Math.abs(x));
        assertTrue(s > 0 && m <= 1e-4 * s, what + ": max |value| " + m + " is not negligible against " + s);
    }

    /**
     * Compares {@code actual} with a generate.py summary: the sums (relative to sum|x|, so a sum that cancels
     * to near zero is not held to an impossible relative bound), sum x^2, max|x|, and the sampled elements
     * (relative to max|x|).
     */
    static void summary(String what, JsonNode s, float[] actual, double tol, Err err) {
        double sum = 0, sumAbs = 0, sumSq = 0, maxAbs = 0;
        for (float v : actual) {
            sum += v;
            sumAbs += Math.abs(v);
            sumSq += (double) v * v;
            maxAbs = Math.max(maxAbs, Math.abs(v));
        }
        double eSumAbs = s.get("sumAbs").asDouble(), eMax = s.get("maxAbs").asDouble();
        assertTrue(eMax > 0, what + ": fixture tensor is all zero, the comparison would be vacuous");
        check(what + " sum", s.get("sum").asDouble(), sum, eSumAbs, tol, err);
        check(what + " sum|x|", eSumAbs, sumAbs, eSumAbs, tol, err);
        check(what + " sum x^2", s.get("sumSq").asDouble(), sumSq, s.get("sumSq").asDouble(), 2 * tol, err);
        check(what + " max|x|", eMax, maxAbs, eMax, tol, err);
        int[] idx = ints(s.get("idx"));
        float[] val = floats(s.get("val"));
        for (int k = 0; k < idx.length; k++) {
            check(what + "[" + idx[k] + "]", val[k], actual[idx[k]], eMax, tol, err);
        }
    }

    private static void check(String what, double expected, double actual, double scale, double tol, Err err) {
        double rel = Math.abs(expected - actual) / scale;
        if (err != null) err.note(rel, what);
        assertTrue(rel <= tol, what + ": expected " + expected + ", got " + actual + " (error " + rel
                + " of scale " + scale + ", tolerance " + tol + ")");
    }
}
