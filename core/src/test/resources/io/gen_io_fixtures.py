#!/usr/bin/python3
"""Generates the small test files under core/src/test/resources/io and checks the Java writer's output.

Run from anywhere with /usr/bin/python3 (torch 1.13): it rewrites the fixtures next to this script, then
verifies java_written.safetensors (pinned by SafetensorsTest) with a strict reader that applies the
safetensors reference rules, loading the tensors with torch. Every file stays under a few KB.

Expected values for the .pth and TF.js fixtures are written as safetensors (our own reference-layout
writer below), so the Java tests compare their readers against an independent encoding.
"""
import io
import json
import os
import pickle
import struct
import sys
import zipfile

import torch

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
MARKER = "/tmp/minifig-io-pwned-marker"  # the malicious pickles would create this file if executed

ST_DTYPES = {  # safetensors name -> (torch dtype, bytes)
    "F64": (torch.float64, 8), "F32": (torch.float32, 4), "F16": (torch.float16, 2), "BF16": (torch.bfloat16, 2),
    "I64": (torch.int64, 8), "I32": (torch.int32, 4), "I16": (torch.int16, 2), "I8": (torch.int8, 1),
    "U8": (torch.uint8, 1), "BOOL": (torch.bool, 1),
}
TORCH_TO_ST = {v[0]: k for k, v in ST_DTYPES.items()}


def out(name):
    return os.path.join(HERE, name)


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: go through int16 bits
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    return t.numpy().tobytes()  # x86: little-endian already


def st_save(path, tensors, metadata=None):
    """Writes safetensors the way the reference library lays files out: tensors sorted by dtype size
    (largest first) then name, compact JSON with __metadata__ first, header space-padded to 8 bytes."""
    order = sorted(tensors, key=lambda k: (-ST_DTYPES[TORCH_TO_ST[tensors[k].dtype]][1], k))
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for k in order:
        b = tensor_bytes(tensors[k])
        header[k] = {"dtype": TORCH_TO_ST[tensors[k].dtype], "shape": list(tensors[k].shape),
                     "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def st_load(path):
    """A strict safetensors reader applying the reference library's validation rules."""
    data = open(path, "rb").read()
    assert len(data) >= 8, "file too short"
    n = struct.unpack("<Q", data[:8])[0]
    assert n <= 100_000_000 and 8 + n <= len(data), "header too large"
    raw = data[8:8 + n]
    assert raw[:1] == b"{", "header must start with {"
    assert n % 8 == 0, "reference writers pad the header to 8 bytes"
    header = json.loads(raw.decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()), "metadata must be str->str"
    body = data[8 + n:]
    entries = sorted(header.items(), key=lambda kv: tuple(kv[1]["data_offsets"]))
    pos, result = 0, {}
    for name, info in entries:
        assert set(info) == {"dtype", "shape", "data_offsets"}, f"{name}: unexpected fields {set(info)}"
        dt, size = ST_DTYPES[info["dtype"]]
        b, e = info["data_offsets"]
        assert b == pos, f"{name}: gap or overlap at {b} (expected {pos})"
        numel = 1
        for d in info["shape"]:
            assert isinstance(d, int) and d >= 0
            numel *= d
        assert e - b == numel * size, f"{name}: size mismatch"
        buf = bytearray(body[b:e])
        t = torch.frombuffer(buf, dtype=dt) if numel else torch.empty(0, dtype=dt)
        result[name] = t.reshape(info["shape"]).clone()
        pos = e
    assert pos == len(body), "data section has trailing bytes"
    # header order must be preserved as written (state_dict order)
    return {k: result[k] for k in header}, metadata


def zwrite(z, name, data):
    """Adds a stored entry with a fixed timestamp, so regenerating gives identical bytes."""
    z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)


def ramp(scale, *shape):
    n = 1
    for d in shape:
        n *= d
    return ((torch.arange(n, dtype=torch.float32) - n / 2) * scale).reshape(shape)


def verify_java_written():
    """Checks the bytes pinned by SafetensorsTest.referenceEntries()."""
    path = out("java_written.safetensors")
    if not os.path.exists(path):
        print("java_written.safetensors missing: run SafetensorsTest with -Dminifig.io.regenerate=<this dir>")
        return
    tensors, md = st_load(path)
    assert list(tensors) == ["conv1.weight", "bn1.weight", "bn1.num_batches_tracked", "fc.bias", "fc.weight", "emb",
                             "empty"], list(tensors)
    expect = {"conv1.weight": ramp(0.25, 2, 1, 3, 3), "bn1.weight": ramp(0.5, 3),
              "bn1.num_batches_tracked": torch.tensor(7, dtype=torch.int64),
              "fc.bias": ramp(1, 5).half(), "fc.weight": ramp(0.125, 5, 2).double(), "emb": ramp(0.75, 4).bfloat16(),
              "empty": torch.zeros(0, 3)}
    for k, v in expect.items():
        assert tensors[k].dtype == v.dtype and tensors[k].shape == v.shape and torch.equal(tensors[k], v), k
    assert md == {"format": "minifig/1", "classes": '["tench","goldfish"]', "metrics": '{"top1":0.5}'}, md
    print("java_written.safetensors: OK (strict reader + torch)")


