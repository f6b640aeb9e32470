"""IDX reading, the embedded sample, folders, the loader, and downloads from a loopback server."""
import gzip
import hashlib
import http.server
import os
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from tinygrad_cnn.data import (
    DataLoader,
    DownloadError,
    IDXError,
    download_mnist,
    load_dataset,
    load_embedded_mnist,
    load_idx_pair,
    normalize,
    read_folder,
    read_idx_images,
    read_idx_labels,
)
from tinygrad_cnn.data import datasets as datasets_module

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} (shared/ beside the repo) is absent")


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    magic = magic if magic is not None else (2051 if array.ndim == 3 else 2049)
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


# -- the IDX reader ------------------------------------------------------------------------------
def test_reads_gzip_and_raw_files_by_content_not_name(small):
    folder, images, labels = small
    for name, compress in [("a.gz", True), ("raw", False), ("packed.idx", True), ("plain.gz", False)]:
        got = read_idx_images(write_idx(folder / name, images, compress))
        assert got.dtype == np.uint8 and got.shape == (5, 4, 3)
        np.testing.assert_array_equal(got, images)
    got[0, 0, 0] = 1                                     # a writable array, not a read-only view
    got = read_idx_labels(write_idx(folder / "l", labels))
    assert got.dtype == np.int64 and got.tolist() == [3, 1, 4, 1, 5]


def test_bad_magic_names_file_and_expectation(small):
    folder, images, labels = small
    path = write_idx(folder / "labels.gz", np.zeros(40))
    with pytest.raises(IDXError,
                       match=r"labels.gz: magic number 2049 .*1 dimension.*expected 2051 .*3 dimension"):
        read_idx_images(path)
    with pytest.raises(IDXError, match=r"magic number 2051 .*expected 2049"):
        read_idx_labels(write_idx(folder / "images.gz", images))
    (folder / "float").write_bytes(idx_bytes(images, magic=0x0D03))   # float32 type code
    with pytest.raises(IDXError, match=r"magic number 3331 \(type code 0x0d.*expected 2051 \(type code 0x08"):
        read_idx_images(folder / "float")


def test_truncated_header_and_payload_and_trailing_bytes(small):
    folder, images, _ = small
    raw = idx_bytes(images)
    (folder / "short").write_bytes(raw[:-7])
    with pytest.raises(IDXError,
                       match=r"short: truncated: header \(5, 4, 3\) needs 60 data bytes .*found 53"):
        read_idx_images(folder / "short")
    (folder / "long").write_bytes(raw + b"xx")
    with pytest.raises(IDXError, match=r"long: has trailing bytes: header \(5, 4, 3\) needs 60 .*found 62"):
        read_idx_images(folder / "long")
    (folder / "stub").write_bytes(raw[:10])
    with pytest.raises(IDXError, match=r"stub: truncated header: 10 bytes, expected at least 16"):
        read_idx_images(folder / "stub")
    (folder / "empty").write_bytes(b"")
    with pytest.raises(IDXError, match=r"empty: 0 bytes"):
        read_idx_labels(folder / "empty")


