package minifig.data;

import minifig.BadInputException;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A small CSV file read with commons-csv into a header and rows, with the line number of every row kept so
 * that each complaint can name the file, the line and the field ({@link BadInputException} messages).
 *
 * RFC 4180 quoting is handled by commons-csv: metadata.csv has fields like {@code "[""Yoda's Hut""]"}.
 * A UTF-8 byte-order mark is ignored, blank lines are skipped, fields are trimmed.
 */
public final class CsvTable {
    /** CSV files we read are a few kB; refuse anything absurd instead of running out of memory. */
    static final long MAX_BYTES = 64L << 20;

    /** One data row: its 1-based line number in the file and its fields by column name. */
    public record Row(Path file, int line, Map<String, String> fields) {
        /** The trimmed value of {@code column} (a required column, so it is always present; maybe empty). */
        public String get(String column) {
            String v = fields.get(column);
            return v == null ? "" : v;
        }

        /** A non-empty value of {@code column}, or a BadInputException naming the line and field. */
        public String require(String column, String expected) {
            String v = get(column);
            if (v.isEmpty()) throw error(column, expected, "an empty field");
            return v;
        }

        /** An integer in {@code column}, or a BadInputException naming the line and field. */
        public int requireInt(String column) {
            String v = require(column, "an integer");
            try {
                return Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw error(column, "an integer", "'" + v + "'");
            }
        }

        /** "FILE: line N, field 'COLUMN': expected X, found Y". */
        public BadInputException error(String column, String expected, String found) {
            return new BadInputException(where(column) + ": expected " + expected + ", found " + found);
        }

        /** "FILE: line N, field 'COLUMN'" for messages that do not fit the expected/found pattern. */
        public String where(String column) {
            return file + ": line " + line + (column == null ? "" : ", field '" + column + "'");
        }
    }

    public final Path file;
    public final List<String> header;
    public final List<Row> rows;

    private CsvTable(Path file, List<String> header, List<Row> rows) {
        this.file = file;
        this.header = List.copyOf(header);
        this.rows = List.copyOf(rows);
    }

    /**
     * Reads {@code file}; its header must contain every name in {@code required} (in any order, extra
     * columns allowed), and every row must have as many fields as the header.
     */
    public static CsvTable read(Path file, List<String> required) {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file + ": expected a CSV file with columns " + String.join(",", required)
                    + ", found " + (Files.exists(file) ? "a directory" : "no such file"));
        }
        String text;
        try {
            long size = Files.size(file);
            if (size > MAX_BYTES) {
                throw new BadInputException(file + ": expected a CSV file under " + (MAX_BYTES >> 20)
                        + " MB, found " + size + " bytes");
            }
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (NoSuchFileException e) {
            throw new BadInputException(file + ": expected a CSV file, found no such file");
        } catch (CharacterCodingException e) {
            throw new BadInputException(file + ": expected UTF-8 text, found bytes that are not UTF-8");
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        return parse(file, text, required);
    }

    /** Parses CSV {@code text} as if read from {@code file} (which only names the source in messages). */
    public static CsvTable parse(Path file, String text, List<String> required) {
        if (text.startsWith("\uFEFF")) text = text.substring(1);
        CSVFormat format = CSVFormat.DEFAULT.builder().setIgnoreEmptyLines(true).setTrim(true).get();
        List<String> header = null;
        List<Row> rows = new ArrayList<>();
        try (CSVParser parser = CSVParser.parse(new StringReader(text), format)) {
            int[] lineStarts = lineStarts(text);
            for (CSVRecord rec : parser) {
                // The reported position may sit before skipped blank lines: step over them.
                int pos = (int) rec.getCharacterPosition();
                while (pos < text.length() && (text.charAt(pos) == '\n' || text.charAt(pos) == '\r')) pos++;
                int startLine = lineOf(lineStarts, pos);
                if (header == null) {
                    header = rec.toList();
                    checkHeader(file, header, required);
                    continue;
                }
                if (rec.size() != header.size()) {
                    throw new BadInputException(file + ": line " + startLine + ": expected " + header.size()
                            + " fields (" + String.join(",", header) + "), found " + rec.size()
                            + " (" + String.join(",", rec.toList()) + ")");
                }
                Map<String, String> fields = new HashMap<>();
                for (int i = 0; i < header.size(); i++) fields.put(header.get(i), rec.get(i));
                rows.add(new Row(file, startLine, fields));
            }
        } catch (IOException | UncheckedIOException | IllegalStateException | IllegalArgumentException e) {
            if (e.getCause() instanceof BadInputException b) throw b;
            throw new BadInputException(file + ": expected valid CSV, found a syntax error ("
                    + oneLine(e.getMessage()) + ")", e);
        }
        if (header == null) {
            throw new BadInputException(file + ": expected a header line " + String.join(",", required)
                    + ", found an empty file");
        }
        return new CsvTable(file, header, rows);
    }

    private static void checkHeader(Path file, List<String> header, List<String> required) {
        List<String> missing = new ArrayList<>();
        for (String col : required) if (!header.contains(col)) missing.add(col);
        if (!missing.isEmpty()) {
            throw new BadInputException(file + ": line 1 (header): expected columns " + String.join(",", required)
                    + ", found " + String.join(",", header) + " (missing " + String.join(",", missing) + ")");
        }
        for (int i = 0; i < header.size(); i++) {
            if (header.indexOf(header.get(i)) != i) {
                throw new BadInputException(file + ": line 1 (header): expected distinct column names, found '"
                        + header.get(i) + "' twice");
            }
        }
    }

    /** Offsets where each line starts (line i+1 starts at lineStarts[i]). */
    private static int[] lineStarts(String text) {
        int n = 1;
        for (int i = 0; i < text.length(); i++) if (text.charAt(i) == '\n') n++;
        int[] starts = new int[n];
        for (int i = 0, k = 1; i < text.length(); i++) if (text.charAt(i) == '\n') starts[k++] = i + 1;
        return starts;
    }

    /** The 1-based line holding character {@code pos}. */
    private static int lineOf(int[] lineStarts, long pos) {
        int i = java.util.Arrays.binarySearch(lineStarts, (int) pos);
        return (i >= 0 ? i : -i - 2) + 1;
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }
}