def gen_safetensors():
    st_save(out("ref_python.safetensors"), {
        "w": torch.arange(6, dtype=torch.float32).reshape(2, 3) * 0.5 - 1,
        "d": torch.tensor([0.1, 0.2], dtype=torch.float64),
        "n": torch.tensor([-3, 2 ** 20], dtype=torch.int64),
        "h": torch.tensor([1.5, -2, 65504], dtype=torch.float16),
        "b": torch.tensor([1, -0.5, 3.140625], dtype=torch.bfloat16),
        "i": torch.tensor([-7, 8], dtype=torch.int32),
        "u": torch.tensor([0, 255], dtype=torch.uint8),
    }, {"writer": "python"})


# ---------------------------------------------------------------- .npy

def gen_npy():
    import numpy as np
    x = (np.arange(2 * 3 * 2 * 2, dtype="<f4").reshape(2, 3, 2, 2) - 11) / 4
    np.save(out("npy/nchw_v1.npy"), x)
    with open(out("npy/nchw_v2.npy"), "wb") as f:
        np.lib.format.write_array(f, x, version=(2, 0))
    np.save(out("npy/scalar.npy"), np.float32(1.5))
    np.save(out("bad/f64.npy"), x.astype("<f8"))
    np.save(out("bad/big_endian.npy"), x.astype(">f4"))
    np.save(out("bad/fortran.npy"), np.asfortranarray(x[0]))
    good = open(out("npy/nchw_v1.npy"), "rb").read()
    with open(out("bad/short_data.npy"), "wb") as f:
        f.write(good[:-4])


# ---------------------------------------------------------------- .pth

def mixed_dict():
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) * 0.5 - 3
    return {
        "f32": base,
        "transposed": base.t(),            # non-contiguous view of the same storage
        "slice": base[1:3, 2:5],           # storage offset 8, strides (6, 1)
        "row": base[2],                    # storage offset 12
        "every_other": base[:, ::2],       # strides (6, 2)
        "f64": torch.linspace(-1, 1, 5, dtype=torch.float64),
        "i64": torch.tensor([-3, 0, 2 ** 20], dtype=torch.int64),
        "f16": torch.tensor([[1.5, -2], [65504, 0.25]], dtype=torch.float16),
        "bf16": torch.tensor([1, -0.5], dtype=torch.bfloat16),
        "i32": torch.tensor([7, -8], dtype=torch.int32),
        "u8": torch.tensor([0, 200], dtype=torch.uint8),
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 2),
    }


def tiny_module():
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.BatchNorm2d(3), torch.nn.ReLU(),
                            torch.nn.Flatten(), torch.nn.Linear(3 * 2 * 2, 2))
    m.train()
    m(torch.randn(2, 2, 4, 4))  # moves running stats and num_batches_tracked off their defaults
    return m


def as_expected(d):
    return {k: (v.contiguous() if v.dtype == torch.int64 and k.endswith("num_batches_tracked")
                else v.float().contiguous()) for k, v in d.items()}


