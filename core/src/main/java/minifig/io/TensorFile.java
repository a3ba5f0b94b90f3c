package minifig.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import minifig.tensor.Tensor;

/**
 * The contents of a weight file: named float32 tensors in file order, the element type each was stored with
 * (so that e.g. int64 {@code num_batches_tracked} can be written back as int64), and the file's metadata.
 */
public record TensorFile(Map<String, Tensor> tensors, Map<String, DType> dtypes, Metadata metadata) {
    public TensorFile {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        dtypes = Collections.unmodifiableMap(new LinkedHashMap<>(dtypes));
    }

    public Tensor tensor(String name) { return tensors.get(name); }
}
