"""Normalisation and a batch iterator."""
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


class DataLoader:
    """Batches (x, y) of `batch_size` over arrays; reshuffled every epoch when `shuffle`.

    Each iteration is one epoch. With an int `seed`, epoch e's order comes from a Generator
    seeded with (seed, e): the same seed gives the same sequence of epochs, and a resumed run
    (`start_epoch`) shuffles as the straight one. `seed=None` draws a fresh seed once, so epochs
    still differ from each other; a `numpy.random.Generator` as `seed` is drawn from directly.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, batch_size: int = 64,
                 shuffle: bool = False, seed: int | np.random.Generator | None = None,
                 drop_last: bool = False, start_epoch: int = 0):
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
            seed = int(np.random.SeedSequence().entropy)
        elif not isinstance(seed, np.random.Generator) and int(seed) < 0:
            raise ValueError(f"DataLoader: seed must be >= 0 or a numpy Generator, got {seed}")
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
        rng = (self.seed if isinstance(self.seed, np.random.Generator)
               else np.random.default_rng([int(self.seed), epoch]))
        return rng.permutation(n)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        order = self.order(self.epoch)
        self.epoch += 1
        for b in range(len(self)):
            index = order[b * self.batch_size:(b + 1) * self.batch_size]
            yield self.images[index], self.labels[index]
