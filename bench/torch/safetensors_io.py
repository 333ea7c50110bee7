"""Reads and writes safetensors files (our model.safetensors) with the standard library and numpy.

The `safetensors` package is not part of Debian's python3-torch, so the twin parses the format
itself: an 8-byte little-endian header length N, N bytes of JSON mapping each name to
{dtype, shape, data_offsets} (offsets into the data buffer after the header), then the data.
Only F32 is accepted, the one dtype our checkpoints hold.
"""

import json
import os
import struct

import numpy as np

METADATA_KEY = "__metadata__"
MAX_HEADER_BYTES = 100_000_000


class SafetensorsError(Exception):
    pass


def load(path):
    """Returns ({name: float32 ndarray}, {metadata}) from a safetensors file; errors name the fault."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise SafetensorsError(f"{path}: {len(raw)} bytes, shorter than the 8-byte header length")
    (header_len,) = struct.unpack("<Q", raw[:8])
    if header_len > MAX_HEADER_BYTES or 8 + header_len > len(raw):
        raise SafetensorsError(f"{path}: header length {header_len} does not fit the file ({len(raw)} bytes)")
    try:
        header = json.loads(raw[8 : 8 + header_len].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorsError(f"{path}: header is not valid UTF-8 JSON ({e})") from None
    if not isinstance(header, dict):
        raise SafetensorsError(f"{path}: header must be a JSON object, got {type(header).__name__}")
    data = memoryview(raw)[8 + header_len :]
    metadata = header.pop(METADATA_KEY, {})
    tensors = {}
    for name, entry in header.items():
        dtype, shape, (begin, end) = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets", (None, None))
        if dtype != "F32":
            raise SafetensorsError(f"{path}: {name} has dtype {dtype!r}, only F32 is supported")
        count = int(np.prod(shape, dtype=np.int64))
        if not (isinstance(begin, int) and isinstance(end, int) and 0 <= begin <= end <= len(data) and end - begin == 4 * count):
            raise SafetensorsError(f"{path}: {name} data_offsets {[begin, end]} do not hold F32 shape {shape} in {len(data)} data bytes")
        # Copy: the array must outlive `raw` and be writable for torch.from_numpy.
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").astype(np.float32).reshape(shape)
    return tensors, metadata


def save(path, tensors, metadata=None):
    """Writes {name: ndarray} (as float32, laid out sorted by name) atomically: a temp file, then rename."""
    header = {}
    if metadata:
        header[METADATA_KEY] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name], dtype="<f4")
        blob = array.tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    encoded = json.dumps(header).encode("utf-8")
    encoded += b" " * ((8 - len(encoded) % 8) % 8)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)
