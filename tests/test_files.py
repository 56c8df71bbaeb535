"""badia.files: a write is whole or absent, never half; temporary files never outlive a failure."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from badia.files import atomic_copy, atomic_file, atomic_write, atomic_write_all, recover_folder, staged_folder


class Interrupted(Exception):
    pass


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_atomic_write_replaces_and_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"old\n")
    os.chmod(path, 0o640)
    atomic_write(path, b"new\n")
    assert path.read_bytes() == b"new\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert leftovers(tmp_path) == []


def test_a_new_file_gets_the_mode_open_would_give(tmp_path: Path) -> None:
    (tmp_path / "by-open").write_bytes(b"")
    atomic_write(tmp_path / "by-badia", b"x")
    assert stat.S_IMODE((tmp_path / "by-badia").stat().st_mode) == stat.S_IMODE((tmp_path / "by-open").stat().st_mode)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"old\n")
    with pytest.raises(Interrupted):
        with atomic_file(path) as fh:
            fh.write(b"half of the new")
            raise Interrupted
    assert path.read_bytes() == b"old\n"
    assert leftovers(tmp_path) == []


def test_atomic_copy(tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(3 << 20))
    atomic_copy(src, tmp_path / "dest.bin")
    assert (tmp_path / "dest.bin").read_bytes() == src.read_bytes()
    assert leftovers(tmp_path) == []


def test_write_all_changes_nothing_when_one_file_cannot_be_written(tmp_path: Path) -> None:
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_bytes(b"first\n")
    second.write_bytes(b"second\n")
    with pytest.raises(FileNotFoundError):
        atomic_write_all({first: b"FIRST\n", second: b"SECOND\n", tmp_path / "no-such-folder" / "third.csv": b"x"})
    assert (first.read_bytes(), second.read_bytes()) == (b"first\n", b"second\n")
    assert leftovers(tmp_path) == []
    atomic_write_all({first: b"FIRST\n", second: b"SECOND\n"})
    assert (first.read_bytes(), second.read_bytes()) == (b"FIRST\n", b"SECOND\n")
    assert leftovers(tmp_path) == []


def test_staged_folder_replaces_the_old_folder_only_when_complete(tmp_path: Path) -> None:
    out = tmp_path / "build"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(Interrupted):
        with staged_folder(out) as staging:
            (staging / "new.txt").write_text("new")
            raise Interrupted
    assert sorted(p.name for p in out.iterdir()) == ["old.txt"]
    assert leftovers(tmp_path) == []
    with staged_folder(out) as staging:
        assert staging.parent == out.parent and staging.name.startswith(".build.staging-")
        (staging / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]
    assert leftovers(tmp_path) == []


def test_staged_folder_creates_a_missing_parent(tmp_path: Path) -> None:
    out = tmp_path / "drafts" / "article-1"
    with staged_folder(out) as staging:
        (staging / "events.csv").write_text("x")
    assert (out / "events.csv").read_text() == "x"


def test_recover_finishes_a_swap_interrupted_between_its_renames(tmp_path: Path) -> None:
    out = tmp_path / "build"
    previous = tmp_path / ".build.previous"  # the old build, moved aside; the new one never arrived
    previous.mkdir()
    (previous / "old.txt").write_text("old")
    stale = tmp_path / ".build.staging-deadbeef"
    stale.mkdir()
    recover_folder(out)
    assert (out / "old.txt").read_text() == "old"
    assert leftovers(tmp_path) == []


def test_recover_drops_the_old_folder_when_the_new_one_arrived(tmp_path: Path) -> None:
    out = tmp_path / "build"
    out.mkdir()
    (out / "new.txt").write_text("new")
    (tmp_path / ".build.previous").mkdir()
    recover_folder(out)
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]
    assert leftovers(tmp_path) == []
