"""Atomic file writes: write a temporary file beside the target, then rename it over the target
(`os.replace` is atomic on one file system), so a crash never leaves a half-written file.

The temporary file is `.<name>.<random>.tmp`; it is removed on any error, KeyboardInterrupt
included. Only a killed process (SIGKILL, power loss) can leave one behind:
`remove_stale_temp_files(folder)` deletes those (call it while no one else writes there).
"""
from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

TEMP_PREFIX, TEMP_SUFFIX = ".", ".tmp"
_TEMP_NAME = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")   # mkstemp's 8 random characters


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path`, on error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.name}.", suffix=TEMP_SUFFIX,
                               dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)             # mkstemp makes it private (0600)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` atomically; returns the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def is_temp_file(path: str | Path) -> bool:
    """True for a name `atomic_path` gives its temporary files."""
    return bool(_TEMP_NAME.match(Path(path).name))


def remove_stale_temp_files(folder: str | Path) -> list[Path]:
    """Delete the temporary files a killed write left in `folder`; returns what was removed."""
    removed: list[Path] = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        if entry.is_file() and is_temp_file(entry):
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
                removed.append(entry)
    return removed
