"""Property-based tests: the committed CSVs corrupted at random (bytes, lines, cells) always get
an answer from the validator, either success or problems located in a real file, never a crash.

The fast property re-reads only the corrupted table and runs every cross-table check with the
other tables as committed; the slower one runs the whole `validate` on a corrupted copy.
BADIA_FUZZ_EXAMPLES raises the number of examples for a longer hunt.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from badia.dataset.package import load_package
from badia.problems import FORMATS, Problem
from badia.dataset.tables import read_table, read_tables
from badia.validate.checks import check_tables, validate
from conftest import ROOT, copy_dataset

EXAMPLES = int(os.environ.get("BADIA_FUZZ_EXAMPLES", "60"))
PACKAGE = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
PATHS = {r["name"]: r["path"] for r in PACKAGE["resources"]}
ORIGINAL = {name: (ROOT / path).read_bytes() for name, path in PATHS.items()}

# Values that have broken CSV validators before: formulas, numbers at the edge of what parses,
# dates that almost are, quotes, separators and line breaks inside a cell, odd Unicode digits.
NASTY_CELLS = ["", " ", "=1+1", "-1", "+1", "@x", "0", "-0", "1e309", "-1e309", "inf", "nan", "NaN", "NA", "null", "None",
               "9" * 30, "-" + "9" * 25, "0x1F", "1_000", "١٢٣", "3.", ".5", "2017-02-30", "2017-13-01", "0000-00-00",
               "9999-12-31", "2017-5-1", "20170501", "true", "TRUE", "yes", '"', '""', ",", "\n", "\r\n", "\t", "\x00",
               "\ufeff", "\u200b", "é", "𝟙", "a" * 300, "../../etc/passwd", "seeds/../x.txt", "Q0", "SY;", ";", "🏜"]


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def to_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


@st.composite
def corrupted_table(draw) -> tuple[str, bytes]:
    """One table's bytes, damaged in one of the ways files get damaged or mis-edited."""
    name = draw(st.sampled_from(sorted(PATHS)))
    data = ORIGINAL[name]
    kind = draw(st.sampled_from(["cell", "cell", "cell", "bytes", "insert", "delete", "lines", "truncate"]))
    if kind == "cell":
        rows = rows_of(data)
        r = draw(st.integers(0, len(rows) - 1))
        c = draw(st.integers(0, len(rows[r]) - 1))
        rows[r][c] = draw(st.one_of(st.sampled_from(NASTY_CELLS), st.text(max_size=20), st.sampled_from([v for row in rows for v in row])))
        return name, to_bytes(rows)
    at = draw(st.integers(0, len(data)))
    if kind == "bytes":
        return name, data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at + draw(st.integers(0, 8)):]
    if kind == "insert":
        return name, data[:at] + draw(st.sampled_from([b'"', b",", b"\n", b"\r", b"\x00", b"\xff", b"\xef\xbb\xbf", b"\n\n"])) + data[at:]
    if kind == "delete":
        return name, data[:at] + data[at + draw(st.integers(1, 200)):]
    if kind == "lines":
        lines = data.split(b"\n")
        i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
        if draw(st.booleans()):
            lines.insert(j, lines[i])
        return name, b"\n".join(lines)
    return name, data[:at]


def assert_located(root: Path, problems: list[Problem]) -> None:
    """Every problem names an existing file or folder of the dataset, a line inside it, and a fix."""
    for p in problems:
        assert p.message and p.hint, p
        assert p.value is None or isinstance(p.value, str), p
        assert all(v is None or type(v) is int for v in (p.line, p.col)), p
        target = root / p.path
        assert target.exists(), p
        if p.line is not None:
            assert target.is_file(), p
            assert 1 <= p.line <= target.read_bytes().count(b"\n") + 1, p
        if p.col is not None:
            assert p.line is not None and p.col >= 1, p
    for fmt in FORMATS.values():
        assert fmt(problems)


class Workspace:
    """A copy of the dataset, its package, and its tables as committed (read once)."""

    def __init__(self, root: Path):
        self.root = root
        self.package = load_package(root)
        problems: list[Problem] = []
        self.clean = read_tables(self.package, problems)
        assert not problems

    def __repr__(self) -> str:  # hypothesis prints the arguments of a failing example
        return f"Workspace({self.root})"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Workspace:
    return Workspace(copy_dataset(tmp_path_factory.mktemp("fuzz") / "dataset"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(corrupted=corrupted_table())
def test_corrupted_table_gets_located_problems_never_a_crash(workspace, corrupted):
    root, package, clean = workspace.root, workspace.package, workspace.clean
    name, data = corrupted
    resource = package.resource(name)
    path = root / resource.path
    path.write_bytes(data)
    try:
        problems: list[Problem] = []
        table = read_table(package, resource, problems)
        tables = {n: t for n, t in clean.items() if n != name}
        if table is not None:
            tables[name] = table
        check_tables(package, tables, problems)
        assert_located(root, problems)
    finally:
        path.write_bytes(ORIGINAL[name])


@settings(max_examples=max(EXAMPLES // 6, 5), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(corrupted=corrupted_table())
def test_whole_validate_on_a_corrupted_copy_never_crashes(workspace, corrupted):
    root, package = workspace.root, workspace.package
    name, data = corrupted
    path = root / package.resource(name).path
    path.write_bytes(data)
    try:
        assert_located(root, validate(root))
    finally:
        path.write_bytes(ORIGINAL[name])
