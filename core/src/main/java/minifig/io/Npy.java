package minifig.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import minifig.tensor.Tensor;

/**
 * NumPy's .npy format for float32 arrays, the exchange format for preprocessed inputs and golden fixtures:
 *
 * <pre>
 * "\x93NUMPY" major minor  header-length (2 bytes in v1, 4 in v2/v3, little-endian)
 * header: a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (N, C, H, W), } padded
 *         with spaces and a final newline so that the data starts 64-byte aligned
 * data:   the elements, little-endian, C (row-major) order
 * </pre>
 *
 * Only little-endian float32 in C order is accepted; anything else is rejected with a message saying so.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int MAX_HEADER_BYTES = 1 << 20;

    private Npy() {}

    /** Writes {@code t} as a v1.0 .npy file (v2.0 if the header would not fit), atomically. */
    public static void write(Path path, Tensor t) {
        AtomicFiles.write(path, out -> out.write(toBytes(t)));
    }

    /** The .npy encoding of {@code t}. */
    public static byte[] toBytes(Tensor t) {
        StringBuilder shape = new StringBuilder("(");
        for (int i = 0; i < t.rank(); i++) shape.append(i == 0 ? "" : ", ").append(t.shape[i]);
        if (t.rank() == 1) shape.append(',');
        shape.append(')');
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
        int total = (10 + dict.length() + 1 + 63) / 64 * 64;
        int major = total - 10 <= 0xffff ? 1 : 2;
        int prefix = major == 1 ? 10 : 12;
        if (major == 2) total = (prefix + dict.length() + 1 + 63) / 64 * 64;
        String header = dict + " ".repeat(total - prefix - dict.length() - 1) + "\n";
        ByteBuffer b = ByteBuffer.allocate(total + 4 * t.size()).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) major).put((byte) 0);
        if (major == 1) b.putShort((short) header.length()); else b.putInt(header.length());
        b.put(header.getBytes(StandardCharsets.US_ASCII));
        b.asFloatBuffer().put(t.data);
        return b.array();
    }

    /** Reads a little-endian float32 C-order array. */
    public static Tensor read(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 10) throw IoErrors.bad(path, "expected a .npy file (at least 10 bytes), found " + size + " bytes");
            ByteBuffer pre = Safetensors.readAt(ch, 0, 12 <= size ? 12 : 10).order(ByteOrder.LITTLE_ENDIAN);
            byte[] magic = new byte[6];
            pre.get(magic);
            if (!Arrays.equals(magic, MAGIC)) throw IoErrors.bad(path, "expected the .npy magic \\x93NUMPY, found other bytes (not a .npy file)");
            int major = pre.get() & 0xff, minor = pre.get() & 0xff;
            long headerLen;
            int prefix;
            if (major == 1) {
                headerLen = pre.getShort(8) & 0xffff;
                prefix = 10;
            } else if (major == 2 || major == 3) {
                if (size < 12) throw IoErrors.bad(path, "header length: file ends after " + size + " bytes");
                headerLen = pre.getInt(8) & 0xffffffffL;
                prefix = 12;
            } else {
                throw IoErrors.bad(path, "format version: expected 1.0, 2.0 or 3.0, found " + major + "." + minor);
            }
            if (headerLen > MAX_HEADER_BYTES || prefix + headerLen > size) {
                throw IoErrors.bad(path, "header length: " + headerLen + " bytes does not fit in the " + size + "-byte file");
            }
            byte[] hb = Safetensors.readAt(ch, prefix, (int) headerLen).array();
            String header = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            int[] shape = parseHeader(path, header);
            long count = 1;
            for (int d : shape) count *= d; // each d < 2^31 and we stop early below, so no overflow
            long dataLen = size - prefix - headerLen;
            if (count > Integer.MAX_VALUE - 8 || count * 4 != dataLen) {
                throw IoErrors.bad(path, "data: shape " + Arrays.toString(shape) + " needs " + count * 4L
                        + " bytes of float32, found " + dataLen + " bytes");
            }
            float[] data = new float[(int) count];
            Safetensors.readAt(ch, prefix + headerLen, (int) dataLen).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
            return new Tensor(data, shape);
        } catch (IOException e) {
            throw IoErrors.readFailure(path, e);
        }
    }

    // Parses the header dict literal: string keys mapped to a string, True/False, or a tuple of integers.
    private static int[] parseHeader(Path path, String header) {
        Map<String, Object> dict = new HeaderParser(path, header).dict();
        Object descr = dict.get("descr"), fortran = dict.get("fortran_order"), shape = dict.get("shape");
        if (!(descr instanceof String d)) throw IoErrors.bad(path, "header 'descr': expected a dtype string, found " + describe(descr));
        if (!d.equals("<f4")) {
            throw IoErrors.bad(path, "header 'descr': expected '<f4' (little-endian float32), found '" + d
                    + "'; convert with arr.astype('<f4')");
        }
        if (!(fortran instanceof Boolean f)) throw IoErrors.bad(path, "header 'fortran_order': expected True or False, found " + describe(fortran));
        if (f) throw IoErrors.bad(path, "header 'fortran_order': expected False (C order), found True; save np.ascontiguousarray(arr)");
        if (!(shape instanceof int[] s)) throw IoErrors.bad(path, "header 'shape': expected a tuple of integers, found " + describe(shape));
        long count = 1;
        for (int dim : s) {
            count *= dim;
            if (count > Integer.MAX_VALUE) throw IoErrors.bad(path, "header 'shape': " + Arrays.toString(s) + " has more than 2^31 elements");
        }
        return s;
    }

    private static String describe(Object o) {
        return o == null ? "nothing (missing)" : o instanceof int[] a ? Arrays.toString(a) : String.valueOf(o);
    }

    private static final class HeaderParser {
        final Path path;
        final String s;
        int pos;

        HeaderParser(Path path, String s) {
            this.path = path;
            this.s = s;
        }

        Map<String, Object> dict() {
            Map<String, Object> d = new LinkedHashMap<>();
            expect('{');
            while (true) {
                skipSpace();
                if (peek() == '}') { pos++; break; }
                String key = string();
                expect(':');
                skipSpace();
                d.put(key, value());
                skipSpace();
                if (peek() == ',') { pos++; continue; }
                expect('}');
                break;
            }
            skipSpace();
            if (pos != s.length()) throw fail("end of header after '}'");
            return d;
        }

        Object value() {
            char c = peek();
            if (c == '\'' || c == '"') return string();
            if (s.startsWith("True", pos)) { pos += 4; return Boolean.TRUE; }
            if (s.startsWith("False", pos)) { pos += 5; return Boolean.FALSE; }
            if (c == '(') return tuple();
            throw fail("a string, True, False or a tuple");
        }

        int[] tuple() {
            expect('(');
            List<Integer> dims = new ArrayList<>();
            while (true) {
                skipSpace();
                if (peek() == ')') { pos++; break; }
                int start = pos;
                while (pos < s.length() && Character.isDigit(s.charAt(pos))) pos++;
                if (start == pos || pos - start > 10) throw fail("a non-negative integer dimension");
                long v = Long.parseLong(s.substring(start, pos));
                if (v > Integer.MAX_VALUE) throw fail("a dimension below 2^31");
                dims.add((int) v);
                skipSpace();
                if (peek() == ',') { pos++; continue; }
                expect(')');
                break;
            }
            return dims.stream().mapToInt(Integer::intValue).toArray();
        }

        String string() {
            char q = peek();
            if (q != '\'' && q != '"') throw fail("a quoted string");
            int end = s.indexOf(q, pos + 1);
            if (end < 0) throw fail("a closing quote");
            String v = s.substring(pos + 1, end);
            pos = end + 1;
            return v;
        }

        void expect(char c) {
            skipSpace();
            if (peek() != c) throw fail("'" + c + "'");
            pos++;
        }

        char peek() { return pos < s.length() ? s.charAt(pos) : '\0'; }

        void skipSpace() { while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++; }

        RuntimeException fail(String expected) {
            String found = pos < s.length() ? IoErrors.quote(s.substring(pos, Math.min(s.length(), pos + 20))) : "the end";
            return IoErrors.bad(path, "header at character " + pos + ": expected " + expected + ", found " + found);
        }
    }
}
