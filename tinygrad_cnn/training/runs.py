"""Run folders: where a run writes, and making sure nothing good is replaced.

* A new run without `--out` writes to `runs/<model>`; if that folder already holds a run (or is
  in use), to `runs/<model>-2`, `runs/<model>-3`, … (numbered, as TensorBoard and Lightning do).
* A new run with `--out DIR` refuses a DIR that already holds a run's files: it never replaces
  another run's checkpoints.
* A resumed run writes to `--out` if given, else beside the checkpoint it loaded — unless that
  folder's `last.npz` is another file (resuming `best.npz` of a run that went on): then it is
  refused, as it would replace the later state; `--out` branches off instead.
* While a run writes into a folder it holds `train.lock` (an exclusive `flock`, with the pid
  inside). A second run into that folder is refused, naming the folder and the other pid. A lock
  file whose process is gone (killed) is taken over. Before training, the folder is checked to
  be writable and stale temporary files of killed writes are removed.
"""
from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import time
from pathlib import Path

from ..atomic import remove_stale_temp_files

LOCK_NAME = "train.lock"
RUN_FILES = ("last.npz", "best.npz", "checkpoint.npz", "metrics.json")


class RunFolderError(RuntimeError):
    """A folder a run cannot write into (taken, in use, not writable)."""


def holds_run(folder: Path) -> list[str]:
    """The run files in `folder` (empty if none)."""
    return [name for name in RUN_FILES if (folder / name).exists()]


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:          # exists, owned by someone else
        return True
    return True


def _read_owner(path: Path) -> tuple[int, str]:
    """(pid, description) from a lock file; pid 0 if unreadable."""
    try:
        text = path.read_text()
    except OSError:
        return 0, ""
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    try:
        pid = int(fields.get("pid", "0"))
    except ValueError:
        pid = 0
    return pid, f"pid {pid}" + (f" on {fields['host']}" if fields.get("host") else "") + (
        f", started {fields['started']}" if fields.get("started") else "")


class RunLock:
    """The exclusive lock of a run folder (`train.lock`); `with RunLock(folder):`."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.fd: int | None = None

    def in_use(self) -> str | None:
        """Who holds the folder ("pid 123 on host, started …"), or None if it is free."""
        if not self.path.exists():
            return None
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return None
        try:
            if _try_flock(fd):
                pid, who = _read_owner(self.path)
                _unlock(fd)
                return who if pid != os.getpid() and _pid_alive(pid) else None
            return _read_owner(self.path)[1] or "another process"
        finally:
            os.close(fd)

    def acquire(self) -> RunLock:
        for _ in range(3):                       # retry if the file was replaced under us
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as err:
                raise RunFolderError(f"run folder {self.folder} is not writable: "
                                     f"{err.strerror or err}") from None
            if not _try_flock(fd):
                os.close(fd)
                raise self._busy(_read_owner(self.path)[1] or "another process")
            pid, who = _read_owner(self.path)
            if pid and pid != os.getpid() and _pid_alive(pid):
                _unlock(fd)
                os.close(fd)
                raise self._busy(who)
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                _unlock(fd)
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            os.write(fd, f"pid={os.getpid()}\nhost={socket.gethostname()}\nstarted={stamp}\n"
                     .encode())
            self.fd = fd
            return self
        raise self._busy("another process")

    def _busy(self, who: str) -> RunFolderError:
        return RunFolderError(f"run folder {self.folder} is in use by another training ({who}; "
                              f"lock file {self.path}); wait for it to finish or choose another "
                              "--out")

    def release(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        _unlock(self.fd)
        os.close(self.fd)
        self.fd = None

    def __enter__(self) -> RunLock:
        return self.acquire() if self.fd is None else self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _try_flock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:                          # not POSIX: the pid inside decides
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    with contextlib.suppress(ImportError, OSError):
        import fcntl
        fcntl.flock(fd, fcntl.LOCK_UN)


def check_writable(folder: Path) -> None:
    """Create `folder` if needed and write (then remove) a probe file: RunFolderError if not."""
    try:
        if folder.exists() and not folder.is_dir():
            raise RunFolderError(f"--out {folder} is a file, not a folder")
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-probe.", dir=folder)
        os.close(fd)
        os.remove(probe)
    except RunFolderError:
        raise
    except OSError as err:
        raise RunFolderError(f"--out {folder} is not writable: {err.strerror or err}"
                             f"{' (' + err.filename + ')' if err.filename else ''}") from None


def open_run_folder(out: str | None, model: str, resume_from: Path | None = None,
                    runs_dir: Path = Path("runs")) -> tuple[Path, RunLock]:
    """Choose the folder of this run, check it is writable, lock it, remove stale temp files.

    `out` None: a new run numbers `runs/<model>[-k]`, a resumed run uses the checkpoint's folder.
    """
    if out is None and resume_from is None:
        k = 1
        while True:
            folder = runs_dir / (model if k == 1 else f"{model}-{k}")
            k += 1
            if folder.exists() and (holds_run(folder) or RunLock(folder).in_use()):
                continue
            check_writable(folder)
            lock = RunLock(folder)
            try:
                lock.acquire()
            except RunFolderError:
                continue                          # someone took it a moment ago
            if holds_run(folder):
                lock.release()
                continue
            break
    else:
        folder = Path(out) if out is not None else Path(resume_from).resolve().parent  # type: ignore[arg-type]
        check_writable(folder)
        lock = RunLock(folder).acquire()
        taken = holds_run(folder)
        last = folder / "last.npz"
        if out is None and resume_from is not None and last.exists() \
                and not os.path.samefile(last, resume_from):
            lock.release()
            raise RunFolderError(f"resuming {resume_from} beside it would replace {last}, a "
                                 f"later state of that run; resume {last} instead, or pass "
                                 "--out DIR to branch off into another folder")
        same_run = resume_from is not None and Path(resume_from).resolve().parent == folder.resolve()
        if taken and not same_run:
            lock.release()
            hint = ("resume it with --resume " + str(folder / taken[0]) if taken[0].endswith(".npz")
                    else "delete it first")
            raise RunFolderError(f"--out {folder} already holds a run ({', '.join(taken)}); a new "
                                 f"run never replaces another run's files: choose another --out, "
                                 f"{hint}, or leave out --out to get a fresh numbered folder")
    remove_stale_temp_files(folder)
    return folder, lock
