"""Normalisation and a batch iterator."""
from __future__ import annotations

from typing import Iterator

import numpy as np

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


def normalize(images: np.ndarray, mean: float = MNIST_MEAN, std: float = MNIST_STD) -> np.ndarray:
    """uint8 (N, H, W) → float32 (N, 1, H, W): pixels scaled to [0, 1], then (x − mean) / std."""
    if images.ndim != 3:
        raise ValueError(f"normalize: expected images of shape (N, H, W), got {images.shape}")
    x = images.astype(np.float32) / np.float32(255)
    return ((x - np.float32(mean)) / np.float32(std))[:, None]


class DataLoader:
    """Batches (x, y) of `batch_size` over arrays; reshuffled every epoch when `shuffle`.

    With an int `seed`, epoch e's order comes from a Generator seeded with (seed, e): the same
    seed gives the same sequence of epochs, and a resumed run (`start_epoch`) shuffles as the
    straight one. A `numpy.random.Generator` as `seed` is drawn from directly instead.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, batch_size: int = 64,
                 shuffle: bool = False, seed: int | np.random.Generator | None = None, drop_last: bool = False,
                 start_epoch: int = 0):
        if len(images) != len(labels):
            raise ValueError(f"DataLoader: {len(images)} images (shape {images.shape}) but "
                             f"{len(labels)} labels (shape {labels.shape}); expected equal counts")
        if batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be > 0, got {batch_size}")
        self.images, self.labels = images, np.asarray(labels, dtype=np.int64)
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.seed, self.epoch = seed, start_epoch

    def __len__(self) -> int:
        full, rest = divmod(len(self.labels), self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        n = len(self.labels)
        if self.shuffle:
            rng = (self.seed if isinstance(self.seed, np.random.Generator)
                   else np.random.default_rng([self.seed or 0, self.epoch]))
            order = rng.permutation(n)
        else:
            order = np.arange(n)
        self.epoch += 1
        for b in range(len(self)):
            index = order[b * self.batch_size:(b + 1) * self.batch_size]
            yield self.images[index], self.labels[index]
