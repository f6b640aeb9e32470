"""MNIST and Fashion-MNIST as numpy arrays, from a folder, a download, or the embedded sample.

The embedded default needs no network: the 10,000-image MNIST *test* set ships inside the
package and is split into 8,000 training and 2,000 held-out images. It is a sample, good for
teaching and quick runs; the full 60,000-image training set needs --data or --download.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .download import download_mnist
from .idx import load_idx_pair

EMBEDDED_DIR = Path(__file__).resolve().parent / "mnist"
FASHION_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")   # Debian: dataset-fashion-mnist
DEFAULT_DOWNLOAD_DIR = Path.home() / ".cache" / "tinygrad_cnn" / "mnist"
EMBEDDED_TRAIN = 8000
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
DATASETS = ("mnist", "fashion-mnist")


@dataclass
class Dataset:
    """uint8 images (N, 28, 28) and int64 labels (N,) of a training and a test split."""

    name: str
    description: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def _find(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / f"{stem}.gz", folder / stem):
        if candidate.exists():
            return candidate
    return None


def read_folder(folder: str | Path, name: str = "mnist") -> Dataset:
    """The four standard files (gzipped or not) from `folder`."""
    folder = Path(folder).expanduser()
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"{name}: --data {folder} is a file, not a folder; expected a "
                                 "folder with the four standard IDX files")
    if not folder.is_dir():
        raise FileNotFoundError(f"{name}: data folder {folder} does not exist; expected a folder "
                                "with the four standard IDX files")
    paths = {stem: _find(folder, stem) for split in FILES.values() for stem in split}
    missing = [stem for stem, path in paths.items() if path is None]
    if missing:
        raise FileNotFoundError(f"{name}: {folder} lacks {', '.join(m + '[.gz]' for m in missing)}; "
                                "expected the four standard IDX files")
    found = {stem: path for stem, path in paths.items() if path is not None}
    train = load_idx_pair(found[FILES["train"][0]], found[FILES["train"][1]])
    test = load_idx_pair(found[FILES["test"][0]], found[FILES["test"][1]])
    if train[0].shape[1:] != test[0].shape[1:]:
        raise ValueError(f"{name}: training images are {train[0].shape[1:]} but test images are "
                         f"{test[0].shape[1:]} in {folder}; expected one image size")
    return Dataset(name, f"{name} from {folder}: {len(train[1]):,} train / {len(test[1]):,} test",
                   *train, *test)


def load_embedded_mnist() -> Dataset:
    """The MNIST test set shipped with the package: first 8,000 train, last 2,000 held out."""
    paths = [EMBEDDED_DIR / "t10k-images-idx3-ubyte.gz", EMBEDDED_DIR / "t10k-labels-idx1-ubyte.gz"]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"load_embedded_mnist: {', '.join(missing)} missing; the package "
                                "was installed without its data/mnist/*.gz package data")
    images, labels = load_idx_pair(paths[0], paths[1])
    k = EMBEDDED_TRAIN
    return Dataset("mnist-sample",
                   f"embedded MNIST sample: {k:,} train / {len(labels) - k:,} held-out images "
                   "from the 10,000-image MNIST test set",
                   images[:k], labels[:k], images[k:], labels[k:])


def load_dataset(name: str = "mnist", data_dir: str | Path | None = None,
                 download: bool = False) -> Dataset:
    """`mnist`: from `data_dir`, downloaded into it (`download=True`; default folder
    ~/.cache/tinygrad_cnn/mnist), or with neither the embedded sample.
    `fashion-mnist`: from `data_dir`, or where Debian's dataset-fashion-mnist installs it."""
    if name not in DATASETS:
        raise ValueError(f"load_dataset: unknown dataset {name!r}; expected one of {DATASETS}")
    if name == "mnist":
        if download:
            folder = DEFAULT_DOWNLOAD_DIR if data_dir is None else Path(data_dir)
            return read_folder(download_mnist(folder), name)
        return load_embedded_mnist() if data_dir is None else read_folder(data_dir, name)
    if download:
        raise ValueError("fashion-mnist: --download fetches MNIST only; run `apt-get install "
                         "dataset-fashion-mnist` (Debian) or pass --data DIR")
    if data_dir is not None:
        return read_folder(data_dir, name)
    if FASHION_SYSTEM_DIR.is_dir():
        return read_folder(FASHION_SYSTEM_DIR, name)
    raise FileNotFoundError(f"fashion-mnist: no --data folder given and {FASHION_SYSTEM_DIR} does "
                            "not exist; run `apt-get install dataset-fashion-mnist` (Debian) or "
                            "pass --data DIR holding the four IDX files")
