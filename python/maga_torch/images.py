"""Images in and out of the command line: tensor files (.safetensors, .npz, .npy) and 8-bit PNG
(read and written with the standard library's zlib, so no imaging package is needed). Pixels are
float32 in [0, 1], [N, C, H, W]."""

import os
import struct
import zlib

import numpy as np

from . import safetensors_io

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# PNG colour types (8-bit only) and their channels: grey, RGB, grey + alpha, RGBA.
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}


class ImageError(ValueError):
    """An image file that cannot be read or written; the message names the file."""


def read_tensors(path):
    """{name: float32 array} from .safetensors, .npz or .npy (the array is named "x"), or a PNG as {"x": [1, C, H, W]}."""
    ext = os.path.splitext(path)[1].lower()
    try:
        if ext == ".safetensors":
            return safetensors_io.load(path, verify=False)[0]
        if ext == ".npz":
            with np.load(path) as f:
                return {k: np.asarray(f[k], dtype=np.float32) for k in f.files}
        if ext == ".npy":
            return {"x": np.asarray(np.load(path), dtype=np.float32)}
        if ext == ".png":
            return {"x": read_png(path)[None]}
    except (OSError, ValueError, safetensors_io.SafetensorsError) as e:
        raise ImageError(f"{path}: {e}") from None
    raise ImageError(f"{path}: expected a .safetensors, .npz, .npy or .png file")


def _unfilter(raw, width, height, bpp):
    """Undoes PNG's per-row filters (none, sub, up, average, Paeth)."""
    stride = width * bpp
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int32)
    pos = 0
    for y in range(height):
        kind = raw[pos]
        row = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=pos + 1).astype(np.int32)
        pos += 1 + stride
        if kind == 0:
            cur = row
        elif kind == 2:
            cur = (row + prev) & 0xFF
        elif kind in (1, 3, 4):
            cur = np.zeros(stride, dtype=np.int32)
            for i in range(stride):
                left = cur[i - bpp] if i >= bpp else 0
                if kind == 1:
                    pred = left
                elif kind == 3:
                    pred = (left + prev[i]) // 2
                else:
                    up_left = prev[i - bpp] if i >= bpp else 0
                    p = left + prev[i] - up_left
                    pa, pb, pc = abs(p - left), abs(p - prev[i]), abs(p - up_left)
                    pred = left if pa <= pb and pa <= pc else prev[i] if pb <= pc else up_left
                cur[i] = (row[i] + pred) & 0xFF
        else:
            raise ValueError(f"row {y} has an unknown PNG filter {kind}")
        out[y] = cur
        prev = cur
    return out


def read_png(path):
    """An 8-bit, non-interlaced PNG (grey, RGB, with or without alpha; alpha dropped) as [C, H, W] in [0, 1]."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != PNG_SIGNATURE:
        raise ValueError("not a PNG file")
    pos, header, idat = 8, None, []
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat.append(chunk)
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError("no IHDR chunk")
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in _CHANNELS or interlace:
        raise ValueError(f"only 8-bit, non-interlaced grey/RGB(A) PNGs are read (bit depth {depth}, colour type {colour}, interlace {interlace})")
    channels = _CHANNELS[colour]
    pixels = _unfilter(zlib.decompress(b"".join(idat)), width, height, channels).reshape(height, width, channels)
    if channels in (2, 4):
        pixels = pixels[:, :, : channels - 1]
    return pixels.transpose(2, 0, 1).astype(np.float32) / 255


def write_png(path, images):
    """Images [N, C, H, W] in [0, 1] (C = 1 or 3) side by side as one 8-bit PNG, written atomically."""
    images = np.asarray(images, dtype=np.float32)
    n, c, h, w = images.shape
    if c not in (1, 3):
        raise ImageError(f"{path}: a PNG holds 1 or 3 channels, the images have {c}")
    strip = images.transpose(2, 0, 3, 1).reshape(h, n * w, c)
    pixels = np.round(np.clip(strip, 0, 1) * 255).astype(np.uint8)
    raw = b"".join(b"\x00" + pixels[y].tobytes() for y in range(h))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = PNG_SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", n * w, h, 8, 0 if c == 1 else 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(png)
    os.replace(tmp, path)


def write_tensors(path, tensors):
    """{name: array} to .safetensors or .npz; .npy and .png take the one named "reconstruction"."""
    ext = os.path.splitext(path)[1].lower()
    if ext == ".safetensors":
        safetensors_io.save(path, tensors)
    elif ext == ".npz":
        tmp = f"{path}.tmp-{os.getpid()}.npz"
        np.savez(tmp, **tensors)
        os.replace(tmp, path)
    elif ext == ".npy":
        tmp = f"{path}.tmp-{os.getpid()}.npy"
        np.save(tmp, tensors["reconstruction"])
        os.replace(tmp, path)
    elif ext == ".png":
        write_png(path, tensors["reconstruction"])
    else:
        raise ImageError(f"{path}: --out must end in .safetensors, .npz, .npy or .png")
