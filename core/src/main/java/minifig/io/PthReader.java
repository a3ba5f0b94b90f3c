package minifig.io;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import minifig.tensor.Tensor;

/**
 * Reads PyTorch checkpoints ({@code torch.save} of a state_dict) without running any of their code.
 *
 * <pre>
 * zip format (torch >= 1.6):  NAME/data.pkl   the pickled object; storages appear as persistent ids
 *                                             ('storage', torch.FloatStorage, key, location, numel)
 *                             NAME/data/KEY   the raw little-endian bytes of storage KEY
 *                             (NAME, the top folder, is the file's stem when saved, so it varies)
 * legacy format:              five pickles in a row (magic number, protocol version, sys info, the object,
 *                             the sorted storage keys), then per key: int64 element count + raw bytes
 * </pre>
 *
 * The pickles go through {@link Unpickler} with an allowlist of exactly what a state_dict needs
 * (collections.OrderedDict, torch._utils._rebuild_tensor[_v2], _rebuild_parameter, torch.Size and the
 * torch.*Storage types), so a malicious file can only fail. Tensors may view a storage at an offset, with
 * any non-negative strides (materialised contiguous) and share storages; every dtype becomes float32 and
 * the stored dtype is reported (int64 {@code num_batches_tracked} stays recognisable).
 *
 * <p>The state_dict is the pickled dict itself when all its values are tensors, else the first of
 * {@code state_dict}, {@code model_state_dict}, {@code model} that is (training checkpoints such as
 * {"epoch": 3, "state_dict": ..., "optimizer": ...}). Other entries are parsed but ignored.
 */
public final class PthReader {
    /** Keys checked, in order, when the checkpoint wraps its state_dict in a dict. */
    public static final List<String> WRAPPER_KEYS = List.of("state_dict", "model_state_dict", "model");
    private static final long MAX_PICKLE_BYTES = 256L << 20;
    private static final long LEGACY_MAGIC_HI = 0x1950L, LEGACY_MAGIC_LO = 0xa86a20f9469cfc6cL;

    private PthReader() {}

    private static final Map<String, DType> STORAGE_TYPES = Map.of(
            "FloatStorage", DType.F32, "DoubleStorage", DType.F64, "HalfStorage", DType.F16,
            "BFloat16Storage", DType.BF16, "LongStorage", DType.I64, "IntStorage", DType.I32,
            "ShortStorage", DType.I16, "CharStorage", DType.I8, "ByteStorage", DType.U8, "BoolStorage", DType.BOOL);


    /** A storage named by a persistent id; its bytes are fetched later (zip entry or legacy tail). */
    private record StorageRef(String key, DType dtype, long numel) {}

    /** What torch._utils._rebuild_tensor_v2 would have built: a strided view of a storage. */
    private record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {}

    /** Reads the state_dict in {@code path} (zip or legacy format). */
    public static TensorFile read(Path path) {
        byte[] head;
        try (InputStream in = Files.newInputStream(path)) {
            head = in.readNBytes(4);
        } catch (IOException e) {
            throw IoErrors.readFailure(path, e);
        }
        if (head.length == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) return readZip(path);
        if (head.length >= 2 && (head[0] & 0xff) == 0x80 && head[1] >= 2) return readLegacy(path);
        throw IoErrors.bad(path, "expected a PyTorch checkpoint (a zip archive, or a legacy pickle starting with 0x80),"
                + " found " + (head.length == 0 ? "an empty file" : "bytes " + hex(head)));
    }

    // ------------------------------------------------------------------ zip format

