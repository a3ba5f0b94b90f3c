package minifig.io;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import minifig.BadInputException;

/**
 * A restricted reader of Python pickles: it builds plain Java values (Long, Double, String, Boolean, byte[],
 * {@link #NONE}, lists, tuples as unmodifiable lists, {@link PyDict}) and NOTHING else. Python's own unpickler
 * calls whatever callable the file names, which is how a malicious .pth runs code; this one only calls the
 * Java functions it is given for an explicit allowlist of globals, and rejects every other global and every
 * opcode that could construct arbitrary objects (INST, OBJ, NEWOBJ, EXT*, ...). Errors name the source, the
 * byte offset and the offending opcode or global.
 *
 * <p>Supported opcodes are those of protocols 2-5 that carry plain data, plus GLOBAL/STACK_GLOBAL + REDUCE for
 * allowed globals, BUILD on dicts (OrderedDict's {@code _metadata}) and BINPERSID/PERSID (handed to the
 * persistent-load function: torch uses them for storages). Every length is checked against the input before
 * anything is allocated.
 */
public final class Unpickler {
    /** Python's None. */
    public static final Object NONE = new Object() {
        @Override public String toString() { return "None"; }
    };

    /** A dict, in insertion order, plus the state a BUILD opcode set on it (OrderedDict's {@code _metadata}). */
    public static final class PyDict extends LinkedHashMap<Object, Object> {
        public Map<Object, Object> attributes = Map.of();
    }

    /** An allowed global pushed on the stack, waiting for REDUCE to call it. */
    public record Global(String qualifiedName, Function<List<Object>, Object> function) {}

    private final String source;
    private final byte[] buf;
    private final int end;
    private int pos;
    private final Map<String, Function<List<Object>, Object>> allowed;
    private final Function<Object, Object> persistentLoad;
    private List<Object> stack = new ArrayList<>();
    private final Deque<List<Object>> metastack = new ArrayDeque<>();
    private final Map<Long, Object> memo = new HashMap<>();
    private int opPos;

    /**
     * @param source          what to call the input in errors, e.g. {@code "model.pth: archive/data.pkl"}
     * @param allowed         qualified global name ("module.name") to the function REDUCE calls with its arguments
     * @param persistentLoad  maps a persistent id to its object; null rejects persistent ids
     */
    public Unpickler(String source, byte[] buf, int start, int end, Map<String, Function<List<Object>, Object>> allowed,
                     Function<Object, Object> persistentLoad) {
        if (start < 0 || end > buf.length || start > end) throw new IllegalArgumentException("bad range");
        this.source = source;
        this.buf = buf;
        this.pos = start;
        this.end = end;
        this.allowed = allowed;
        this.persistentLoad = persistentLoad;
    }

    /** The byte offset just after the last STOP: where a following pickle (or raw data) starts. */
    public int position() { return pos; }

