"""Data: the IDX reader, MNIST download, the embedded sample, normalisation and batches."""
from .datasets import DATASETS, Dataset, load_dataset, load_embedded_mnist, read_folder
from .download import (
                       DEFAULT_MIRRORS,
                       MNIST_MD5,
                       MNIST_RAW_MD5,
                       DownloadError,
                       download_mnist,
                       md5sum,
                       verifies,
)
from .idx import IDXError, load_idx_pair, read_idx_images, read_idx_labels
from .loader import MNIST_MEAN, MNIST_STD, DataLoader, normalize, random_shift

__all__ = ["DATASETS", "Dataset", "load_dataset", "load_embedded_mnist", "read_folder",
           "DEFAULT_MIRRORS", "MNIST_MD5", "MNIST_RAW_MD5", "verifies", "DownloadError",
           "download_mnist", "md5sum",
           "IDXError", "load_idx_pair", "read_idx_images", "read_idx_labels",
           "MNIST_MEAN", "MNIST_STD", "DataLoader", "normalize", "random_shift"]
