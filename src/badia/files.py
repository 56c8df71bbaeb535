"""Writing files so that a reader, or a crash, sees the old version or the new one, never half of one.

Every write of curated data, seeds, drafts and published files goes through this module:

- `atomic_file(path)`: a context manager yielding a binary file handle; when the block ends without
  an error the bytes are flushed to disk and renamed over `path` in one step; on any error (or
  Ctrl-C) the temporary file is removed and `path` is untouched.
- `atomic_write(path, data)`: the same for bytes already in memory.
- `atomic_copy(src, dest)`: the same for a finished file made elsewhere (a release zip).
- `atomic_write_all({path: data})`: several files; every one is written beside itself first and
  only then are they renamed, so a failure while writing leaves all of them as they were. (The
  renames are separate steps: a crash between two of them leaves some files new, each whole.)
- `staged_folder(out)`: a context manager yielding an empty folder beside `out`; when the block
  ends without an error it replaces `out` (the old one is kept aside until the new one is in
  place); on an error it is removed and `out` is untouched. `recover_folder(out)` finishes a swap
  that a crash interrupted; `staged_folder` calls it first.

Temporary names start with a dot and the target's name (`.articles.csv.<random>.tmp`,
`.build.staging-<random>`), so they are hidden and easy to trace. A file that exists keeps its
permission bits; a new file gets the ones `open()` would give it.

Our own few lines rather than a library: the ones on PyPI (atomicwrites, now archived) cover one
file only, and the staging of several files and of a folder must share the same naming.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20  # bytes copied at a time by atomic_copy


def _new_file_mode() -> int:
    """The permission bits `open()` gives a new file under the current umask (mkstemp gives 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync_folder(folder: Path) -> None:
    """Make a rename inside `folder` survive a power cut (the folder's entry is what changed)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a folder; the rename itself is still atomic
    finally:
        os.close(fd)


@contextlib.contextmanager
def _staged_file(path: Path) -> Iterator[tuple[BinaryIO, Path]]:
    """A temporary file beside `path`, flushed to disk and given `path`'s mode when the block ends;
    removed if the block fails. The caller renames it."""
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh, tmp
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else _new_file_mode())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """Write `path` through the yielded binary handle: whole when the block ends, untouched if it fails."""
    path = Path(path)
    with _staged_file(path) as (fh, tmp):
        yield fh
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` by `data` in one step."""
    with atomic_file(path) as fh:
        fh.write(data)


def atomic_copy(src: Path, dest: Path) -> None:
    """Copy the finished file `src` to `dest` in one step (a copy beside `dest`, then a rename)."""
    with Path(src).open("rb") as source, atomic_file(dest) as fh:
        shutil.copyfileobj(source, fh, CHUNK)


def atomic_write_all(files: Mapping[Path, bytes]) -> None:
    """Replace several files: all are written beside themselves before any is renamed into place."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in files.items():
            with _staged_file(Path(path)) as (fh, tmp):
                fh.write(data)
            staged.append((tmp, Path(path)))
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for i, (tmp, path) in enumerate(staged):
        try:
            os.replace(tmp, path)
        except BaseException:
            for left, _ in staged[i:]:
                left.unlink(missing_ok=True)
            raise
    for folder in {path.parent for _, path in staged}:
        _fsync_folder(folder)


def _previous(out: Path) -> Path:
    return out.with_name(f".{out.name}.previous")


def remove_tree(folder: Path) -> None:
    """Remove a folder of ours even where its files or folders were made read-only: a read-only
    build/ left .build.previous behind, and then every later build failed."""
    def writable_then_retry(function, path, _):
        for target in {Path(path).parent, Path(path)}:
            if target.exists() and not target.is_symlink():
                target.chmod(target.stat().st_mode | 0o700)
        function(path)

    shutil.rmtree(folder, onerror=writable_then_retry)


def recover_folder(out: Path) -> None:
    """Finish a folder swap that was interrupted between its two renames, and clear stale staging
    folders left by a killed run."""
    out = Path(out)
    previous = _previous(out)
    if previous.exists():
        if out.exists():
            remove_tree(previous)
        else:
            previous.rename(out)
    for stale in out.parent.glob(f".{out.name}.staging-*"):
        remove_tree(stale)


@contextlib.contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """Fill the yielded empty folder; when the block ends it replaces `out`, if it fails it is removed."""
    out = Path(out)
    recover_folder(out)
    staging = out.with_name(f".{out.name}.staging-{uuid.uuid4().hex[:8]}")
    staging.mkdir(parents=True)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    previous = _previous(out)
    if out.exists():
        out.rename(previous)
    staging.rename(out)
    _fsync_folder(out.parent)
    if previous.exists():
        remove_tree(previous)