    /** Reads one pickle, up to and including its STOP opcode, and returns its value. */
    public Object load() {
        stack.clear();
        metastack.clear();
        memo.clear();
        while (true) {
            opPos = pos;
            int op = u8();
            switch (op) {
                case 0x80 -> { // PROTO
                    int proto = u8();
                    if (proto > 5) throw fail("pickle protocol " + proto + " is newer than 5");
                }
                case 0x95 -> skip(8); // FRAME: framing is a hint for buffered readers; we hold all bytes
                case '.' -> { // STOP
                    if (stack.size() != 1 || !metastack.isEmpty()) throw fail("STOP with " + stack.size() + " values on the stack");
                    return stack.removeLast();
                }
                case '(' -> { metastack.push(stack); stack = new ArrayList<>(); } // MARK
                case ')' -> push(List.of());
                case ']' -> push(new ArrayList<>());
                case '}' -> push(new PyDict());
                case 'N' -> push(NONE);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> push((long) i32());
                case 'K' -> push((long) u8());
                case 'M' -> push((long) (u8() | (u8() << 8)));
                case 0x8a -> push(longFrom(bytes(u8()))); // LONG1
                case 0x8b -> push(longFrom(bytes(len32()))); // LONG4
                case 'G' -> push(ByteBuffer.wrap(bytes(8)).order(ByteOrder.BIG_ENDIAN).getDouble());
                case 'X' -> push(utf8(bytes(len32()))); // BINUNICODE
                case 0x8c -> push(utf8(bytes(u8()))); // SHORT_BINUNICODE
                case 0x8d -> push(utf8(bytes(len64()))); // BINUNICODE8
                case 'T' -> push(new String(bytes(len32()), StandardCharsets.ISO_8859_1)); // BINSTRING (Python 2 str)
                case 'U' -> push(new String(bytes(u8()), StandardCharsets.ISO_8859_1)); // SHORT_BINSTRING
                case 'B' -> push(bytes(len32())); // BINBYTES
                case 'C' -> push(bytes(u8())); // SHORT_BINBYTES
                case 0x8e -> push(bytes(len64())); // BINBYTES8
                case 't' -> push(List.copyOf(popMark()));
                case 0x85 -> push(List.of(pop()));
                case 0x86 -> { Object b = pop(), a = pop(); push(List.of(a, b)); }
                case 0x87 -> { Object c = pop(), b = pop(), a = pop(); push(List.of(a, b, c)); }
                case 'l' -> push(new ArrayList<>(popMark()));
                case 'd' -> { PyDict d = new PyDict(); putPairs(d, popMark()); push(d); }
                case 'a' -> { Object v = pop(); list(peek()).add(v); }
                case 'e' -> { List<Object> items = popMark(); list(peek()).addAll(items); }
                case 's' -> { Object v = pop(), k = pop(); putPairs(dict(peek()), List.of(k, v)); }
                case 'u' -> { List<Object> items = popMark(); putPairs(dict(peek()), items); }
                case '0' -> pop(); // POP
                case '1' -> popMark(); // POP_MARK
                case '2' -> push(peek()); // DUP
                case 'q' -> memo.put((long) u8(), peek()); // BINPUT
                case 'r' -> memo.put(len32Unchecked(), peek()); // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), peek()); // MEMOIZE
                case 'h' -> push(memoGet(u8())); // BINGET
                case 'j' -> push(memoGet(len32Unchecked())); // LONG_BINGET
                case 'c' -> push(global(line(), line())); // GLOBAL "module\nname\n"
                case 0x93 -> { Object name = pop(), module = pop(); push(global(str(module, "module"), str(name, "name"))); }
                case 'R' -> reduce();
                case 'b' -> build();
                case 'Q' -> push(persistent(pop())); // BINPERSID
                case 'P' -> push(persistent(line())); // PERSID
                default -> throw fail("unsupported pickle opcode " + opName(op)
                        + " (only the opcodes torch.save emits for tensors and dicts are allowed)");
            }
        }
    }

    private void reduce() {
        Object args = pop();
        Object callable = pop();
        if (!(callable instanceof Global g)) throw fail("REDUCE on a " + typeName(callable) + ", expected an allowed global");
        if (!(args instanceof List<?> a)) throw fail("REDUCE arguments for " + g.qualifiedName + ": expected a tuple, found " + typeName(args));
        try {
            @SuppressWarnings("unchecked") List<Object> argList = (List<Object>) a;
            push(g.function.apply(argList));
        } catch (BadInputException e) {
            throw e;
        } catch (RuntimeException e) {
            throw fail("calling " + g.qualifiedName + ": " + IoErrors.describe(e));
        }
    }

    private void build() {
        Object state = pop();
        Object target = peek();
        if (target instanceof PyDict d && state instanceof PyDict s) {
            d.attributes = s; // OrderedDict's __dict__, e.g. state_dict._metadata (per-module versions)
        } else {
            throw fail("BUILD on a " + typeName(target) + " with a " + typeName(state)
                    + " state is not supported (only attributes of a dict)");
        }
    }

    private Object global(String module, String name) {
        String q = module + "." + name;
        Function<List<Object>, Object> f = allowed.get(q);
        if (f == null) {
            throw fail("forbidden global " + IoErrors.quote(q) + " (a weights file only needs "
                    + "collections.OrderedDict and torch's tensor rebuilders; refusing to run anything else)");
        }
        return new Global(q, f);
    }

    private Object persistent(Object pid) {
        if (persistentLoad == null) throw fail("persistent id in a pickle that should have none");
        Object v = persistentLoad.apply(pid);
        if (v == null) throw fail("unknown persistent id");
        return v;
    }

    private void putPairs(PyDict d, List<Object> items) {
        if (items.size() % 2 != 0) throw fail("odd number of items for a dict");
        for (int i = 0; i < items.size(); i += 2) {
            Object k = items.get(i);
            // Only scalar keys: Python would reject unhashable lists/dicts, and it keeps hashing shallow for us.
            if (!(k instanceof String || k instanceof Long || k instanceof BigInteger || k instanceof Double
                    || k instanceof Boolean || k == NONE)) {
                throw fail("dict key of type " + typeName(k) + " (expected str or int)");
            }
            d.put(k, items.get(i + 1));
        }
    }