def gen_pth():
    mixed = mixed_dict()
    torch.save(mixed, out("pth/zip_mixed.pth"))
    torch.save(mixed, out("pth/legacy_mixed.pth"), _use_new_zipfile_serialization=False)
    st_save(out("pth/expected_mixed.safetensors"), as_expected(mixed))

    m = tiny_module()
    sd = m.state_dict()
    assert hasattr(sd, "_metadata")
    torch.save(sd, out("pth/bn_module.pth"))
    torch.save(sd, out("pth/legacy_bn_module.pth"), _use_new_zipfile_serialization=False)
    torch.save({"model": sd}, out("pth/wrapped_model.pth"))
    st_save(out("pth/expected_bn.safetensors"), as_expected(sd))  # before training below changes sd's tensors
    opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    m(torch.randn(1, 2, 4, 4)).sum().backward()
    opt.step()
    torch.save({"epoch": 3, "state_dict": m.state_dict(), "optimizer": opt.state_dict(), "best": 0.5, "note": None},
               out("pth/wrapped_state_dict.pth"))
    st_save(out("pth/expected_wrapped.safetensors"), as_expected(m.state_dict()))

    # --- bad files
    with open(out("bad/not_a_zip.pth"), "wb") as f:
        f.write(b"this is a text file, not a checkpoint\n" * 3)
    data = open(out("pth/zip_mixed.pth"), "rb").read()
    with open(out("bad/truncated.pth"), "wb") as f:
        f.write(data[: len(data) * 6 // 10])
    with zipfile.ZipFile(out("pth/zip_mixed.pth")) as src, \
            zipfile.ZipFile(out("bad/missing_storage.pth"), "w", zipfile.ZIP_STORED) as dst:
        for item in src.infolist():
            if not item.filename.endswith("/data/0"):
                zwrite(dst, item.filename, src.read(item.filename))
    # posix.system('touch MARKER') built by hand from pickle opcodes, inside a torch-style zip
    cmd = ("touch " + MARKER).encode()
    evil = (b"\x80\x02" + b"cposix\nsystem\n" + b"X" + struct.pack("<I", len(cmd)) + cmd + b"\x85" + b"R" + b".")
    with zipfile.ZipFile(out("bad/evil_system.pth"), "w", zipfile.ZIP_STORED) as z:
        zwrite(z, "archive/data.pkl", evil)
        zwrite(z, "archive/version", "3\n")
    # the same payload hidden in a legacy (non-zip) checkpoint after valid magic/protocol/sys_info pickles
    legacy = io.BytesIO()
    for obj in (0x1950a86a20f9469cfc6c, 1001, {"protocol_version": 1001, "little_endian": True,
                                               "type_sizes": {"short": 2, "int": 4, "long": 4}}):
        pickle.dump(obj, legacy, protocol=2)
    evil_os = (b"\x80\x02" + b"}q\x00X\x01\x00\x00\x00a" + b"cos\nsystem\n" + b"X" + struct.pack("<I", len(cmd))
               + cmd + b"\x85R" + b"s.")
    with open(out("bad/evil_legacy.pth"), "wb") as f:
        f.write(legacy.getvalue() + evil_os)


# ---------------------------------------------------------------- TF.js

def gen_tfjs():
    d = out("tfjs")
    os.makedirs(d, exist_ok=True)
    g1 = [("conv/kernel", ramp(0.5, 2, 2, 1, 3), "float32"), ("conv/bias", ramp(0.25, 3), "float32"),
          ("dense/kernel", ramp(1.5, 3, 2), "float32"), ("dense/bias", ramp(2, 2), "float32")]
    g2 = [("bn/gamma", ramp(0.125, 2), "float32"), ("step", torch.tensor([5, -6], dtype=torch.int32), "int32")]
    manifest = []
    for gi, (group, shard_size) in enumerate(((g1, 40), (g2, 1 << 20))):
        blob = b"".join(tensor_bytes(t) for _, t, _ in group)
        shards = [blob[i:i + shard_size] for i in range(0, len(blob), shard_size)]
        paths = []
        for si, s in enumerate(shards):
            name = f"group{gi + 1}-shard{si + 1}of{len(shards)}.bin"
            with open(os.path.join(d, name), "wb") as f:
                f.write(s)
            paths.append(name)
        manifest.append({"paths": paths, "weights": [{"name": n, "shape": list(t.shape), "dtype": dt}
                                                      for n, t, dt in group]})
    topology = {"keras_version": "2.2.4-tf", "backend": "tensorflow", "model_config": {
        "class_name": "Model", "config": {"name": "tiny", "layers": [
            {"class_name": "Conv2D", "name": "conv", "config": {"name": "conv", "filters": 3, "kernel_size": [2, 2],
                                                                 "strides": [1, 1], "padding": "valid"}},
            {"class_name": "Dense", "name": "dense", "config": {"name": "dense", "units": 2}}]}}}
    with open(os.path.join(d, "model.json"), "w") as f:
        json.dump({"format": "layers-model", "generatedBy": "gen_io_fixtures.py", "convertedBy": None,
                   "modelTopology": topology, "weightsManifest": manifest}, f, indent=1)
    st_save(os.path.join(d, "expected.safetensors"), {n: t.float() for n, t, _ in g1 + g2})


if __name__ == "__main__":
    for sub in ("npy", "pth", "bad", "tfjs"):
        os.makedirs(out(sub), exist_ok=True)
    gen_safetensors()
    gen_npy()
    gen_pth()
    gen_tfjs()
    verify_java_written()
    # our own reader must accept what our reference-layout writer produced
    for f in ("ref_python.safetensors", "pth/expected_mixed.safetensors", "tfjs/expected.safetensors"):
        st_load(out(f))
    print("fixtures written to", HERE)
    sys.exit(0)
