package minifig.data;

import minifig.BadInputException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class LabelSetTest {
    private final LabelSet labels = new LabelSet(List.of(
            new ClassInfo(17, "SPIDER-MAN", "marvel"), new ClassInfo(1, "SPIDER-MAN", "marvel"),
            new ClassInfo(5, "YODA", "star-wars")));

    @Test
    void idsMapToContiguousIndicesByAscendingId() {
        assertEquals(3, labels.size());
        assertEquals(0, labels.indexOf(1));
        assertEquals(1, labels.indexOf(5));
        assertEquals(2, labels.indexOf(17));
        assertEquals(17, labels.idOf(2));
        assertThrows(IllegalArgumentException.class, () -> labels.indexOf(2));
    }

    @Test
    void ambiguousNamesGetTheirIdButRawNameIsKept() {
        assertEquals("SPIDER-MAN (#1)", labels.displayName(0));
        assertEquals("YODA", labels.displayName(1));
        assertEquals("SPIDER-MAN (#17)", labels.displayName(2));
        assertEquals("SPIDER-MAN", labels.get(2).name());
    }

    @Test
    void jsonRoundTrip() {
        String json = labels.toJson();
        assertTrue(json.startsWith("{\"classes\":[{\"id\":1,\"name\":\"SPIDER-MAN\",\"universe\":\"marvel\"}"), json);
        LabelSet back = LabelSet.fromJson(json, "ckpt.json");
        assertEquals(labels, back);
        assertEquals("SPIDER-MAN (#17)", back.displayName(2));
    }

    @Test
    void badJson() {
        var e = assertThrows(BadInputException.class, () -> LabelSet.fromJson("{\"classes\":[]}", "ckpt.json"));
        assertEquals("ckpt.json: class list: expected a non-empty array 'classes', found array", e.getMessage());
        e = assertThrows(BadInputException.class, () -> LabelSet.fromJson("{\"classes\":[{\"id\":\"x\",\"name\":\"A\"}]}", "ckpt.json"));
        assertTrue(e.getMessage().startsWith("ckpt.json: class list entry 0: expected {\"id\": int"), e.getMessage());
        e = assertThrows(BadInputException.class, () -> LabelSet.fromJson("{\"classes\":[{\"id\":2,\"name\":\"A\"},{\"id\":1,\"name\":\"B\"}]}", "c"));
        assertEquals("c: class list entry 1: expected ids in increasing order, found 1 after 2", e.getMessage());
        e = assertThrows(BadInputException.class, () -> LabelSet.fromJson("{oops", "c"));
        assertTrue(e.getMessage().startsWith("c: class list: expected JSON, found a syntax error"), e.getMessage());
    }
}
