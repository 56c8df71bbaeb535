"""One writer at a time: the lock that every command writing data/, seeds/, drafts/, build/ or
releases/ takes for the whole of its run (badia.cli.WRITERS).

Two `add-article` at once each read articles.csv, appended their row and renamed their copy over
the file: one registration was lost, and both said it was done. Two builds swapped the same
folder and one died with an internal error. With the lock, a second writer waits a little (a
short command may finish) and is then refused with a message naming the first.

The lock is an advisory `flock` on ROOT/.badia.lock: the kernel lets it go when its holder ends,
however it ends, so a killed command never leaves a stale lock behind. Holding it, a command may
also clear what a killed writer left (badia.lock.clear_leftovers): nobody else is writing.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

from badia.problems import Problem, Refused

LOCK_FILE = ".badia.lock"
WAIT_SECONDS = 10.0
# Temporary files of an atomic write (`.<name>.<8 random>`, with `.tmp` after it or not, beside
# their target) and staged draft folders (`.<article id>.<8 random>`), which only a writer killed
# mid-way leaves behind; tempfile's random part is 8 of [a-z0-9_].
LEFTOVER_FILE = re.compile(r"\.[^/]+\.(csv|txt|md|json)\.[a-z0-9_]{8}(\.tmp)?")
LEFTOVER_DRAFT = re.compile(r"\.[a-z0-9][a-z0-9_.-]*\.[a-z0-9_]{8}")
LEFTOVER_FOLDERS = ("data", "seeds", "drafts")


class Busy(Refused):
    """Another badia command is writing this dataset (exit 2: nothing was done)."""

    exit_code = 2


@contextlib.contextmanager
def writer(root: Path, command: str, wait: float = WAIT_SECONDS) -> Iterator[None]:
    """Hold the dataset's write lock for the block; Busy if another command keeps it past `wait` seconds."""
    path = Path(root) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as e:
        if e.errno in (errno.EROFS, errno.EACCES):  # nobody can write this dataset: nothing to guard
            yield
            return
        raise Busy([Problem(LOCK_FILE, f"cannot open the dataset's lock file: {e.strerror}",
                            f"remove {LOCK_FILE} if it is a link or a folder; it is an empty file badia makes", code="busy")]) from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another badia command"
                    raise Busy([Problem(LOCK_FILE, f"{holder} is writing this dataset, so `badia {command}` did not start",
                                        "wait for it to finish, then run the command again", code="busy")]) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"`badia {command}` (process {os.getpid()})\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor lets the lock go


def clear_leftovers(root: Path) -> list[Path]:
    """Remove the temporary files and staged draft folders that a killed writer left in data/,
    seeds/ and drafts/ (call only while holding the lock); returns what was removed."""
    import shutil

    removed = []
    for folder in LEFTOVER_FOLDERS:
        base = Path(root) / folder
        if not base.is_dir() or base.is_symlink():
            continue
        for entry in base.iterdir():
            if entry.is_symlink():
                continue
            if entry.is_file() and LEFTOVER_FILE.fullmatch(entry.name):
                entry.unlink()
                removed.append(entry)
            elif entry.is_dir() and folder == "drafts" and LEFTOVER_DRAFT.fullmatch(entry.name):
                shutil.rmtree(entry)
                removed.append(entry)
    return removed
