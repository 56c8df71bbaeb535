"""The build's CSV writer (pyarrow compute) writes byte for byte what Python's csv module writes from
the same cells: awkward strings, every field type, one-column tables, several batches."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from badia.publish import build
from badia.dataset.package import FIELD_TYPES, Field, Resource
from badia.dataset.tables import Table
from badia.validate.checks import FORMULA_STARTS

AWKWARD = st.text(alphabet=st.sampled_from(['"', ",", "\r", "\n", "=", "+", "-", "@", "'", " ", "\t", "a", "é", "“", "\u2028", "\x00"]), max_size=6)
STRINGS = st.one_of(st.none(), AWKWARD, st.text(max_size=8))
VALUES = {
    "string": STRINGS,
    "integer": st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)),
    "number": st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([0.0, -0.0, 100.0, 33.5058, 1e16, 1e-7])),
    "boolean": st.one_of(st.none(), st.booleans()),
    "date": st.one_of(st.none(), st.dates(min_value=dt.date(1, 1, 1))),
}


def shortest_float_text(value: float) -> str:
    """The shortest text that reads back as `value`, laid out as Python's repr lays out floats
    (positional from 1e-4 up to 1e16, scientific outside), without a trailing '.0'. Made with
    numpy's Dragon4 formatter, not with the code under test."""
    if value == 0 or 1e-4 <= abs(value) < 1e16:
        return np.format_float_positional(value, unique=True, trim="-")
    return np.format_float_scientific(value, unique=True, trim="-", exp_digits=2)


def reference_csv(fields: list[Field], frame: pd.DataFrame) -> bytes:
    """What the build wrote before it had its own serialiser: cells made with pandas and Python,
    formulas neutralised, rows written by the csv module."""
    columns = []
    for fdef in fields:
        col, ftype = frame[fdef.name], fdef.type
        if ftype == "date":
            values = col.dt.strftime("%Y-%m-%d")
        elif ftype == "boolean":
            values = col.map({True: "true", False: "false"})
        elif ftype == "number":
            values = col.astype(object).map(lambda v: v if pd.isna(v) else shortest_float_text(float(v)))
        else:
            values = col.astype("string")
        cells = values.fillna("").astype(str).tolist()
        columns.append(["'" + v if v.startswith(FORMULA_STARTS) else v for v in cells])
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow([f.name for f in fields])
    writer.writerows(zip(*columns))
    return text.getvalue().encode("utf-8")


def table_of(types: list[str], rows: list[tuple]) -> Table:
    fields = [{"name": f"c{i}_{t}", "type": t} for i, t in enumerate(types)]
    frame = pd.DataFrame({f["name"]: pd.Series([row[i] for row in rows], dtype=object) for i, f in enumerate(fields)})
    for i, f in enumerate(fields):
        if f["type"] == "string" and len(rows) > 1:  # in two chunks, as pyarrow's CSV reader may leave a column
            values = [row[i] for row in rows]
            chunks = pa.chunked_array([pa.array(values[:len(values) // 2], pa.large_string()), pa.array(values[len(values) // 2:], pa.large_string())])
            frame[f["name"]] = pd.Series(pd.arrays.ArrowStringArray(chunks), dtype=FIELD_TYPES["string"].pandas)
        elif f["type"] == "date":
            frame[f["name"]] = pd.Series([np.datetime64(v, "s") if v else np.datetime64("NaT", "s") for v in frame[f["name"]]], dtype="datetime64[s]")
        else:
            frame[f["name"]] = frame[f["name"]].astype(FIELD_TYPES[f["type"]].pandas)
    resource = Resource(name="t", path="data/t.csv", schema_path="schemas/t.schema.json", schema={"fields": fields})
    return Table(resource=resource, frame=frame, lines=np.arange(2, len(rows) + 2))


@st.composite
def tables(draw):
    types = draw(st.lists(st.sampled_from(list(VALUES)), min_size=1, max_size=4))
    rows = draw(st.lists(st.tuples(*(VALUES[t] for t in types)), max_size=12))
    return table_of(types, rows)


def written(table: Table, tmp: Path) -> bytes:
    path = tmp / "t.csv"
    build.write_csv(table, path)
    return path.read_bytes()


@settings(max_examples=300, deadline=None)
@given(table=tables())
def test_same_bytes_as_the_csv_module(table, tmp_path_factory):
    with mock.patch.object(build, "BATCH_ROWS", 5):  # several batches per table
        assert written(table, tmp_path_factory.mktemp("csv")) == reference_csv(table.resource.fields, table.frame)


def test_awkward_cells(tmp_path):
    cells = ['a"b', "a,b", "a\rb", "a\nb", "=1+2", "+1", "-1", "@x", "'=x", "", None, "é“”", '"', "=a,b", "-\n"]
    table = table_of(["string", "string"], [(c, c) for c in cells])
    assert written(table, tmp_path) == reference_csv(table.resource.fields, table.frame)
    assert b'"a""b","a""b"\n' in written(table, tmp_path)
    assert b"'=1+2,'=1+2\n" in written(table, tmp_path)


def test_an_empty_cell_alone_on_its_row_is_quoted(tmp_path):
    table = table_of(["string"], [("",), (None,), ("x",)])
    assert written(table, tmp_path) == b'c0_string\n""\n""\nx\n' == reference_csv(table.resource.fields, table.frame)


def test_the_reference_writes_floats_as_python_does():
    """The reference's numbers, against texts written out by hand."""
    assert [shortest_float_text(v) for v in (0.0, -0.0, 100.0, 33.5058, 1e16, 1e-7, 0.0001, 1.5e-05, 123456789.125, 0.1 + 0.2)] == \
        ["0", "-0", "100", "33.5058", "1e+16", "1e-07", "0.0001", "1.5e-05", "123456789.125", "0.30000000000000004"]


def test_the_seed_data(tmp_path):
    """Every committed table, written by the build, is what the csv module writes from its cells."""
    from badia.dataset.package import load_package
    from badia.dataset.tables import read_tables

    from conftest import ROOT

    for name, table in read_tables(load_package(ROOT), []).items():
        assert written(table, tmp_path) == reference_csv(table.resource.fields, table.frame), name
