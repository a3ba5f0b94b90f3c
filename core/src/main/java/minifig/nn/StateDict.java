package minifig.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import minifig.tensor.Param;
import minifig.tensor.Tensor;

/**
 * A network's named tensors in PyTorch state_dict order: parameters (trainable, with gradients) and
 * buffers (BatchNorm running statistics). Names match torchvision's, so checkpoints load in PyTorch.
 * A Param registered twice (weight sharing) is kept once, under its first name.
 */
public final class StateDict {
    private final Map<String, Param> params = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<Param, String> seen = new IdentityHashMap<>();

    /** Collects the state of {@code root}. */
    public static StateDict of(Layer root) {
        StateDict sd = new StateDict();
        root.collect("", sd);
        return sd;
    }

    public void param(String name, Param p) {
        if (seen.containsKey(p)) return;
        requireNew(name);
        seen.put(p, name);
        params.put(name, p);
    }

    public void buffer(String name, Tensor t) {
        requireNew(name);
        buffers.put(name, t);
    }

    private void requireNew(String name) {
        if (params.containsKey(name) || buffers.containsKey(name)) {
            throw new IllegalStateException("duplicate state_dict name: " + name);
        }
    }

    public Map<String, Param> params() { return Collections.unmodifiableMap(params); }

    public Map<String, Tensor> buffers() { return Collections.unmodifiableMap(buffers); }

    public List<Param> paramList() { return new ArrayList<>(params.values()); }

    /** Every named tensor (parameter values and buffers) in state_dict order, for saving. */
    public Map<String, Tensor> tensors() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        params.forEach((k, p) -> all.put(k, p.value));
        all.putAll(buffers);
        return all;
    }

    public void zeroGrad() {
        for (Param p : params.values()) p.zeroGrad();
    }

    /**
     * Copies {@code source} tensors into this state. With {@code strict}, every name must be present on both
     * sides; in any case shapes must match. Errors name the tensor and both shapes.
     */
    public void load(Map<String, Tensor> source, boolean strict) {
        Map<String, Tensor> mine = tensors();
        if (strict) {
            for (String k : mine.keySet()) {
                if (!source.containsKey(k)) throw new IllegalArgumentException("missing tensor '" + k + "'");
            }
            for (String k : source.keySet()) {
                if (!mine.containsKey(k)) throw new IllegalArgumentException("unexpected tensor '" + k + "'");
            }
        }
        for (Map.Entry<String, Tensor> e : source.entrySet()) {
            Tensor dst = mine.get(e.getKey());
            if (dst == null) continue;
            Tensor src = e.getValue();
            if (!dst.sameShape(src)) {
                throw new IllegalArgumentException("tensor '" + e.getKey() + "': expected shape " + dst.shapeString()
                        + ", found " + src.shapeString());
            }
            System.arraycopy(src.data, 0, dst.data, 0, src.size());
        }
    }
}
