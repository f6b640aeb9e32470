"""IDX reading, the embedded sample, folders, the loader, and downloads from a loopback server."""
import gzip
import hashlib
import http.server
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from tinygrad_cnn.data import (DataLoader, DownloadError, IDXError, download_mnist, load_dataset,
                               load_embedded_mnist, load_idx_pair, normalize, read_folder,
                               read_idx_images, read_idx_labels)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def idx_bytes(array: np.ndarray) -> bytes:
    magic = 2051 if array.ndim == 3 else 2049
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx(path: Path, array: np.ndarray, compress: bool = True) -> Path:
    raw = idx_bytes(array)
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


@pytest.fixture
def small(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 4, 3), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    return tmp_path, images, labels


def test_reads_gzip_and_raw_files(small):
    folder, images, labels = small
    np.testing.assert_array_equal(read_idx_images(write_idx(folder / "a.gz", images)), images)
    np.testing.assert_array_equal(read_idx_images(write_idx(folder / "raw", images, False)), images)
    got = read_idx_labels(write_idx(folder / "l", labels))
    assert got.dtype == np.int64 and got.tolist() == [3, 1, 4, 1, 5]


def test_bad_magic_names_file_and_expectation(small):
    folder, images, labels = small
    path = write_idx(folder / "labels.gz", np.zeros(40))
    with pytest.raises(IDXError, match=r"labels.gz: magic number 2049, expected 2051"):
        read_idx_images(path)


def test_truncated_and_trailing_bytes(small):
    folder, images, _ = small
    raw = idx_bytes(images)
    (folder / "short").write_bytes(raw[:-7])
    with pytest.raises(IDXError, match=r"short: truncated: header \(5, 4, 3\) needs 60 data bytes, found 53"):
        read_idx_images(folder / "short")
    (folder / "long").write_bytes(raw + b"xx")
    with pytest.raises(IDXError, match=r"trailing bytes.*found 62"):
        read_idx_images(folder / "long")


def test_corrupt_gzip(small):
    folder, images, _ = small
    good = gzip.compress(idx_bytes(images))
    (folder / "bad.gz").write_bytes(good[:12] + b"\x00" * 10 + good[22:-8])
    with pytest.raises(IDXError, match=r"bad.gz: corrupt gzip data"):
        read_idx_images(folder / "bad.gz")


def test_mismatched_counts_and_label_range(small):
    folder, images, labels = small
    img = write_idx(folder / "i.gz", images)
    with pytest.raises(IDXError, match=r"has 5 images but .* has 4 labels"):
        load_idx_pair(img, write_idx(folder / "l4.gz", labels[:4]))
    with pytest.raises(IDXError, match=r"label 12 out of range; expected 0..9"):
        load_idx_pair(img, write_idx(folder / "l12.gz", np.array([1, 2, 12, 0, 0])))


def test_embedded_sample():
    ds = load_embedded_mnist()
    assert ds.train_images.shape == (8000, 28, 28) and ds.test_images.shape == (2000, 28, 28)
    assert ds.train_images.dtype == np.uint8 and ds.train_labels.dtype == np.int64
    assert ds.train_labels[0] == 7                     # the first MNIST test digit is a 7
    assert set(np.unique(ds.train_labels)) == set(range(10))
    assert "sample" in ds.description
    assert load_dataset("mnist").name == ds.name       # no folder, no download: the sample


def test_folder_reports_missing_files(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((2, 28, 28)))
    with pytest.raises(FileNotFoundError, match=r"lacks train-labels-idx1-ubyte\[.gz\], t10k-images"):
        read_folder(tmp_path)


@pytest.mark.skipif(not (SHARED / "fashion-mnist").is_dir(), reason="../shared/data is not beside the repo")
def test_fashion_mnist_folder():
    ds = load_dataset("fashion-mnist", SHARED / "fashion-mnist")
    assert ds.train_images.shape == (60000, 28, 28) and ds.test_labels.shape == (10000,)
    assert np.bincount(ds.train_labels).tolist() == [6000] * 10


def test_normalize():
    x = normalize(np.array([[[0, 255]]], dtype=np.uint8), mean=0.5, std=0.25)
    assert x.dtype == np.float32 and x.shape == (1, 1, 1, 2)
    np.testing.assert_allclose(x[0, 0, 0], [-2.0, 2.0])