def test_corrupt_gzip(small):
    folder, images, _ = small
    good = gzip.compress(idx_bytes(images))
    (folder / "bad.gz").write_bytes(good[:12] + b"\x00" * 10 + good[22:-8])
    with pytest.raises(IDXError, match=r"bad.gz: corrupt gzip data"):
        read_idx_images(folder / "bad.gz")
    (folder / "cut.gz").write_bytes(good[: len(good) // 2])
    with pytest.raises(IDXError, match=r"cut.gz: corrupt gzip data"):
        read_idx_images(folder / "cut.gz")


def test_mismatched_counts_and_label_range(small):
    folder, images, labels = small
    img = write_idx(folder / "i.gz", images)
    with pytest.raises(IDXError, match=r"i.gz has 5 images but .*l4.gz has 4 labels"):
        load_idx_pair(img, write_idx(folder / "l4.gz", labels[:4]))
    l12 = write_idx(folder / "l12.gz", np.array([1, 2, 12, 0, 0]))
    with pytest.raises(IDXError,
                       match=r"l12.gz: 1 label\(s\) out of range, the first 12 at index 2; expected 0..9"):
        load_idx_pair(img, l12)
    assert load_idx_pair(img, l12, num_classes=None)[1].tolist() == [1, 2, 12, 0, 0]
    # the boundary: 10 classes are 0..9, so 10 is out of range and 9 is not
    l10 = write_idx(folder / "l10.gz", np.array([9, 0, 1, 10, 3]))
    with pytest.raises(IDXError,
                       match=r"l10.gz: 1 label\(s\) out of range, the first 10 at index 3; expected 0..9"):
        load_idx_pair(img, l10)
    assert load_idx_pair(img, write_idx(folder / "l9.gz", np.array([9, 9, 0, 8, 9])))[1].tolist() \
        == [9, 9, 0, 8, 9]
    with pytest.raises(IDXError, match=r"3 label\(s\) out of range, the first 9 at index 0; expected 0..2"):
        load_idx_pair(img, l10, num_classes=3)
    pair = load_idx_pair(img, write_idx(folder / "ok.gz", labels))
    np.testing.assert_array_equal(pair[0], images)
    assert pair[1].tolist() == [3, 1, 4, 1, 5]


# -- datasets ------------------------------------------------------------------------------------
def test_embedded_sample():
    ds = load_embedded_mnist()
    assert ds.train_images.shape == (8000, 28, 28) and ds.test_images.shape == (2000, 28, 28)
    assert ds.train_images.dtype == np.uint8 and ds.train_labels.dtype == np.int64
    assert ds.train_labels.shape == (8000,) and ds.test_labels.shape == (2000,)
    assert ds.train_labels[0] == 7                     # the first MNIST test digit is a 7
    assert ds.train_labels[:5].tolist() == [7, 2, 1, 0, 4]
    assert ds.test_labels[-1] == 6                     # the last MNIST test digit is a 6
    assert set(np.unique(ds.train_labels)) == set(range(10)) == set(np.unique(ds.test_labels))
    assert ds.train_images.max() == 255 and ds.train_images.min() == 0
    assert "sample" in ds.description and "8,000" in ds.description and "2,000" in ds.description
    default = load_dataset("mnist")                    # no folder, no download: the sample
    assert default.name == ds.name and np.array_equal(default.test_labels, ds.test_labels)


def test_folder_reports_missing_files(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((2, 28, 28)))
    with pytest.raises(FileNotFoundError, match=r"lacks train-labels-idx1-ubyte\[.gz\], t10k-images"):
        read_folder(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"nowhere does not exist"):
        load_dataset("mnist", tmp_path / "nowhere")


def test_folder_of_raw_and_gzipped_files(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte", np.full((3, 28, 28), 9), compress=False)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.array([0, 1, 2]))
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.full((2, 28, 28), 4))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([8, 9]), compress=False)
    ds = load_dataset("mnist", tmp_path)
    assert ds.train_images.shape == (3, 28, 28) and ds.train_images[0, 0, 0] == 9
    assert ds.test_images[1, 27, 27] == 4 and ds.test_labels.tolist() == [8, 9]
    assert ds.name == "mnist" and "3 train / 2 test" in ds.description


def test_unknown_dataset_and_fashion_mnist_without_data(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match=r"unknown dataset 'cifar'.*'mnist', 'fashion-mnist'"):
        load_dataset("cifar")
    monkeypatch.setattr(datasets_module, "FASHION_SYSTEM_DIR", tmp_path / "absent")
    with pytest.raises(FileNotFoundError, match=r"apt-get install dataset-fashion-mnist.*--data DIR"):
        load_dataset("fashion-mnist")
    with pytest.raises(ValueError, match=r"MNIST only"):
        load_dataset("fashion-mnist", download=True)


@needs_shared
def test_fashion_mnist_folder_and_system_location(monkeypatch):
    ds = load_dataset("fashion-mnist", SHARED / "fashion-mnist")
    assert ds.train_images.shape == (60000, 28, 28) and ds.test_labels.shape == (10000,)
    assert np.bincount(ds.train_labels).tolist() == [6000] * 10
    assert np.bincount(ds.test_labels).tolist() == [1000] * 10
    monkeypatch.setattr(datasets_module, "FASHION_SYSTEM_DIR", SHARED / "fashion-mnist")
    assert np.array_equal(load_dataset("fashion-mnist").test_labels, ds.test_labels)


@needs_shared
def test_shared_mnist_matches_embedded_and_verifies_offline():
    folder = SHARED / "mnist"
    images = read_idx_images(folder / "t10k-images-idx3-ubyte.gz")
    labels = read_idx_labels(folder / "t10k-labels-idx1-ubyte.gz")
    train_labels = read_idx_labels(folder / "train-labels-idx1-ubyte.gz")
    assert images.shape == (10000, 28, 28) and labels.shape == (10000,)
    assert train_labels.shape == (60000,) and train_labels[0] == 5   # MNIST's first training digit
    ds = load_embedded_mnist()
    np.testing.assert_array_equal(np.concatenate([ds.train_images, ds.test_images]), images)
    full = load_dataset("mnist", folder)
    assert full.train_images.shape == (60000, 28, 28) and full.test_labels.shape == (10000,)
    # train-images here is re-gzipped: its .gz MD5 is not the published one, its content's is
    from tinygrad_cnn.data import MNIST_MD5, MNIST_RAW_MD5, md5sum, verifies
    name = "train-images-idx3-ubyte.gz"
    assert md5sum(folder / name) != MNIST_MD5[name]
    assert verifies(folder / name, MNIST_MD5[name], MNIST_RAW_MD5[name])
    assert not verifies(folder / name, MNIST_MD5[name])
    # --download with the files present: nothing fetched (an unreachable mirror is never asked)
    assert download_mnist(folder, mirrors=["http://127.0.0.1:9/"], timeout=1) == folder


def test_recompressed_file_verifies_by_its_uncompressed_md5(tmp_path):
    from tinygrad_cnn.data import verifies
    raw = idx_bytes(np.arange(60, dtype=np.uint8).reshape(5, 4, 3))
    a, b = tmp_path / "a.gz", tmp_path / "b.gz"
    a.write_bytes(gzip.compress(raw, compresslevel=1, mtime=0))
    b.write_bytes(gzip.compress(raw, compresslevel=9, mtime=1))
    gz_md5, raw_md5 = hashlib.md5(a.read_bytes()).hexdigest(), hashlib.md5(raw).hexdigest()
    assert a.read_bytes() != b.read_bytes()
    assert verifies(a, gz_md5) and not verifies(b, gz_md5)
    assert verifies(b, gz_md5, raw_md5)
    assert not verifies(b, gz_md5, hashlib.md5(raw + b"x").hexdigest())
    (tmp_path / "c.gz").write_bytes(b"\x1f\x8bnot gzip")
    assert not verifies(tmp_path / "c.gz", gz_md5, raw_md5)


def test_data_folder_that_is_a_file(tmp_path):
    (tmp_path / "mnist").write_text("x")
    with pytest.raises(NotADirectoryError, match=r"mnist is a file, not a folder"):
        load_dataset("mnist", tmp_path / "mnist")


# -- normalisation and batches -------------------------------------------------------------------
def test_normalize():
    x = normalize(np.array([[[0, 255]]], dtype=np.uint8), mean=0.5, std=0.25)
    assert x.dtype == np.float32 and x.shape == (1, 1, 1, 2)
    np.testing.assert_allclose(x[0, 0, 0], [-2.0, 2.0])
    y = normalize(np.full((2, 3, 4), 255, dtype=np.uint8))           # MNIST mean and std
    assert y.shape == (2, 1, 3, 4)
    np.testing.assert_allclose(y, (1 - 0.1307) / 0.3081, rtol=1e-6)
    with pytest.raises(ValueError, match=r"normalize: expected images of shape \(N, H, W\), got \(2, 3\)"):
        normalize(np.zeros((2, 3), dtype=np.uint8))


def test_loader_batches_and_drop_last():
    images, labels = np.arange(10, dtype=np.float32)[:, None], np.arange(10)
    loader = DataLoader(images, labels, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 == len(batches)
    assert [y.tolist() for _, y in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][0].dtype == np.float32 and batches[0][0].shape == (4, 1)
    assert batches[0][1].dtype == np.int64
    dropped = DataLoader(images, labels, batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [len(y) for _, y in dropped] == [4, 4]
    assert len(DataLoader(images, labels, batch_size=5, drop_last=True)) == 2   # exact fit
    assert len(DataLoader(images, labels, batch_size=64)) == 1
    assert len(DataLoader(images, labels, batch_size=64, drop_last=True)) == 0


def test_loader_shuffle_is_a_reproducible_permutation_per_epoch():
    n = 103
    images, labels = np.arange(n, dtype=np.float32)[:, None], np.arange(n)
    shuffled = DataLoader(images, labels, batch_size=10, shuffle=True, seed=5)
    epochs = [np.concatenate([y for _, y in shuffled]) for _ in range(3)]
    for order in epochs:                                            # every index once per epoch
        assert np.array_equal(np.sort(order), np.arange(n))
    assert not np.array_equal(epochs[0], epochs[1]) and not np.array_equal(epochs[1], epochs[2])
    assert not np.array_equal(epochs[0], np.arange(n))              # actually shuffled
    again = DataLoader(images, labels, batch_size=10, shuffle=True, seed=5)
    assert all(np.array_equal(np.concatenate([y for _, y in again]), e) for e in epochs)
    other = DataLoader(images, labels, batch_size=10, shuffle=True, seed=6)
    assert not np.array_equal(np.concatenate([y for _, y in other]), epochs[0])
    resumed = DataLoader(images, labels, batch_size=10, shuffle=True, seed=5, start_epoch=2)
    assert np.array_equal(np.concatenate([y for _, y in resumed]), epochs[2])
    for x, y in DataLoader(images, labels, batch_size=7, shuffle=True, seed=1):
        np.testing.assert_array_equal(x[:, 0], y)                   # images stay with labels
    unseeded = [np.concatenate([y for _, y in DataLoader(images, labels, 10, shuffle=True)])
                for _ in range(2)]
    assert not np.array_equal(*unseeded)                            # seed=None: fresh entropy


def shift_by_loops(images, offsets, fill):
    """The readable version: each output pixel looked up one at a time."""
    out = np.full_like(images, fill)
    n, c, h, w = images.shape
    for k in range(n):
        dy, dx = offsets[k]
        for i in range(h):
            for j in range(w):
                if 0 <= i - dy < h and 0 <= j - dx < w:
                    out[k, :, i, j] = images[k, :, i - dy, j - dx]
    return out


def test_random_shift_matches_the_loop_version():
    from tinygrad_cnn.data import random_shift
    rng = np.random.default_rng(0)
    images = rng.standard_normal((6, 2, 5, 7)).astype(np.float32)
    offsets = np.array([[0, 0], [2, -2], [-1, 1], [-2, 2], [1, 0], [0, -1]])
    got = random_shift(images, offsets, fill=-0.5)
    assert got.shape == images.shape and got.dtype == np.float32
    np.testing.assert_array_equal(got, shift_by_loops(images, offsets, -0.5))
    np.testing.assert_array_equal(got[0], images[0])
    assert got[1, 0, 2, 4] == images[1, 0, 0, 6] and np.all(got[1, :, :2] == -0.5)
    with pytest.raises(ValueError,
                       match=r"random_shift: images of shape \(6, 2, 5, 7\) and offsets of shape \(5, 2\)"):
        random_shift(images, offsets[:5])


def test_loader_shifts_are_reproducible_bounded_and_resume_at_a_batch():
    rng = np.random.default_rng(1)
    images = rng.standard_normal((20, 1, 8, 8)).astype(np.float32)
    labels = np.arange(20)
    loader = DataLoader(images, labels, 6, shuffle=True, seed=3, shift=2, fill=0.0)
    first = list(loader.batches(0))
    again = list(DataLoader(images, labels, 6, shuffle=True, seed=3, shift=2).batches(0))
    for (x, y), (x2, y2) in zip(first, again):
        np.testing.assert_array_equal(x, x2)
        np.testing.assert_array_equal(y, y2)
    moved = 0
    for x, y in first:                       # each image is its own, moved by at most 2 pixels
        for xi, yi in zip(x, y):
            candidates = [shift_by_loops(images[yi:yi + 1], np.array([[dy, dx]]), 0.0)[0]
                          for dy in range(-2, 3) for dx in range(-2, 3)]
            assert any(np.array_equal(xi, cand) for cand in candidates)
            moved += not np.array_equal(xi, images[yi])
    assert moved > 10
    tail = list(loader.batches(0, start=2))
    assert len(tail) == 2 and all(np.array_equal(a[0], b[0]) for a, b in zip(tail, first[2:]))
    assert not np.array_equal(list(loader.batches(1))[0][0], first[0][0])
    with pytest.raises(ValueError, match=r"shift must be an int >= 0, got -1"):
        DataLoader(images, labels, 6, shift=-1)


def test_loader_errors():
    with pytest.raises(ValueError, match=r"3 images \(shape \(3, 1\)\) but 2 labels \(shape \(2,\)\)"):
        DataLoader(np.zeros((3, 1)), np.zeros(2))
    with pytest.raises(ValueError, match=r"labels of shape \(3, 2\); expected \(N, \.\.\.\) and \(N,\)"):
        DataLoader(np.zeros((3, 1)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="batch_size must be an int > 0, got 0"):
        DataLoader(np.zeros((3, 1)), np.zeros(3), batch_size=0)
    with pytest.raises(ValueError, match="batch_size must be an int > 0, got -2"):
        DataLoader(np.zeros((3, 1)), np.zeros(3), batch_size=-2)


# -- downloads against a server on 127.0.0.1 -----------------------------------------------------
@pytest.fixture
def server(tmp_path):
    """Mirrors (sub-folders) served over HTTP from a temporary folder on the loopback; yields the
    folder, the base URL and the list of requested paths."""
    root = tmp_path / "served"
    for mirror in ("good", "bad"):
        (root / mirror).mkdir(parents=True)
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _serve(root: Path, rng) -> dict:
    """Small synthetic IDX .gz files: good copies in good/, corrupted ones in bad/; name → MD5."""
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
    root, url, requests = server
    files = _serve(root, np.random.default_rng(0))
    dest = tmp_path / "mnist"
    assert download_mnist(dest, mirrors=[f"{url}/bad/", f"{url}/good"], files=files, timeout=10) == dest
    for name, md5 in files.items():
        assert hashlib.md5((dest / name).read_bytes()).hexdigest() == md5
        assert requests.count(f"/bad/{name}") == 1 and requests.count(f"/good/{name}") == 1
    assert sorted(p.name for p in dest.iterdir()) == sorted(files)          # no temp files left
    assert all(p.stat().st_mode & 0o777 == 0o644 for p in dest.iterdir())
    ds = read_folder(dest)
    assert ds.train_labels.tolist() == [1, 2, 3] and ds.test_labels.tolist() == [4, 5]
    assert ds.train_images.shape == (3, 28, 28)


def test_load_dataset_download_uses_download_mnist(server, tmp_path, monkeypatch):
    root, url, requests = server
    files = _serve(root, np.random.default_rng(3))
    monkeypatch.setattr(datasets_module, "download_mnist",
                        partial(download_mnist, mirrors=[f"{url}/good/"], files=files))
    ds = load_dataset("mnist", tmp_path / "dl", download=True)
    assert ds.name == "mnist" and ds.test_labels.tolist() == [4, 5] and len(requests) == 4


def test_download_all_mirrors_bad_writes_nothing(server, tmp_path):
    root, url, _ = server
    files = _serve(root, np.random.default_rng(1))
    dest = tmp_path / "mnist"
    with pytest.raises(DownloadError, match=r"(?s)could not download train-images.*from any of 2 mirror\(s\)"
                                            r".*bad/train-images.*MD5 [0-9a-f]{32}, expected "
                                            + files["train-images-idx3-ubyte.gz"]
                                            + r".*missing/train-images.*404"):
        download_mnist(dest, mirrors=[f"{url}/bad/", f"{url}/missing/"], files=files)
    assert list(dest.iterdir()) == []                                       # no partial file
    with pytest.raises(ValueError, match="no mirrors given"):
        download_mnist(dest, mirrors=[], files=files)


def test_download_unreachable_mirror_is_reported(tmp_path):
    import socket
    with socket.socket() as s:                     # a loopback port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match=rf"127.0.0.1:{port}/x/a.gz: URLError"):
        download_mnist(tmp_path, mirrors=[f"http://127.0.0.1:{port}/x/"], files={"a.gz": "0" * 32},
                       timeout=5)
    assert list(tmp_path.iterdir()) == []


def test_download_keeps_a_good_file_and_never_replaces_it_with_a_bad_one(server, tmp_path):
    root, url, requests = server
    files = _serve(root, np.random.default_rng(2))
    dest = tmp_path / "mnist"
    download_mnist(dest, mirrors=[f"{url}/good/"], files=files)
    assert len(requests) == 4
    for name in files:                      # the server now has only bad copies
        (root / "good" / name).write_bytes(b"garbage")
    download_mnist(dest, mirrors=[f"{url}/good/"], files=files)   # nothing refetched: no error
    assert len(requests) == 4
    kept = dest / "t10k-labels-idx1-ubyte.gz"
    kept.write_bytes(b"damaged")            # a damaged local file is refetched, and fails
    with pytest.raises(DownloadError, match=r"t10k-labels-idx1-ubyte.gz.*MD5"):
        download_mnist(dest, mirrors=[f"{url}/good/"], files=files)
    assert requests[4:] == ["/good/t10k-labels-idx1-ubyte.gz"]
    assert kept.read_bytes() == b"damaged"  # the failed download did not replace it
    assert sorted(os.listdir(dest)) == sorted(files)                      # no temp files left
