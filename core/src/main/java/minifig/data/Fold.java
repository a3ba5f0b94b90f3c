package minifig.data;

import java.util.List;

/** A training part and a held-out part carved from a split's TRAIN photos (validation or one k-fold fold). */
public record Fold(List<Sample> train, List<Sample> val) {
    public Fold {
        train = List.copyOf(train);
        val = List.copyOf(val);
    }
}