    private static TensorFile readZip(Path path) {
        try (ZipFile zip = new ZipFile(path.toFile())) {
            ZipEntry pkl = null;
            for (var en = zip.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                String n = e.getName();
                if (n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length()) {
                    if (pkl != null) throw IoErrors.bad(path, "expected one */data.pkl in the archive, found " + pkl.getName() + " and " + n);
                    pkl = e;
                }
            }
            if (pkl == null) throw IoErrors.bad(path, "expected a PyTorch zip checkpoint with <name>/data.pkl, found no data.pkl entry");
            String prefix = pkl.getName().substring(0, pkl.getName().length() - "data.pkl".length());
            ZipEntry order = zip.getEntry(prefix + "byteorder");
            if (order != null) {
                String bo = new String(readEntry(path, zip, order, 16), StandardCharsets.US_ASCII).strip();
                if (!bo.equals("little")) throw IoErrors.bad(path, prefix + "byteorder: expected 'little', found " + IoErrors.quote(bo));
            }
            byte[] pickle = readEntry(path, zip, pkl, MAX_PICKLE_BYTES);
            Map<String, StorageRef> storages = new HashMap<>();
            Object root = new Unpickler(path + ": " + pkl.getName(), pickle, 0, pickle.length, ALLOWED,
                    pid -> storageFromPid(path, pid, storages)).load();
            Map<String, TensorRef> sd = stateDict(path, root);
            Map<String, byte[]> bytes = new HashMap<>();
            Function<StorageRef, byte[]> fetch = s -> bytes.computeIfAbsent(s.key, k -> {
                ZipEntry e = zip.getEntry(prefix + "data/" + k);
                if (e == null) throw IoErrors.bad(path, "storage '" + k + "': entry " + prefix + "data/" + k + " is missing from the archive");
                long want = s.numel * s.dtype.bytes;
                if (e.getSize() != want) {
                    throw IoErrors.bad(path, "storage '" + k + "': expected " + want + " bytes (" + s.numel + " x " + s.dtype
                            + "), entry " + e.getName() + " has " + e.getSize());
                }
                try {
                    return readEntry(path, zip, e, want);
                } catch (IOException ex) {
                    throw IoErrors.bad(path, "storage '" + k + "': cannot read entry " + e.getName() + ": " + IoErrors.describe(ex), ex);
                }
            });
            return materialise(path, sd, fetch);
        } catch (IOException | RuntimeException e) {
            if (e instanceof minifig.BadInputException b) throw b;
            // java.util.zip reports damaged archives with ZipException and, for some damage, runtime exceptions
            throw IoErrors.bad(path, "damaged or truncated zip archive: " + IoErrors.describe(e), e);
        }
    }

    private static byte[] readEntry(Path path, ZipFile zip, ZipEntry e, long max) throws IOException {
        long size = e.getSize();
        if (size < 0 || size > max) throw IoErrors.bad(path, "entry " + e.getName() + ": expected at most " + max + " bytes, found " + size);
        // a deflated entry can expand at most ~1032x: anything claiming more is a lie we must not allocate for
        if (e.getMethod() == ZipEntry.DEFLATED && size > 1100 * Math.max(e.getCompressedSize(), 1)) {
            throw IoErrors.bad(path, "entry " + e.getName() + ": claims " + size + " bytes from " + e.getCompressedSize() + " compressed");
        }
        try (InputStream in = zip.getInputStream(e)) {
            byte[] b = in.readNBytes((int) size);
            if (b.length != size) throw IoErrors.bad(path, "entry " + e.getName() + ": expected " + size + " bytes, found " + b.length + " (truncated)");
            // java.util.zip does not check the CRC of stored entries, and torch stores everything uncompressed
            CRC32 crc = new CRC32();
            crc.update(b);
            if (e.getCrc() != -1 && crc.getValue() != e.getCrc()) {
                throw IoErrors.bad(path, "entry " + e.getName() + ": expected CRC-32 " + Long.toHexString(e.getCrc()) + ", found "
                        + Long.toHexString(crc.getValue()) + " (the file is corrupted)");
            }
            return b;
        }
    }

    // ------------------------------------------------------------------ legacy format

