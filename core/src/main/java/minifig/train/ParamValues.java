package minifig.train;

import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Map;
import minifig.tensor.Param;

/**
 * Copies of parameter values, for putting a network back as it was: the best epoch's weights held in memory,
 * a head folded only while it is saved, the pretrained stages every tuning run starts from.
 */
final class ParamValues {
    private ParamValues() {}

    /** A copy of each parameter's current values. */
    static Map<Param, float[]> snapshot(Collection<Param> params) {
        Map<Param, float[]> m = new IdentityHashMap<>();
        for (Param p : params) m.put(p, p.value.data.clone());
        return m;
    }

    /** Writes {@code values} back into their parameters. */
    static void restore(Map<Param, float[]> values) {
        values.forEach((p, v) -> System.arraycopy(v, 0, p.value.data, 0, v.length));
    }

    /** Runs {@code action} (which may change {@code params}), then puts the parameters' current values back. */
    static void restoringAfter(Collection<Param> params, Runnable action) {
        Map<Param, float[]> now = snapshot(params);
        try {
            action.run();
        } finally {
            restore(now);
        }
    }
}
