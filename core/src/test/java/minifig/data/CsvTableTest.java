package minifig.data;

import minifig.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class CsvTableTest {
    private static final Path F = Path.of("x.csv");

    @Test
    void quotedFieldsWithCommasAndDoubledQuotes() {
        CsvTable t = CsvTable.parse(F, TestData.METADATA, List.of("class_id", "minifigure_name"));
        assertEquals(List.of("class_id", "lego_ids", "lego_names", "minifigure_name"), t.header);
        assertEquals(3, t.rows.size());
        assertEquals("[\"Yoda's Hut\"]", t.rows.get(1).get("lego_names"));
        assertEquals("YODA", t.rows.get(1).get("minifigure_name"));
        assertEquals("['Spider Mech vs. Venom']", t.rows.get(0).get("lego_names"));
        assertEquals(List.of(2, 3, 4), t.rows.stream().map(CsvTable.Row::line).toList());
    }

    @Test
    void lineNumbersCountBlankLinesAndQuotedLineBreaks() {
        String text = "a,b\n1,2\n\n\"multi\nline\",3\n4,5";
        CsvTable t = CsvTable.parse(F, text, List.of("a", "b"));
        assertEquals(List.of(2, 4, 6), t.rows.stream().map(CsvTable.Row::line).toList());
        assertEquals("multi\nline", t.rows.get(1).get("a"));
        assertEquals("5", t.rows.get(2).get("b"));
    }

    @Test
    void byteOrderMarkAndWindowsLineEndsAndSpacesAreTolerated() {
        CsvTable t = CsvTable.parse(F, "\uFEFFpath, class_id\r\n a.jpg , 7\r\n", List.of("path", "class_id"));
        assertEquals(Map.of("path", "a.jpg", "class_id", "7"), t.rows.get(0).fields());
        assertEquals(7, t.rows.get(0).requireInt("class_id"));
    }

    @Test
    void missingColumnIsNamed() {
        var e = assertThrows(BadInputException.class, () -> CsvTable.parse(F, "path,label\na.jpg,1\n", List.of("path", "class_id")));
        assertEquals("x.csv: line 1 (header): expected columns path,class_id, found path,label (missing class_id)", e.getMessage());
    }

    @Test
    void wrongFieldCountNamesTheLine() {
        var e = assertThrows(BadInputException.class, () -> CsvTable.parse(F, "path,class_id\na.jpg,1\nb.jpg\n", List.of("path", "class_id")));
        assertEquals("x.csv: line 3: expected 2 fields (path,class_id), found 1 (b.jpg)", e.getMessage());
    }

    @Test
    void nonIntegerAndEmptyFields() {
        CsvTable t = CsvTable.parse(F, "path,class_id\na.jpg,one\n,2\n", List.of("path", "class_id"));
        var e = assertThrows(BadInputException.class, () -> t.rows.get(0).requireInt("class_id"));
        assertEquals("x.csv: line 2, field 'class_id': expected an integer, found 'one'", e.getMessage());
        e = assertThrows(BadInputException.class, () -> t.rows.get(1).require("path", "a photo path"));
        assertEquals("x.csv: line 3, field 'path': expected a photo path, found an empty field", e.getMessage());
    }

    @Test
    void emptyFileAndDuplicateHeaderAndSyntaxError() {
        var e = assertThrows(BadInputException.class, () -> CsvTable.parse(F, "", List.of("path")));
        assertEquals("x.csv: expected a header line path, found an empty file", e.getMessage());
        e = assertThrows(BadInputException.class, () -> CsvTable.parse(F, "path,path\n", List.of("path")));
        assertTrue(e.getMessage().contains("expected distinct column names, found 'path' twice"), e.getMessage());
        e = assertThrows(BadInputException.class, () -> CsvTable.parse(F, "path\n\"unterminated\n", List.of("path")));
        assertTrue(e.getMessage().startsWith("x.csv: expected valid CSV, found a syntax error"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void unreadableFiles(@TempDir Path dir) throws Exception {
        var e = assertThrows(BadInputException.class, () -> CsvTable.read(dir.resolve("none.csv"), List.of("path")));
        assertTrue(e.getMessage().endsWith("none.csv: expected a CSV file with columns path, found no such file"), e.getMessage());
        Path bin = dir.resolve("bin.csv");
        Files.write(bin, new byte[]{'p', (byte) 0xff, (byte) 0xfe, '\n'});
        e = assertThrows(BadInputException.class, () -> CsvTable.read(bin, List.of("path")));
        assertTrue(e.getMessage().endsWith("bin.csv: expected UTF-8 text, found bytes that are not UTF-8"), e.getMessage());
    }
}