    private static TensorFile readLegacy(Path path) {
        byte[] all;
        try {
            long size = Files.size(path);
            if (size > Integer.MAX_VALUE - 8) throw IoErrors.bad(path, "legacy checkpoint of " + size + " bytes is too large (max 2 GB); re-save it with torch.save");
            all = Files.readAllBytes(path);
        } catch (IOException e) {
            throw IoErrors.readFailure(path, e);
        }
        String src = path + ": legacy pickle";
        Unpickler plain = new Unpickler(src, all, 0, all.length, Map.of(), null);
        Object magic = plain.load();
        BigInteger expectedMagic = BigInteger.valueOf(LEGACY_MAGIC_HI).shiftLeft(64).or(new BigInteger(Long.toUnsignedString(LEGACY_MAGIC_LO)));
        if (!expectedMagic.equals(magic)) {
            throw IoErrors.bad(path, "legacy format: expected the magic number 0x1950a86a20f9469cfc6c, found a " + Unpickler.typeName(magic)
                    + " (not a PyTorch checkpoint)");
        }
        int at = plain.position();
        plain = new Unpickler(src, all, at, all.length, Map.of(), null);
        Object protocol = plain.load();
        if (!Long.valueOf(1001).equals(protocol)) throw IoErrors.bad(path, "legacy format: expected protocol version 1001, found " + describeScalar(protocol));
        at = plain.position();
        plain = new Unpickler(src, all, at, all.length, Map.of(), null);
        Object sysInfo = plain.load();
        if (sysInfo instanceof Unpickler.PyDict info && Boolean.FALSE.equals(info.get("little_endian"))) {
            throw IoErrors.bad(path, "legacy format: sys_info little_endian: expected True, found False (big-endian checkpoints are not supported)");
        }
        at = plain.position();
        Map<String, StorageRef> storages = new LinkedHashMap<>();
        Unpickler main = new Unpickler(src, all, at, all.length, ALLOWED, pid -> storageFromPid(path, pid, storages));
        Object root = main.load();
        at = main.position();
        Unpickler keysReader = new Unpickler(src, all, at, all.length, Map.of(), null);
        Object keys = keysReader.load();
        int pos = keysReader.position();
        if (!(keys instanceof List<?> keyList)) throw IoErrors.bad(path, "legacy format: storage keys: expected a list, found " + Unpickler.typeName(keys));

        Map<String, byte[]> bytes = new HashMap<>();
        ByteBuffer bb = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        for (Object k : keyList) {
            if (!(k instanceof String key)) throw IoErrors.bad(path, "legacy format: storage key: expected a str, found " + Unpickler.typeName(k));
            StorageRef s = storages.get(key);
            if (s == null) throw IoErrors.bad(path, "legacy format: storage '" + key + "' is listed but no tensor uses it");
            if (all.length - pos < 8) throw IoErrors.bad(path, "storage '" + key + "': expected its 8-byte element count at byte " + pos + ", found the end of the file");
            long numel = bb.getLong(pos);
            pos += 8;
            if (numel != s.numel) throw IoErrors.bad(path, "storage '" + key + "': expected " + s.numel + " elements, the file says " + numel);
            long n = numel * s.dtype.bytes;
            if (n > all.length - pos) {
                throw IoErrors.bad(path, "storage '" + key + "': expected " + n + " bytes, found " + (all.length - pos) + " before the end of the file (truncated)");
            }
            bytes.put(key, Arrays.copyOfRange(all, pos, pos + (int) n));
            pos += (int) n;
        }
        if (pos != all.length) throw IoErrors.bad(path, "legacy format: expected the file to end after the storages at byte " + pos + ", found " + (all.length - pos) + " more bytes");
        Map<String, TensorRef> sd = stateDict(path, root);
        return materialise(path, sd, s -> {
            byte[] b = bytes.get(s.key);
            if (b == null) throw IoErrors.bad(path, "storage '" + s.key + "' is missing from the file");
            return b;
        });
    }

    // ------------------------------------------------------------------ pickle allowlist

    /** "torch.FloatStorage" -> F32, ... */
    private static final Map<String, DType> STORAGE_GLOBALS = storageGlobals();

    private static Map<String, DType> storageGlobals() {
        Map<String, DType> m = new HashMap<>();
        STORAGE_TYPES.forEach((k, v) -> m.put("torch." + k, v));
        return Map.copyOf(m);
    }

    private static final Map<String, Function<List<Object>, Object>> ALLOWED = allowlist();

    private static Map<String, Function<List<Object>, Object>> allowlist() {
        Map<String, Function<List<Object>, Object>> m = new HashMap<>();
        m.put("collections.OrderedDict", args -> {
            if (!args.isEmpty()) throw new IllegalArgumentException("expected no arguments, found " + args.size());
            return new Unpickler.PyDict();
        });
        m.put("torch._utils._rebuild_tensor_v2", args -> rebuildTensor(args, 6, 7));
        m.put("torch._utils._rebuild_tensor", args -> rebuildTensor(args, 4, 4));
        m.put("torch._utils._rebuild_parameter", args -> {
            if (args.size() != 3 || !(args.get(0) instanceof TensorRef t)) throw new IllegalArgumentException("expected (tensor, requires_grad, hooks)");
            return t;
        });
        m.put("torch.Size", args -> {
            if (args.size() != 1 || !(args.get(0) instanceof List<?> dims)) throw new IllegalArgumentException("expected one tuple");
            return List.copyOf(dims);
        });
        for (String storage : STORAGE_GLOBALS.keySet()) {
            m.put(storage, args -> {
                throw new IllegalArgumentException("storage types may only appear in persistent ids");
            });
        }
        return Map.copyOf(m);
    }