def test_loader_batches_shuffle_and_drop_last():
    images, labels = np.arange(10)[:, None], np.arange(10)
    loader = DataLoader(images, labels, batch_size=4)
    assert len(loader) == 3 and [len(y) for _, y in loader] == [4, 4, 2]
    assert len(DataLoader(images, labels, batch_size=4, drop_last=True)) == 2
    shuffled = DataLoader(images, labels, batch_size=3, shuffle=True, seed=5)
    epoch1 = np.concatenate([y for _, y in shuffled])
    epoch2 = np.concatenate([y for _, y in shuffled])
    assert sorted(epoch1) == list(range(10)) and sorted(epoch2) == list(range(10))
    assert not np.array_equal(epoch1, epoch2)                       # a new order each epoch
    again = DataLoader(images, labels, batch_size=3, shuffle=True, seed=5)
    assert np.array_equal(np.concatenate([y for _, y in again]), epoch1)   # same seed, same order
    for x, y in DataLoader(images, labels, batch_size=3, shuffle=True, seed=1):
        np.testing.assert_array_equal(x[:, 0], y)                   # images stay with labels


def test_loader_errors():
    with pytest.raises(ValueError, match=r"3 images \(shape \(3, 1\)\) but 2 labels"):
        DataLoader(np.zeros((3, 1)), np.zeros(2))
    with pytest.raises(ValueError, match="batch_size must be > 0, got 0"):
        DataLoader(np.zeros((3, 1)), np.zeros(3), batch_size=0)


# -- downloads against a server on 127.0.0.1 -----------------------------------------------------
@pytest.fixture
def server(tmp_path):
    """Two mirrors (sub-folders) served over HTTP from a temporary folder on the loopback."""
    root = tmp_path / "served"
    for mirror in ("good", "bad"):
        (root / mirror).mkdir(parents=True)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _serve(root: Path, rng) -> dict:
    files = {}
    for name, array in [("train-images-idx3-ubyte.gz", rng.integers(0, 256, (3, 28, 28))),
                        ("train-labels-idx1-ubyte.gz", np.array([1, 2, 3])),
                        ("t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (2, 28, 28))),
                        ("t10k-labels-idx1-ubyte.gz", np.array([4, 5]))]:
        content = gzip.compress(idx_bytes(array))
        (root / "good" / name).write_bytes(content)
        (root / "bad" / name).write_bytes(content[:-5] + b"XXXXX")       # corrupted copy
        files[name] = hashlib.md5(content).hexdigest()
    return files


def test_download_verifies_and_falls_back_to_the_next_mirror(server, tmp_path):
    root, url = server
    files = _serve(root, np.random.default_rng(0))
    dest = tmp_path / "mnist"
    download_mnist(dest, mirrors=[f"{url}/bad/", f"{url}/good/"], files=files)
    for name, md5 in files.items():
        assert hashlib.md5((dest / name).read_bytes()).hexdigest() == md5
    assert sorted(p.name for p in dest.iterdir()) == sorted(files)          # no temp files left
    ds = read_folder(dest)
    assert ds.train_labels.tolist() == [1, 2, 3] and ds.test_labels.tolist() == [4, 5]


def test_download_all_mirrors_bad_writes_nothing(server, tmp_path):
    root, url = server
    files = _serve(root, np.random.default_rng(1))
    dest = tmp_path / "mnist"
    with pytest.raises(DownloadError, match=r"(?s)could not download train-images.*bad/train-images.*MD5.*missing/train-images.*404"):
        download_mnist(dest, mirrors=[f"{url}/bad/", f"{url}/missing/"], files=files)
    assert list(dest.iterdir()) == []


def test_download_keeps_a_good_file_and_never_replaces_it_with_a_bad_one(server, tmp_path):
    root, url = server
    files = _serve(root, np.random.default_rng(2))
    dest = tmp_path / "mnist"
    download_mnist(dest, mirrors=[f"{url}/good/"], files=files)
    kept = dest / "t10k-labels-idx1-ubyte.gz"
    before = kept.stat().st_mtime_ns
    for name in files:                      # the server now has only bad copies
        (root / "good" / name).write_bytes(b"garbage")
    download_mnist(dest, mirrors=[f"{url}/good/"], files=files)   # nothing refetched: no error
    assert kept.stat().st_mtime_ns == before
    kept.write_bytes(b"damaged")            # a damaged local file is refetched, and fails
    with pytest.raises(DownloadError):
        download_mnist(dest, mirrors=[f"{url}/good/"], files=files)
    assert kept.read_bytes() == b"damaged"  # the failed download did not replace it
