package minifig.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minifig.BadInputException;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The classes a model predicts, in output order: class ids (1..36 or 1..38, maybe with gaps) map to contiguous
 * indices 0..K-1 by ascending id. A checkpoint stores {@link #toJson()} so predict/eval can map a network
 * output index back to a class id, name and universe.
 */
public final class LabelSet {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<ClassInfo> classes;
    private final Map<Integer, Integer> indexOfId = new HashMap<>();
    private final List<String> displayNames = new ArrayList<>();

    /** {@code classes} sorted by ascending id, ids distinct. */
    public LabelSet(Collection<ClassInfo> classes) {
        List<ClassInfo> sorted = new ArrayList<>(classes);
        sorted.sort((a, b) -> Integer.compare(a.id(), b.id()));
        this.classes = List.copyOf(sorted);
        Map<String, Integer> nameCount = new HashMap<>();
        for (int i = 0; i < sorted.size(); i++) {
            ClassInfo c = sorted.get(i);
            if (indexOfId.put(c.id(), i) != null) throw new IllegalArgumentException("duplicate class id " + c.id());
            nameCount.merge(c.name(), 1, Integer::sum);
        }
        for (ClassInfo c : sorted) {
            displayNames.add(nameCount.get(c.name()) > 1 ? c.name() + " (#" + c.id() + ")" : c.name());
        }
    }

    /** Number of classes K. */
    public int size() { return classes.size(); }

    public List<ClassInfo> classes() { return classes; }

    public ClassInfo get(int index) { return classes.get(index); }

    /** The class id at output index {@code index}. */
    public int idOf(int index) { return classes.get(index).id(); }

    /** The output index 0..K-1 of {@code classId}; IllegalArgumentException when it is not in this set. */
    public int indexOf(int classId) {
        Integer i = indexOfId.get(classId);
        if (i == null) throw new IllegalArgumentException("class id " + classId + " is not among the " + size() + " classes");
        return i;
    }

    public boolean contains(int classId) { return indexOfId.containsKey(classId); }

    /** The name, with " (#id)" appended when another class in this set has the same name (e.g. SPIDER-MAN). */
    public String displayName(int index) { return displayNames.get(index); }

    /** {@code {"classes":[{"id":1,"name":"SPIDER-MAN","universe":"marvel"}, ...]}} in index order. */
    public String toJson() {
        return toJsonNode().toString();
    }

    /** The same as {@link #toJson()} as a tree, for embedding in a larger JSON document. */
    public ObjectNode toJsonNode() {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode arr = root.putArray("classes");
        for (ClassInfo c : classes) arr.addObject().put("id", c.id()).put("name", c.name()).put("universe", c.universe());
        return root;
    }

    /** Parses {@link #toJson()} output; {@code source} names where it came from for error messages. */
    public static LabelSet fromJson(String json, String source) {
        try {
            return fromJsonNode(JSON.readTree(json), source);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new BadInputException(source + ": class list: expected JSON, found a syntax error ("
                    + CsvTable.oneLine(e.getOriginalMessage()) + ")");
        }
    }

    public static LabelSet fromJsonNode(JsonNode root, String source) {
        JsonNode arr = root == null ? null : root.get("classes");
        if (arr == null || !arr.isArray() || arr.isEmpty()) {
            throw new BadInputException(source + ": class list: expected a non-empty array 'classes', found "
                    + (arr == null ? "none" : arr.getNodeType().toString().toLowerCase()));
        }
        List<ClassInfo> list = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            JsonNode c = arr.get(i);
            JsonNode id = c.get("id"), name = c.get("name"), uni = c.get("universe");
            if (id == null || !id.canConvertToInt() || !id.isIntegralNumber() || name == null || !name.isTextual()) {
                throw new BadInputException(source + ": class list entry " + i
                        + ": expected {\"id\": int, \"name\": string, \"universe\": string}, found " + c);
            }
            list.add(new ClassInfo(id.asInt(), name.asText(), uni == null ? "unknown" : uni.asText()));
        }
        for (int i = 1; i < list.size(); i++) {
            if (list.get(i).id() <= list.get(i - 1).id()) {
                throw new BadInputException(source + ": class list entry " + i + ": expected ids in increasing order, found "
                        + list.get(i).id() + " after " + list.get(i - 1).id());
            }
        }
        return new LabelSet(list);
    }

    @Override
    public boolean equals(Object o) { return o instanceof LabelSet l && l.classes.equals(classes); }

    @Override
    public int hashCode() { return classes.hashCode(); }

    @Override
    public String toString() { return "LabelSet(" + size() + " classes)"; }
}
