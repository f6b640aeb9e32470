"""Normalisation, random shifts (light augmentation) and a batch iterator."""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


def normalize(images: np.ndarray, mean: float = MNIST_MEAN, std: float = MNIST_STD) -> np.ndarray:
    """uint8 (N, H, W) → float32 (N, 1, H, W): pixels scaled to [0, 1], then (x − mean) / std."""
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"normalize: expected images of shape (N, H, W), got {images.shape}")
    if not std > 0:
        raise ValueError(f"normalize: std must be > 0, got {std}")
    x = images.astype(np.float32) / np.float32(255)
    return ((x - np.float32(mean)) / np.float32(std))[:, None]


def random_shift(images: np.ndarray, offsets: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """Each image (N, C, H, W) moved by its own (dy, dx) in `offsets` (N, 2), |dy|, |dx| ≤ s:
    out[n, :, i, j] = images[n, :, i − dy, j − dx], pixels moved in from outside = `fill`.
    Vectorised: one pad, then one gather with per-image row and column indices."""
    images, offsets = np.asarray(images), np.asarray(offsets, dtype=np.int64)
    if images.ndim != 4 or offsets.shape != (len(images), 2):
        raise ValueError(f"random_shift: images of shape {images.shape} and offsets of shape "
                         f"{offsets.shape}; expected (N, C, H, W) and (N, 2)")
    n, c, h, w = images.shape
    s = int(np.abs(offsets).max()) if n else 0
    if s == 0:
        return images.copy()
    padded = np.pad(images, ((0, 0), (0, 0), (s, s), (s, s)), constant_values=fill)
    rows = (np.arange(h) + s)[None, :] - offsets[:, :1]            # (N, H)
    cols = (np.arange(w) + s)[None, :] - offsets[:, 1:]            # (N, W)
    batch = np.arange(n)[:, None, None, None]
    chans = np.arange(c)[None, :, None, None]
    return padded[batch, chans, rows[:, None, :, None], cols[:, None, None, :]]


class DataLoader:
    """Batches (x, y) of `batch_size` over arrays; reshuffled every epoch when `shuffle`.

    Each iteration is one epoch. With an int `seed`, epoch e's order comes from a Generator
    seeded with (seed, e): the same seed gives the same sequence of epochs, and a resumed run
    (`start_epoch`) shuffles as the straight one. `seed=None` draws a fresh seed once, so epochs
    still differ from each other; a `numpy.random.Generator` as `seed` is drawn from directly.

    `shift=s` > 0 moves each training image by a random (dy, dx) in [−s, s]² (`random_shift`,
    new pixels = `fill`, the background's value after normalisation); with an int seed the
    shifts of epoch e also come from (seed, e), so they too are the same after a resume.
    `batches(epoch, start)` yields epoch `epoch`'s batches from batch number `start` on.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, batch_size: int = 64,
                 shuffle: bool = False, seed: int | np.random.Generator | None = None,
                 drop_last: bool = False, start_epoch: int = 0, shift: int = 0,
                 fill: float = 0.0):
        images, labels = np.asarray(images), np.asarray(labels)
        if images.ndim == 0 or labels.ndim != 1:
            raise ValueError(f"DataLoader: images of shape {images.shape} and labels of shape "
                             f"{labels.shape}; expected (N, ...) and (N,)")
        if len(images) != len(labels):
            raise ValueError(f"DataLoader: {len(images)} images (shape {images.shape}) but "
                             f"{len(labels)} labels (shape {labels.shape}); expected equal counts")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be an int > 0, got {batch_size!r}")
        if seed is None:
            seed = int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]  # an int here
        elif not isinstance(seed, np.random.Generator) and int(seed) < 0:
            raise ValueError(f"DataLoader: seed must be >= 0 or a numpy Generator, got {seed}")
        if isinstance(shift, bool) or not isinstance(shift, (int, np.integer)) or shift < 0:
            raise ValueError(f"DataLoader: shift must be an int >= 0, got {shift!r}")
        if shift and images.ndim != 4:
            raise ValueError(f"DataLoader: shift needs images of shape (N, C, H, W), got "
                             f"{images.shape}")
        self.shift, self.fill = int(shift), float(fill)
        self.images, self.labels = images, labels.astype(np.int64, copy=False)
        self.batch_size, self.shuffle, self.drop_last = int(batch_size), shuffle, drop_last
        self.seed, self.epoch = seed, start_epoch

    def __len__(self) -> int:
        full, rest = divmod(len(self.labels), self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1

    def order(self, epoch: int) -> np.ndarray:
        """The sample order of `epoch` (0-based): a permutation when shuffling, else 0..N−1."""
        n = len(self.labels)
        if not self.shuffle:
            return np.arange(n)
        return self._rng(epoch, 0).permutation(n)

    def _rng(self, epoch: int, stream: int) -> np.random.Generator:
        if isinstance(self.seed, np.random.Generator):
            return self.seed
        return np.random.default_rng([int(self.seed), epoch] + [stream] * (stream > 0))

    def batches(self, epoch: int, start: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The batches of `epoch` (0-based), from batch number `start` on."""
        order = self.order(epoch)
        offsets = (self._rng(epoch, 1).integers(-self.shift, self.shift + 1, (len(order), 2))
                   if self.shift else None)
        for b in range(start, len(self)):
            part = slice(b * self.batch_size, (b + 1) * self.batch_size)
            index = order[part]
            x = self.images[index]
            if offsets is not None:
                x = random_shift(x, offsets[part], self.fill)
            yield x, self.labels[index]

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        epoch, self.epoch = self.epoch, self.epoch + 1
        return self.batches(epoch)
