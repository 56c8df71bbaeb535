"""Shared fixtures: the real dataset, disposable copies of it, the badia CLI run in this process
(the fast tier) or as a subprocess (the e2e tier), and one real build of the committed data."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATASET_PARTS = ("datapackage.json", "schemas", "data", "seeds")


def copy_dataset(dest: Path) -> Path:
    """A copy of the committed dataset (data, schemas, seeds, datapackage.json) at `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in DATASET_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part)
        else:
            shutil.copy2(src, dest / part)
    return dest


def run_badia(*args: str, root: Path = ROOT, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run the CLI in this process (`cli.main`, as `badia` runs it), with its output captured:
    the fast tier's way. `timeout` is for the same call as a subprocess (run_badia_process, also
    the one to use when a test needs a fresh process's environment)."""
    from badia import cli

    argv = ["--root", str(root), *args]
    out, err = io.StringIO(), io.StringIO()
    with _OUTPUT.capture(out, err):
        try:
            code = cli.main(argv)
        except SystemExit as e:  # argparse's answer to a bad command line
            code = e.code if isinstance(e.code, int) else 2
    return subprocess.CompletedProcess(["badia", *argv], code, out.getvalue(), err.getvalue())


def run_badia_process(*args: str, root: Path = ROOT, timeout: int = 300, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the real CLI (`python -m badia`) in a subprocess, as a contributor would (e2e tests;
    `env`: more environment variables)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), **(env or {}))
    return subprocess.run([sys.executable, "-m", "badia", "--root", str(root), *args],
                          capture_output=True, text=True, env=env, timeout=timeout)


class _PerThreadOutput:
    """sys.stdout and sys.stderr that write to the buffers of the thread writing, so that CLI runs
    in several threads at once (the catalogue) each get their own output; other writes go on to
    the streams that were there before."""

    def __init__(self) -> None:
        self.local = threading.local()
        self.lock = threading.Lock()
        self.users = 0
        self.saved: tuple = ()

    @contextlib.contextmanager
    def capture(self, out: io.StringIO, err: io.StringIO):
        with self.lock:
            if self.users == 0:
                self.saved = (sys.stdout, sys.stderr)
                sys.stdout, sys.stderr = _Dispatch(self.local, "out", self.saved[0]), _Dispatch(self.local, "err", self.saved[1])
            self.users += 1
        self.local.out, self.local.err = out, err
        try:
            yield
        finally:
            self.local.out = self.local.err = None
            with self.lock:
                self.users -= 1
                if self.users == 0:
                    sys.stdout, sys.stderr = self.saved


class _Dispatch(io.TextIOBase):
    def __init__(self, local: threading.local, which: str, fallback) -> None:
        self.local, self.which, self.fallback = local, which, fallback

    def _target(self):
        return getattr(self.local, self.which, None) or self.fallback

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()


_OUTPUT = _PerThreadOutput()


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    """A disposable copy of the dataset that a test may break."""
    return copy_dataset(tmp_path / "dataset")


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """One real `badia build` of the committed data, shared by the tests that read its outputs."""
    out = tmp_path_factory.mktemp("build") / "build"
    result = run_badia("build", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def edit_cell(csv_path: Path, row: int, column: str, value: str) -> None:
    """Set one cell of a CSV (row 0 = first data row), writing it back the way the data is kept."""
    import csv

    with csv_path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[row + 1][rows[0].index(column)] = value
    with csv_path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def read_table(root: Path, name: str) -> tuple[list[str], list[dict], list[int]]:
    """data/<name>.csv under `root`: its header, its rows as dicts, and the line each row starts on."""
    import csv

    with (root / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows, lines, start = [], [], reader.line_num + 1
        for record in reader:
            rows.append(dict(zip(header, record)))
            lines.append(start)
            start = reader.line_num + 1
    return header, rows, lines
