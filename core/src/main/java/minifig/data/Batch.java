package minifig.data;

import minifig.tensor.Tensor;

import java.util.List;

/**
 * One mini-batch: {@code images} [B, 3, H, W] normalised per the loader's Preprocessing, {@code labels}
 * the class indices 0..K-1 (LabelSet order), and the photos they came from (to name misclassified ones).
 */
public record Batch(Tensor images, int[] labels, List<Sample> samples) {
    public int size() { return labels.length; }
}
