#!/usr/bin/python3
"""Writes the hand-made bad inputs under core/src/test/resources/robust (each a few hundred bytes).

The CLI robustness tests (minifig.robust.*) feed them to train, eval, predict and convert and expect one
line "error: <file>: ..." and exit status 2. The .pth and TF.js bad files live in ../io (reused, not copied).
Run with /usr/bin/python3 (PIL, no torch needed); the output is deterministic.
"""
import io
import json
import os
import struct
import zlib

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def st(header, data=b"", header_len=None):
    h = json.dumps(header, separators=(",", ":")).encode() if not isinstance(header, bytes) else header
    return struct.pack("<Q", len(h) if header_len is None else header_len) + h + data


def t(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


# ---- safetensors ----
write("st_header_past_end.safetensors", st({"w": t("F32", [2], 0, 8)}, bytes(8), header_len=4096))
write("st_header_huge.safetensors", st({"w": t("F32", [2], 0, 8)}, bytes(8), header_len=1 << 40))
write("st_invalid_json.safetensors", st(b'{"w":{"dtype":"F32","shape":[2],', bytes(8)))
write("st_overlap.safetensors", st({"a": t("F32", [2], 0, 8), "b": t("F32", [1], 4, 8)}, bytes(8)))
write("st_out_of_range.safetensors", st({"w": t("F32", [4], 0, 16)}, bytes(8)))
write("st_unknown_dtype.safetensors", st({"w": t("F4", [2], 0, 1)}, bytes(1)))
write("st_size_mismatch.safetensors", st({"w": t("F32", [3], 0, 8)}, bytes(8)))
# A valid plain state_dict (no minifig metadata): fine for convert, not a checkpoint.
write("st_plain_state_dict.safetensors", st({"fc.weight": t("F32", [2, 2], 0, 16), "fc.bias": t("F32", [2], 16, 24)},
                                            struct.pack("<6f", 1, 2, 3, 4, 5, 6)))
# Claims to be a minifig checkpoint but its metadata is broken.
meta = {"format": "minifig-checkpoint", "format_version": "1", "arch": "custom",
        "arch_config": '{"num_classes": 2, "in_channels": 3}', "labels": "[{\"id\": 1, \"name\": ", "preprocessing": "{}"}
write("st_bad_labels_json.safetensors", st({"__metadata__": meta, "w": t("F32", [1], 0, 4)}, bytes(4)))
meta = dict(meta, arch="vgg16", labels="[]")
write("st_unknown_arch.safetensors", st({"__metadata__": meta, "w": t("F32", [1], 0, 4)}, bytes(4)))


# ---- images ----
def png_bytes(img):
    b = io.BytesIO()
    img.save(b, "PNG")
    return b.getvalue()


def jpeg_bytes(img, **kw):
    b = io.BytesIO()
    img.save(b, "JPEG", quality=90, **kw)
    return b.getvalue()


rgb = Image.new("RGB", (32, 32))
for y in range(32):
    for x in range(32):
        rgb.putpixel((x, y), (x * 8, y * 8, (x * y) % 256))
jpg = jpeg_bytes(rgb)
png = png_bytes(rgb)
write("img_zero.jpg", b"")
write("img_text.jpg", b"<html><body>404 Not Found</body></html>\n")
write("img_truncated.jpg", jpg[: len(jpg) // 2])
# A PNG whose image data is garbage (chunk CRCs fixed up, so only the zlib stream is broken).
idat = png.index(b"IDAT")
n = struct.unpack(">I", png[idat - 4: idat])[0]
garbage = bytes((i * 37 + 11) % 256 for i in range(n))
crc = struct.pack(">I", zlib.crc32(b"IDAT" + garbage) & 0xffffffff)
write("img_corrupt.png", png[:idat + 4] + garbage + crc + png[idat + 8 + n:])
# Decompression bombs: tiny files whose headers claim 30000x30000 (PNG) and 60000x60000 (JPEG).
ihdr = bytearray(png[:33])
ihdr[16:24] = struct.pack(">II", 30000, 30000)
ihdr[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr[12:29])) & 0xffffffff)
write("img_bomb.png", bytes(ihdr) + png[33:])
sof = jpg.index(b"\xff\xc0")
bomb = bytearray(jpg)
bomb[sof + 5:sof + 9] = struct.pack(">HH", 60000, 60000)
write("img_bomb.jpg", bytes(bomb))
# Unusual but valid photos: handled, not rejected.
write("img_gray.png", png_bytes(rgb.convert("L")))
write("img_alpha.png", png_bytes(rgb.convert("RGBA")))
write("img_cmyk.jpg", jpeg_bytes(rgb.convert("CMYK")))
write("img_gray16.png", png_bytes(rgb.convert("L").point(lambda v: v * 257, "I").convert("I;16")))

# ---- CSV lists (replace index.csv of a synthetic 3-class set whose ids are 1..3) ----
csvs = {
    "csv_missing_column.csv": "path\nmarvel/0001/001.png\n",
    "csv_unknown_class.csv": "path,class_id\nmarvel/0001/001.png,1\nmarvel/0001/002.png,99\n",
    "csv_duplicate_row.csv": "path,class_id\nmarvel/0001/001.png,1\nmarvel/0001/001.png,1\n",
    "csv_dotdot.csv": "path,class_id\nmarvel/0001/001.png,1\n../outside.png,1\n",
    "csv_absolute.csv": "path,class_id\nmarvel/0001/001.png,1\n/etc/passwd,1\n",
    "csv_missing_image.csv": "path,class_id\nmarvel/0001/001.png,1\nmarvel/0001/404.png,1\n",
}
for name, text in csvs.items():
    write(name, text.encode())
