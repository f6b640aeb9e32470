"""The IDX file format of MNIST and Fashion-MNIST, read with checks.

An IDX file is a big-endian header — two zero bytes, a type code (0x08: unsigned bytes), the
number of dimensions, then each dimension as a 4-byte integer — followed by the raw bytes.
Read as one 4-byte integer, the first word is the magic number: 2051 for images (3 dimensions:
count, rows, columns), 2049 for labels (1 dimension: count). Files may be gzip-compressed; that
is told by the gzip magic bytes (1f 8b), not by the file name.
"""
from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049
UBYTE_TYPE = 0x08
GZIP_MAGIC = b"\x1f\x8b"


class IDXError(ValueError):
    """A truncated, corrupt or mismatched IDX file."""


def read_bytes(path: str | Path) -> bytes:
    """The file's content, gunzipped when it starts with the gzip magic bytes."""
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] != GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:
        raise IDXError(f"{path}: corrupt gzip data ({type(err).__name__}: {err}); "
                       "delete the file and fetch it again") from None


def _parse(path: str | Path, magic: int, kind: str) -> np.ndarray:
    """Check the header and the payload length of an IDX file of unsigned bytes; return its array."""
    data = read_bytes(path)
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) < 4:
        raise IDXError(f"{path}: {len(data)} bytes, too short for an IDX magic number "
                       f"(expected {magic} for {kind})")
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        found_type, found_ndim = data[2], data[3]
        raise IDXError(f"{path}: magic number {found} (type code {found_type:#04x}, {found_ndim} "
                       f"dimension(s)), expected {magic} (type code {UBYTE_TYPE:#04x}, {ndim} "
                       f"dimension(s): {kind})")
    if len(data) < header:
        raise IDXError(f"{path}: truncated header: {len(data)} bytes, expected at least {header} "
                       f"for {ndim} dimension(s)")
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected, payload = math.prod(dims), len(data) - header
    if payload != expected:
        what = "truncated" if payload < expected else "has trailing bytes"
        raise IDXError(f"{path}: {what}: header {dims} needs {expected} data bytes after the "
                       f"{header}-byte header, found {payload}")
    # one vectorised view of the payload; copied so the caller gets a writable array
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims).copy()


def read_idx_images(path: str | Path) -> np.ndarray:
    """uint8 images (N, rows, cols) from an IDX file (magic 2051), gzipped or raw."""
    return _parse(path, IMAGES_MAGIC, "images")


def read_idx_labels(path: str | Path) -> np.ndarray:
    """int64 labels (N,) from an IDX file (magic 2049), gzipped or raw."""
    return _parse(path, LABELS_MAGIC, "labels").astype(np.int64)


def load_idx_pair(images_path: str | Path, labels_path: str | Path,
                  num_classes: int | None = 10) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels that belong together: equal counts, labels in 0..num_classes−1
    (`num_classes=None`: any byte value, 0..255)."""
    images, labels = read_idx_images(images_path), read_idx_labels(labels_path)
    if len(images) != len(labels):
        raise IDXError(f"load_idx_pair: {images_path} has {len(images)} images but {labels_path} "
                       f"has {len(labels)} labels; expected equal counts")
    if num_classes is not None and len(labels):
        bad = np.flatnonzero(labels >= num_classes)
        if len(bad):
            raise IDXError(f"{labels_path}: {len(bad)} label(s) out of range, the first "
                           f"{labels[bad[0]]} at index {bad[0]}; expected 0..{num_classes - 1}")
    return images, labels
