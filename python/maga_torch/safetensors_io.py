"""Reading and writing safetensors files: our model.safetensors, and tensors passed between the
TypeScript side and this package.

With the `safetensors` package importable, its numpy API reads and writes; otherwise (Debian's
python3-torch does not bring it) the format is parsed here with the standard library and numpy:
an 8-byte little-endian header length N, N bytes of JSON mapping each name to {dtype, shape,
data_offsets} (offsets into the data buffer after the header) plus an optional "__metadata__" map
of strings, then the data. Only F32 is accepted, the one dtype our checkpoints hold. Either way,
a checkpoint's "crc32" metadata (CRC-32 over each tensor's "name:shape;" and its float32 bytes, in
name order: packages/model/src/integrity.ts) is verified, so a corrupt file is refused by name.
"""

import json
import os
import struct
import zlib

import numpy as np

try:  # the optional fast path; the parser below is the reference
    from safetensors.numpy import load as _st_load
    from safetensors import safe_open as _st_safe_open
except ImportError:  # pragma: no cover - depends on the environment
    _st_load = None
    _st_safe_open = None

METADATA_KEY = "__metadata__"
CHECKSUM_KEY = "crc32"
MAX_HEADER_BYTES = 100_000_000


class SafetensorsError(Exception):
    """A malformed safetensors file, or one whose values do not match its checksum; the message names the file."""


def _parse(path, raw):
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
    metadata = header.pop(METADATA_KEY, None) or {}
    if not isinstance(metadata, dict):
        raise SafetensorsError(f"{path}: {METADATA_KEY} must be an object of strings")
    tensors = {}
    for name, entry in header.items():
        if not isinstance(entry, dict):
            raise SafetensorsError(f"{path}: entry {name!r} must be an object")
        dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
        if dtype != "F32":
            raise SafetensorsError(f"{path}: {name} has dtype {dtype!r}, only F32 is supported")
        if not (isinstance(shape, list) and all(isinstance(s, int) and s >= 0 for s in shape)):
            raise SafetensorsError(f"{path}: {name} has shape {shape!r}, not a list of non-negative integers")
        begin, end = offsets if isinstance(offsets, list) and len(offsets) == 2 else (None, None)
        count = int(np.prod(shape, dtype=np.int64))
        if not (isinstance(begin, int) and isinstance(end, int) and 0 <= begin <= end <= len(data) and end - begin == 4 * count):
            raise SafetensorsError(f"{path}: {name} data_offsets {offsets} do not hold F32 shape {shape} in {len(data)} data bytes")
        # A copy: the array must outlive `raw` and be writable for torch.from_numpy.
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").astype(np.float32).reshape(shape)
    return tensors, {str(k): str(v) for k, v in metadata.items()}


def checksum(tensors):
    """The CRC-32 our checkpoints carry: over each tensor's "name:d0,d1,...;" and float32 bytes, in name order, as 8 hex digits."""
    crc = 0
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name], dtype="<f4")
        crc = zlib.crc32(f"{name}:{','.join(str(d) for d in array.shape)};".encode("utf-8"), crc)
        crc = zlib.crc32(array.tobytes(), crc)
    return f"{crc:08x}"


def load(path, verify=True):
    """({name: float32 ndarray}, {metadata}) of a safetensors file; errors name the file and the fault.
    With `verify`, a "crc32" in the metadata must match the values (files written elsewhere have none)."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise SafetensorsError(f"{path}: cannot read ({e.strerror or e})") from None
    if _st_load is not None:
        tensors, metadata = _load_with_package(path, raw)
    else:
        tensors, metadata = _parse(path, raw)
    if verify and CHECKSUM_KEY in metadata:
        actual = checksum(tensors)
        if actual != metadata[CHECKSUM_KEY]:
            raise SafetensorsError(f"{path}: the values do not match the file's checksum ({CHECKSUM_KEY} {metadata[CHECKSUM_KEY]!r}, computed {actual!r}): the file is corrupt")
    return tensors, metadata


def _load_with_package(path, raw):
    try:
        tensors = _st_load(raw)
        with _st_safe_open(path, framework="numpy") as f:
            metadata = f.metadata() or {}
    except Exception as e:  # the package's own errors carry no file name
        raise SafetensorsError(f"{path}: {e}") from None
    for name, array in tensors.items():
        if array.dtype != np.float32:
            raise SafetensorsError(f"{path}: {name} has dtype {array.dtype}, only F32 is supported")
    return {name: np.array(array, dtype=np.float32) for name, array in tensors.items()}, dict(metadata)


def save(path, tensors, metadata=None):
    """Writes {name: array} as float32, laid out sorted by name, atomically (a temporary file, then rename)."""
    path = os.fspath(path)
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
    try:
        with open(tmp, "wb") as f:
            f.write(struct.pack("<Q", len(encoded)))
            f.write(encoded)
            for blob in blobs:
                f.write(blob)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
