"""The IDX file format of MNIST and Fashion-MNIST, read with checks.

An IDX file is a big-endian header — two zero bytes, a type code (0x08: unsigned bytes), the
number of dimensions, then each dimension as a 4-byte integer — followed by the raw bytes.
Read as 4-byte integers, the first word is the magic number: 2051 for images (3 dimensions:
count, rows, columns), 2049 for labels (1 dimension: count). Files may be gzip-compressed.
"""
from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049
GZIP_MAGIC = b"\x1f\x8b"


class IDXError(ValueError):
    """A missing, truncated, corrupt or mismatched IDX file."""


def read_bytes(path: str | Path) -> bytes:
    """The file's content, gunzipped when it starts with the gzip magic bytes."""
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] != GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:
        raise IDXError(f"{path}: corrupt gzip data ({err})") from None


def _parse(path: str | Path, magic: int, ndim: int) -> np.ndarray:
    data = read_bytes(path)
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IDXError(f"{path}: {len(data)} bytes is too short for an IDX header of {header} bytes")
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        kind = "images" if magic == IMAGES_MAGIC else "labels"
        raise IDXError(f"{path}: magic number {found}, expected {magic} ({kind} of unsigned bytes)")
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(dims))
    payload = len(data) - header
    if payload != expected:
        what = "truncated" if payload < expected else "has trailing bytes"
        raise IDXError(f"{path}: {what}: header {dims} needs {expected} data bytes, found {payload}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def read_idx_images(path: str | Path) -> np.ndarray:
    """uint8 images (N, rows, cols)."""
    return _parse(path, IMAGES_MAGIC, 3)


def read_idx_labels(path: str | Path) -> np.ndarray:
    """int64 labels (N,)."""
    return _parse(path, LABELS_MAGIC, 1).astype(np.int64)


def load_idx_pair(images_path: str | Path, labels_path: str | Path,
                  num_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels that belong together: equal counts, labels in 0..num_classes−1."""
    images, labels = read_idx_images(images_path), read_idx_labels(labels_path)
    if len(images) != len(labels):
        raise IDXError(f"{images_path} has {len(images)} images but {labels_path} has "
                       f"{len(labels)} labels; expected equal counts")
    if len(labels) and labels.max() >= num_classes:
        raise IDXError(f"{labels_path}: label {labels.max()} out of range; expected 0..{num_classes - 1}")
    return images, labels