    private static TensorRef rebuildTensor(List<Object> a, int minArgs, int maxArgs) {
        if (a.size() < minArgs || a.size() > maxArgs) {
            throw new IllegalArgumentException("expected " + minArgs + (maxArgs > minArgs ? "-" + maxArgs : "") + " arguments, found " + a.size());
        }
        if (!(a.get(0) instanceof StorageRef s)) throw new IllegalArgumentException("argument 0: expected a storage, found " + Unpickler.typeName(a.get(0)));
        if (!(a.get(1) instanceof Long offset)) throw new IllegalArgumentException("storage offset: expected an int, found " + Unpickler.typeName(a.get(1)));
        return new TensorRef(s, offset, longs(a.get(2), "size"), longs(a.get(3), "stride"));
    }

    private static long[] longs(Object o, String what) {
        if (!(o instanceof List<?> l)) throw new IllegalArgumentException(what + ": expected a tuple of ints, found " + Unpickler.typeName(o));
        long[] r = new long[l.size()];
        for (int i = 0; i < r.length; i++) {
            if (!(l.get(i) instanceof Long v)) throw new IllegalArgumentException(what + "[" + i + "]: expected an int, found " + Unpickler.typeName(l.get(i)));
            r[i] = v;
        }
        return r;
    }

    private static Object storageFromPid(Path path, Object pid, Map<String, StorageRef> storages) {
        if (!(pid instanceof List<?> t) || t.size() < 5 || !"storage".equals(t.get(0))) {
            throw IoErrors.bad(path, "persistent id: expected ('storage', type, key, location, numel), found a " + Unpickler.typeName(pid)
                    + (pid instanceof List<?> l ? " of " + l.size() : ""));
        }
        if (!(t.get(1) instanceof Unpickler.Global g) || !STORAGE_GLOBALS.containsKey(g.qualifiedName())) {
            throw IoErrors.bad(path, "persistent id: expected a torch.*Storage type, found " + Unpickler.typeName(t.get(1)));
        }
        if (!(t.get(2) instanceof String key)) throw IoErrors.bad(path, "persistent id: storage key: expected a str, found " + Unpickler.typeName(t.get(2)));
        if (!(t.get(4) instanceof Long numel) || numel < 0 || numel > Integer.MAX_VALUE - 8) {
            throw IoErrors.bad(path, "storage '" + key + "': element count: expected 0.." + (Integer.MAX_VALUE - 8) + ", found " + describeScalar(t.get(4)));
        }
        if (t.size() > 5 && t.get(5) != Unpickler.NONE) {
            throw IoErrors.bad(path, "storage '" + key + "': legacy storage views (PyTorch < 0.4) are not supported; re-save with a newer PyTorch");
        }
        DType dtype = STORAGE_GLOBALS.get(g.qualifiedName());
        StorageRef ref = new StorageRef(key, dtype, numel);
        StorageRef prev = storages.putIfAbsent(key, ref);
        if (prev != null && !prev.equals(ref)) {
            throw IoErrors.bad(path, "storage '" + key + "': referenced as " + prev.numel + " x " + prev.dtype + " and as " + numel + " x " + dtype);
        }
        return prev != null ? prev : ref;
    }

    // ------------------------------------------------------------------ state_dict and tensors

    private static Map<String, TensorRef> stateDict(Path path, Object root) {
        Map<String, TensorRef> sd = asStateDict(root);
        if (sd != null) return sd;
        if (root instanceof Unpickler.PyDict d) {
            for (String k : WRAPPER_KEYS) {
                sd = asStateDict(d.get(k));
                if (sd != null) return sd;
            }
            List<String> keys = new ArrayList<>();
            for (Object k : d.keySet()) if (keys.size() < 10) keys.add(k instanceof String s ? IoErrors.quote(s) : Unpickler.typeName(k));
            String bad = "";
            for (var e : d.entrySet()) {
                if (!(e.getValue() instanceof TensorRef)) {
                    bad = "; entry " + (e.getKey() instanceof String s ? IoErrors.quote(s) : Unpickler.typeName(e.getKey())) + " is a " + Unpickler.typeName(e.getValue());
                    break;
                }
            }
            throw IoErrors.bad(path, "expected a state_dict (a dict of name -> tensor) or a dict holding one under "
                    + WRAPPER_KEYS + ", found a dict with keys " + keys + (d.size() > 10 ? "..." : "") + bad);
        }
        throw IoErrors.bad(path, "expected a state_dict (a dict of name -> tensor), found a " + Unpickler.typeName(root));
    }