    private Object memoGet(long key) {
        Object v = memo.get(key);
        if (v == null) throw fail("memo key " + key + " was never stored");
        return v;
    }

    // ---- stack

    private void push(Object o) { stack.add(o); }

    private Object pop() {
        if (stack.isEmpty()) throw fail("stack underflow");
        return stack.removeLast();
    }

    private Object peek() {
        if (stack.isEmpty()) throw fail("stack underflow");
        return stack.getLast();
    }

    private List<Object> popMark() {
        if (metastack.isEmpty()) throw fail("no MARK on the stack");
        List<Object> items = stack;
        stack = metastack.pop();
        return items;
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o) {
        if (o instanceof ArrayList<?> l) return (List<Object>) l;
        throw fail("APPEND to a " + typeName(o) + ", expected a list");
    }

    private PyDict dict(Object o) {
        if (o instanceof PyDict d) return d;
        throw fail("SETITEM on a " + typeName(o) + ", expected a dict");
    }

    private String str(Object o, String what) {
        if (o instanceof String s) return s;
        throw fail("STACK_GLOBAL " + what + ": expected a str, found " + typeName(o));
    }

    // ---- bytes

    private int u8() {
        if (pos >= end) throw fail("pickle ends without STOP (truncated?)");
        return buf[pos++] & 0xff;
    }

    private int i32() {
        return u8() | (u8() << 8) | (u8() << 16) | (u8() << 24);
    }

    private long len32Unchecked() {
        return i32() & 0xffffffffL;
    }

    private int len32() {
        return checkLen(len32Unchecked());
    }

    private int len64() {
        long lo = len32Unchecked(), hi = len32Unchecked();
        return checkLen(hi != 0 ? Long.MAX_VALUE : lo);
    }

    private int checkLen(long n) {
        if (n > end - pos) throw fail("a length of " + n + " bytes runs past the end of the pickle (" + (end - pos) + " bytes left)");
        return (int) n;
    }

    private byte[] bytes(int n) {
        checkLen(n);
        byte[] b = Arrays.copyOfRange(buf, pos, pos + n);
        pos += n;
        return b;
    }

    private void skip(int n) {
        checkLen(n);
        pos += n;
    }

    private String line() {
        int start = pos;
        while (pos < end && buf[pos] != '\n') {
            if (pos - start > 256) throw fail("a GLOBAL/PERSID line longer than 256 bytes");
            pos++;
        }
        if (pos >= end) throw fail("pickle ends inside a text line");
        String s = new String(buf, start, pos - start, StandardCharsets.UTF_8);
        pos++;
        return s;
    }

    private String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static Object longFrom(byte[] le) {
        if (le.length == 0) return 0L;
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) be[i] = le[le.length - 1 - i];
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    // ---- errors

    private BadInputException fail(String what) {
        return IoErrors.bad(source, "at byte " + opPos + ": " + what);
    }

    private static String opName(int op) {
        String names = switch (op) {
            case 'i' -> "INST";
            case 'o' -> "OBJ";
            case 0x81 -> "NEWOBJ";
            case 0x92 -> "NEWOBJ_EX";
            case 0x82, 0x83, 0x84 -> "EXT";
            case 'I' -> "INT";
            case 'L' -> "LONG";
            case 'F' -> "FLOAT";
            case 'S' -> "STRING";
            case 'V' -> "UNICODE";
            case 'p' -> "PUT";
            case 'g' -> "GET";
            case 0x8f -> "EMPTY_SET";
            case 0x90 -> "ADDITEMS";
            case 0x91 -> "FROZENSET";
            case 0x96 -> "BYTEARRAY8";
            case 0x97 -> "NEXT_BUFFER";
            case 0x98 -> "READONLY_BUFFER";
            default -> "";
        };
        return String.format("0x%02x", op) + (op >= 0x20 && op < 0x7f ? " '" + (char) op + "'" : "")
                + (names.isEmpty() ? "" : " (" + names + ")");
    }

    /** A short Python-ish type name for error messages (never the value: it may be huge or cyclic). */
    public static String typeName(Object o) {
        if (o == NONE) return "None";
        if (o instanceof PyDict) return "dict";
        if (o instanceof ArrayList<?>) return "list";
        if (o instanceof List<?>) return "tuple";
        if (o instanceof String) return "str";
        if (o instanceof Long || o instanceof BigInteger) return "int";
        if (o instanceof Double) return "float";
        if (o instanceof Boolean) return "bool";
        if (o instanceof byte[]) return "bytes";
        if (o instanceof Global g) return "global " + g.qualifiedName;
        return o == null ? "nothing" : o.getClass().getSimpleName();
    }
}
