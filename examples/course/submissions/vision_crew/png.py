"""Just enough PNG for the example: 8-bit RGB, non-interlaced (standard library and numpy only)."""

import struct
import zlib

import numpy as np


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write(path: str, pixels: np.ndarray) -> None:
    height, width, _ = pixels.shape
    raw = b"".join(b"\x00" + pixels[row].astype(np.uint8).tobytes() for row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 9)))
        out.write(_chunk(b"IEND", b""))


def read(path: str) -> np.ndarray:
    """Height x width x 3 uint8; the five PNG row filters undone."""
    with open(path, "rb") as handle:
        data = handle.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    offset, idat, width, height = 8, b"", 0, 0
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert (depth, color) == (8, 2), f"{path}: only 8-bit RGB"
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    raw, stride = zlib.decompress(idat), width * 3
    out = np.zeros((height, stride), dtype=np.int32)
    for row in range(height):
        kind, line = raw[row * (stride + 1)], np.frombuffer(raw, np.uint8, stride, row * (stride + 1) + 1)
        up = out[row - 1] if row else np.zeros(stride, np.int32)
        current = line.astype(np.int32)
        if kind == 2:
            current = (current + up) % 256
        elif kind in (1, 3, 4):  # left-dependent filters: byte by byte
            for i in range(stride):
                left = current[i - 3] if i >= 3 else 0
                upper_left = up[i - 3] if i >= 3 else 0
                if kind == 1:
                    predictor = left
                elif kind == 3:
                    predictor = (left + up[i]) // 2
                else:
                    p = left + up[i] - upper_left
                    pa, pb, pc = abs(p - left), abs(p - up[i]), abs(p - upper_left)
                    predictor = left if pa <= pb and pa <= pc else up[i] if pb <= pc else upper_left
                current[i] = (current[i] + predictor) % 256
        out[row] = current
    return out.reshape(height, width, 3).astype(np.uint8)