    private static Map<String, TensorRef> asStateDict(Object o) {
        if (!(o instanceof Unpickler.PyDict d)) return null;
        Map<String, TensorRef> sd = new LinkedHashMap<>();
        for (var e : d.entrySet()) {
            if (!(e.getKey() instanceof String k) || !(e.getValue() instanceof TensorRef t)) return null;
            sd.put(k, t);
        }
        return sd;
    }

    private static TensorFile materialise(Path path, Map<String, TensorRef> sd, Function<StorageRef, byte[]> fetch) {
        Map<String, float[]> decoded = new HashMap<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, DType> dtypes = new LinkedHashMap<>();
        for (var e : sd.entrySet()) {
            String name = e.getKey();
            TensorRef t = e.getValue();
            StorageRef s = t.storage;
            int[] shape = checkView(path, name, t);
            float[] storage = decoded.computeIfAbsent(s.key, k -> {
                float[] f = new float[(int) s.numel];
                t.storage.dtype.decode(ByteBuffer.wrap(fetch.apply(s)), f, f.length);
                return f;
            });
            tensors.put(name, new Tensor(gather(storage, t, shape), shape));
            dtypes.put(name, s.dtype);
        }
        return new TensorFile(tensors, dtypes, new Metadata(path.toString()));
    }

    // Checks that every element the view touches lies inside its storage, before anything is copied.
    private static int[] checkView(Path path, String name, TensorRef t) {
        String where = "tensor " + IoErrors.quote(name) + ": ";
        if (t.size.length != t.stride.length) {
            throw IoErrors.bad(path, where + "size " + Arrays.toString(t.size) + " and stride " + Arrays.toString(t.stride) + " differ in rank");
        }
        int[] shape = new int[t.size.length];
        long count = 1, last = t.offset;
        for (int i = 0; i < shape.length; i++) {
            if (t.size[i] < 0 || t.stride[i] < 0) {
                throw IoErrors.bad(path, where + "size " + Arrays.toString(t.size) + " / stride " + Arrays.toString(t.stride) + ": expected non-negative values");
            }
            count = t.size[i] == 0 ? 0 : Math.min(Long.MAX_VALUE / Math.max(t.size[i], 1), count) * t.size[i];
            shape[i] = (int) Math.min(t.size[i], Integer.MAX_VALUE);
        }
        if (count > Integer.MAX_VALUE - 8) throw IoErrors.bad(path, where + "size " + Arrays.toString(t.size) + " has more than 2^31 elements");
        if (count == 0) return shape;
        for (int i = 0; i < shape.length; i++) {
            // (size-1)*stride <= storage numel (< 2^31) for a valid view; larger values fail below without overflow
            if (t.stride[i] > 0 && t.size[i] - 1 > (Integer.MAX_VALUE) / t.stride[i]) last = Long.MAX_VALUE;
            else last = last == Long.MAX_VALUE ? last : last + (t.size[i] - 1) * t.stride[i];
        }
        if (t.offset < 0 || last >= t.storage.numel) {
            throw IoErrors.bad(path, where + "view (offset " + t.offset + ", size " + Arrays.toString(t.size) + ", stride "
                    + Arrays.toString(t.stride) + ") reaches past the end of storage '" + t.storage.key + "' (" + t.storage.numel + " elements)");
        }
        return shape;
    }

    // Copies a strided view into a fresh contiguous row-major array (odometer over the indices).
    private static float[] gather(float[] storage, TensorRef t, int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] out = new float[n];
        if (n == 0) return out;
        int rank = shape.length;
        boolean contiguous = true;
        long expect = 1;
        for (int i = rank - 1; i >= 0; i--) {
            if (shape[i] != 1 && t.stride[i] != expect) contiguous = false;
            expect *= shape[i];
        }
        if (contiguous) {
            System.arraycopy(storage, (int) t.offset, out, 0, n);
            return out;
        }
        int[] idx = new int[rank];
        long src = t.offset;
        for (int i = 0; i < n; i++) {
            out[i] = storage[(int) src];
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) {
                    src += t.stride[d];
                    break;
                }
                src -= (long) (shape[d] - 1) * t.stride[d];
                idx[d] = 0;
            }
        }
        return out;
    }

    private static String describeScalar(Object o) {
        return o instanceof Long || o instanceof Boolean || o instanceof Double ? o.toString()
                : o instanceof String s ? IoErrors.quote(s) : "a " + Unpickler.typeName(o);
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x & 0xff));
        return sb.toString();
    }
}
