"""Download MNIST from public mirrors, verify MD5, write atomically.

A file verifies when the MD5 of its bytes is the published MD5 of the .gz file, or the MD5 of
its uncompressed bytes is the published MD5 of the uncompressed file: a re-compressed copy
(`gzip -9` gives other .gz bytes for the same content) is accepted too.

Each file is fetched into a temporary file in the destination folder, checked against its MD5,
and only then renamed over the final name (`os.replace`, atomic on one file system): a failed or
corrupt download never replaces a file nor leaves a partial one under the real name. A file
already present with the right MD5 is not fetched again.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
# the published MD5s of the uncompressed files (e.g. torchvision's, LeCun's page's content)
MNIST_RAW_MD5 = {
    "train-images-idx3-ubyte.gz": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
}
DEFAULT_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",        # the one torchvision uses
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)


class DownloadError(RuntimeError):
    """No mirror gave a file with the right checksum."""


def md5sum(path: str | Path) -> str:
    """Hex MD5 of a file, read in 1 MiB blocks."""
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def gunzipped_md5(path: str | Path) -> str | None:
    """Hex MD5 of the file's uncompressed content, None if it is not valid gzip data."""
    import gzip
    import zlib

    digest = hashlib.md5()
    try:
        with gzip.open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except (OSError, EOFError, zlib.error):
        return None
    return digest.hexdigest()


def verifies(path: str | Path, md5: str, raw_md5: str | None = None) -> bool:
    """True if `path` has the .gz MD5 `md5`, or its uncompressed content the MD5 `raw_md5`."""
    return md5sum(path) == md5 or (raw_md5 is not None and gunzipped_md5(path) == raw_md5)


def _fetch(url: str, dest: Path, md5: str, timeout: float, raw_md5: str | None = None) -> None:
    """One mirror: download to a temp file beside `dest`, verify, rename; raise on any failure."""
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        digest = hashlib.md5()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            while block := response.read(1 << 20):
                digest.update(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != md5 and not (raw_md5 and gunzipped_md5(tmp) == raw_md5):
            raise DownloadError(f"MD5 {digest.hexdigest()}, expected {md5}"
                                + (f" (or {raw_md5} uncompressed)" if raw_md5 else ""))
        os.chmod(tmp, 0o644)             # mkstemp makes it private (0600)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def download_mnist(dest_dir: str | Path, mirrors: Sequence[str] = DEFAULT_MIRRORS,
                   files: Mapping[str, str] | None = None, timeout: float = 60.0) -> Path:
    """Make sure `dest_dir` holds every file of `files` (name → MD5; default MNIST's four,
    which also accept the uncompressed content's published MD5, `MNIST_RAW_MD5`).

    A present file that verifies is kept (nothing is fetched: works offline); stale `.part`
    files of killed downloads are removed. Otherwise each mirror (a base URL) is tried in
    turn; if none gives the right bytes, DownloadError lists every mirror and why it failed.
    Returns `dest_dir`.
    """
    if isinstance(mirrors, str):
        mirrors = [mirrors]
    if not mirrors:
        raise ValueError("download_mnist: no mirrors given; expected at least one base URL")
    dest_dir = Path(dest_dir).expanduser()
    if dest_dir.exists() and not dest_dir.is_dir():
        raise NotADirectoryError(f"download_mnist: {dest_dir} is a file, not a folder")
    raw = MNIST_RAW_MD5 if files is None else {}
    wanted = MNIST_MD5 if files is None else files
    if all((dest_dir / n).is_file() and verifies(dest_dir / n, m, raw.get(n))
           for n, m in wanted.items()):
        return dest_dir                           # complete: no folder write, no network
    dest_dir.mkdir(parents=True, exist_ok=True)
    for stale in dest_dir.glob(".*.part"):
        stale.unlink(missing_ok=True)
    for name, md5 in wanted.items():
        dest = dest_dir / name
        if dest.is_file() and verifies(dest, md5, raw.get(name)):
            continue
        failures = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + name
            try:
                _fetch(url, dest, md5, timeout, raw.get(name))
                break
            except Exception as err:  # URLError, HTTPError, timeouts, OSError, bad checksums
                failures.append(f"{url}: {type(err).__name__}: {err}")
        else:
            raise DownloadError(f"download_mnist: could not download {name} into {dest_dir} "
                                f"from any of {len(mirrors)} mirror(s):\n  " + "\n  ".join(failures))
    return dest_dir
