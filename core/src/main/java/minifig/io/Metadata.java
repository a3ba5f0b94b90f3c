package minifig.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import minifig.BadInputException;

/**
 * The string-to-string {@code __metadata__} of a safetensors file, in insertion order. Values are plain
 * strings; structured values (architecture settings, class names, metrics) are stored as JSON text with
 * {@link #putJson} and read back with {@link #json}. Errors name the file the metadata came from.
 */
public final class Metadata {
    static final ObjectMapper JSON = new ObjectMapper();

    private final String source;
    private final Map<String, String> map = new LinkedHashMap<>();

    /** Empty metadata to be filled and written. */
    public Metadata() {
        this("metadata");
    }

    Metadata(String source) {
        this.source = source;
    }

    /** A copy of {@code entries}, e.g. to write metadata built as a map. */
    public static Metadata of(Map<String, String> entries) {
        Metadata m = new Metadata();
        entries.forEach(m::put);
        return m;
    }

    public Metadata put(String key, String value) {
        if (key == null || value == null) throw new IllegalArgumentException("metadata key and value must not be null");
        map.put(key, value);
        return this;
    }

    /** Stores {@code value} (a record, map, list, number, JsonNode...) serialised as JSON text. */
    public Metadata putJson(String key, Object value) {
        try {
            return put(key, JSON.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("metadata '" + key + "': cannot serialise " + value.getClass().getName(), e);
        }
    }

    public Optional<String> get(String key) {
        return Optional.ofNullable(map.get(key));
    }

    /** The value of {@code key}, or a {@link BadInputException} naming the file and the missing key. */
    public String require(String key) {
        String v = map.get(key);
        if (v == null) throw IoErrors.bad(source, "metadata '" + key + "': missing (found keys " + map.keySet() + ")");
        return v;
    }

    /** The value of {@code key} parsed as JSON; missing keys and invalid JSON are {@link BadInputException}s. */
    public JsonNode json(String key) {
        String v = require(key);
        try {
            return JSON.readTree(v);
        } catch (JsonProcessingException e) {
            throw IoErrors.bad(source, "metadata '" + key + "': expected JSON, found invalid JSON (" + e.getOriginalMessage() + ")", e);
        }
    }

    /** The value of {@code key} parsed as JSON into {@code type} (a record, Map, List...). */
    public <T> T json(String key, Class<T> type) {
        JsonNode node = json(key);
        try {
            return JSON.treeToValue(node, type);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw IoErrors.bad(source, "metadata '" + key + "': expected JSON for " + type.getSimpleName() + " (" + why + ")", e);
        }
    }

    public boolean containsKey(String key) { return map.containsKey(key); }

    public boolean isEmpty() { return map.isEmpty(); }

    /** A read-only view of all entries in insertion order. */
    public Map<String, String> asMap() { return Collections.unmodifiableMap(map); }

    @Override public boolean equals(Object o) { return o instanceof Metadata m && m.map.equals(map); }

    @Override public int hashCode() { return map.hashCode(); }

    @Override public String toString() { return "Metadata" + map; }
}
