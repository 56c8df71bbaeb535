"""`badia build`: every cell survives the trip to CSV, Parquet and SQLite, and a failed or killed
build never damages the previous one."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, edit_cell, run_badia

PACKAGE = json.loads((ROOT / "datapackage.json").read_text())
TABLES = [r["name"] for r in PACKAGE["resources"]]


def schema(name: str) -> dict:
    res = next(r for r in PACKAGE["resources"] if r["name"] == name)
    return json.loads((ROOT / res["schema"]).read_text())


def normalise(value, ftype: str):
    """One cell as a plain Python value, read independently of the code under test."""
    if value is None or value == "":
        return None
    if ftype == "integer":
        return int(value)
    if ftype == "number":
        return float(value)
    if ftype == "boolean":
        return value if isinstance(value, bool) else {"true": True, "false": False, 1: True, 0: False}[value]
    if ftype == "date":
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return str(value)


def csv_rows(path: Path, name: str) -> list[tuple]:
    types = [f.get("type", "string") for f in schema(name)["fields"]]
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        assert header == [f["name"] for f in schema(name)["fields"]]
        return [tuple(normalise(v, t) for v, t in zip(row, types)) for row in reader]


@pytest.mark.parametrize("name", TABLES)
def test_round_trip_every_cell(built: Path, name: str):
    fields = schema(name)["fields"]
    types = [f.get("type", "string") for f in fields]
    names = [f["name"] for f in fields]
    curated = csv_rows(ROOT / "data" / f"{name}.csv", name)
    assert csv_rows(built / "csv" / f"{name}.csv", name) == curated

    parquet = pq.read_table(built / "parquet" / f"{name}.parquet").to_pylist()
    assert [tuple(normalise(row[n], t) for n, t in zip(names, types)) for row in parquet] == curated

    with sqlite3.connect(built / "badia.db") as conn:
        cols = ", ".join(f"[{n}]" for n in names)
        rows = conn.execute(f"SELECT {cols} FROM [{name}] ORDER BY rowid").fetchall()
    assert [tuple(normalise(v, t) for v, t in zip(row, types)) for row in rows] == curated


def test_parquet_types(built: Path):
    events = pq.read_schema(built / "parquet" / "events.parquet")
    assert events.field("date_start").type == pa.date32()
    assert events.field("fatalities").type == pa.int64() and events.field("fatalities").nullable
    assert pa.types.is_dictionary(events.field("event_type").type)
    articles = pq.read_schema(built / "parquet" / "articles.parquet")
    assert articles.field("published_date_inferred").type == pa.bool_()
    assert events.field("summary").metadata[b"description"]


def test_sqlite_keys_indexes_and_search(built: Path):
    with sqlite3.connect(built / "badia.db") as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        fk_count = sum(len(conn.execute(f"PRAGMA foreign_key_list([{t}])").fetchall()) for t in TABLES)
        assert fk_count == sum(len(schema(t).get("foreignKeys", [])) for t in TABLES)
        indexed = {(t, row[2]) for t in TABLES for idx in conn.execute(f"PRAGMA index_list([{t}])").fetchall()
                   for row in conn.execute(f"PRAGMA index_info([{idx[1]}])").fetchall() if row[0] == 0}
        for t in TABLES:
            for fk in schema(t).get("foreignKeys", []):
                assert (t, fk["fields"][0]) in indexed, f"no index leads with {t}.{fk['fields'][0]}"
        word = conn.execute("SELECT text FROM quotes LIMIT 1").fetchone()[0].split()[0].strip(".,“”\"'")
        hits = conn.execute("SELECT count(*) FROM quotes_fts WHERE quotes_fts MATCH ?", [f'"{word}"']).fetchone()[0]
        assert hits >= 1


@pytest.mark.e2e
def test_built_datapackage_describes_built_files(built: Path):
    desc = json.loads((built / "datapackage.json").read_text())
    for res in desc["resources"]:
        assert (built / res["path"]).is_file(), res["path"]
    result = subprocess.run([str(Path(sys.executable).with_name("frictionless")), "validate", "datapackage.json"],
                            cwd=built, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:]


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_invalid_data_refuses_to_build_and_keeps_previous_build(dataset: Path):
    assert run_badia("build", root=dataset).returncode == 0
    before = tree_digest(dataset / "build")
    edit_cell(dataset / "data" / "events.csv", 0, "event_type", "Battels")
    result = run_badia("build", root=dataset)
    assert result.returncode == 1
    assert "previous build is untouched" in result.stderr
    assert tree_digest(dataset / "build") == before


def test_failure_midway_keeps_previous_build(dataset: Path, monkeypatch):
    from badia.publish import build as build_module

    build_module.build(dataset)
    before = tree_digest(dataset / "build")

    def broken(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(build_module, "write_sqlite", broken)
    with pytest.raises(OSError):
        build_module.build(dataset)
    assert tree_digest(dataset / "build") == before
    assert not list(dataset.glob(".build.staging-*"))


@pytest.mark.e2e
def test_killed_build_keeps_previous_build(dataset: Path):
    assert run_badia("build", root=dataset).returncode == 0
    before = tree_digest(dataset / "build")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.Popen([sys.executable, "-m", "badia", "--root", str(dataset), "build"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not list(dataset.glob(".build.staging-*")) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    assert list(dataset.glob(".build.staging-*")), "the build ended before it could be killed mid-way"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert tree_digest(dataset / "build") == before
    assert run_badia("build", root=dataset).returncode == 0
    assert not list(dataset.glob(".build.*"))
