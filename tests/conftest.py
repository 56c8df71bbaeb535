"""Shared fixtures: the real dataset, disposable copies of it, the badia CLI as a subprocess,
and one real build of the committed data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


def run_badia(*args: str, root: Path = ROOT, timeout: int = 300, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the real CLI (`python -m badia`) in a subprocess, as a contributor would (`env`: more
    environment variables)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), **(env or {}))
    return subprocess.run([sys.executable, "-m", "badia", "--root", str(root), *args],
                          capture_output=True, text=True, env=env, timeout=timeout)


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
