"""Reused buffers for the big arrays of a training step (PyTorch's caching CPU allocator, small).

A training step allocates the same large arrays every time — conv columns, feature maps, δ
maps — and frees them at the end of the step. glibc hands blocks over 128 KiB (up to 32 MiB)
back to the operating system on free, so every step page-faults them in again; on a small
machine that costs as much as the arithmetic. `empty(shape, dtype)` keeps every block it handed
out and gives it again once nothing references it any more: the block is free when our list is
its only holder (Python's reference count; every NumPy view keeps its base buffer alive, so a
block is never reused while any view of it exists). No malloc setting is needed.

Blocks under 64 KiB come straight from NumPy (malloc recycles those cheaply). Free blocks
beyond MAX_CACHED_BYTES in total are let go, so a change of batch size does not pile them up;
`clear()` lets all free blocks go.
"""
from __future__ import annotations

import math
import sys
import threading

import numpy as np

MIN_BYTES = 1 << 16
MAX_CACHED_BYTES = 1 << 28
_blocks: dict[int, list[np.ndarray]] = {}   # size in bytes → the uint8 blocks of that size
_lock = threading.Lock()


def _refs(block: np.ndarray) -> int:
    return sys.getrefcount(block)


def _unreferenced_refs() -> int:
    """The reference count `empty` sees for a block that only our list holds."""
    blocks = [np.empty(1, np.uint8)]
    for block in blocks:
        return _refs(block)
    raise AssertionError("unreachable")


_FREE = _unreferenced_refs()


def empty(shape: tuple[int, ...], dtype) -> np.ndarray:
    """An uninitialised C-contiguous array, in a reused block when one of its size is free."""
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < MIN_BYTES:
        return np.empty(shape, dtype)
    with _lock:
        for block in _blocks.get(nbytes, ()):
            if _refs(block) <= _FREE:
                return block.view(dtype).reshape(shape)
        _trim(MAX_CACHED_BYTES - nbytes)
        block = np.empty(nbytes, np.uint8)
        _blocks.setdefault(nbytes, []).append(block)
        return block.view(dtype).reshape(shape)


def _trim(keep: int) -> None:
    """Let free blocks go, largest first, until the blocks held add up to at most `keep`."""
    total = sum(size * len(blocks) for size, blocks in _blocks.items())
    for size in sorted(_blocks, reverse=True):
        kept = []
        for block in _blocks[size]:
            if total > keep and _refs(block) <= _FREE:
                total -= size                   # dropped: no one else holds it
            else:
                kept.append(block)
        if kept:
            _blocks[size] = kept
        else:
            del _blocks[size]


def clear() -> None:
    """Let every free block go (blocks still in use stay)."""
    with _lock:
        _trim(0)


def cached_bytes() -> int:
    """Bytes held in blocks, free or in use."""
    with _lock:
        return sum(size * len(blocks) for size, blocks in _blocks.items())
