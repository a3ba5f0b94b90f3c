package minifig.io;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import minifig.tensor.Tensor;

/**
 * A TensorFlow.js layers model as read by {@link TfjsReader}: the weights in manifest order under their Keras
 * names ("conv1/kernel") with their Keras shapes and layouts, untouched ({@link KerasLayout} converts), the
 * element type each had, the parsed {@code modelTopology} and the whole model.json.
 */
public record TfjsModel(Path modelJson, Map<String, Tensor> tensors, Map<String, DType> dtypes, JsonNode topology, JsonNode json) {
    public TfjsModel {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        dtypes = Collections.unmodifiableMap(new LinkedHashMap<>(dtypes));
    }

    public Tensor tensor(String name) { return tensors.get(name); }

    /** Total number of weight elements (parameters and BatchNorm statistics). */
    public long elementCount() {
        long n = 0;
        for (Tensor t : tensors.values()) n += t.size();
        return n;
    }
}
