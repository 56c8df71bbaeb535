"""Build: validate, then write the published forms of the tables into a fresh folder and swap it in.

Output (default ROOT/build/): csv/ and parquet/ for every table, badia.db (SQLite for Datasette),
metadata.json (Datasette metadata from the schemas) and datapackage.json describing the built files.
Everything is written to a staging folder beside the output; the previous build is replaced only
when the new one is complete, so a failed or killed build leaves it untouched.
"""

from __future__ import annotations

import copy
import csv
import functools
import io
import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlite_utils
from sqlite_utils.db import quote_identifier

from badia.site import facet_counts
from badia.dataset.package import Package, Resource, load_package
from badia.files import staged_folder
from badia.problems import Problem, Refused
from badia.dataset.cells import cell_arrays
from badia.dataset.tables import Table
from badia.validate.checks import FORMULA_STARTS, validate

FTS_COLUMNS = {"quotes": ["text", "speaker_as_written", "attribution"], "events": ["summary", "note"], "claims": ["text", "subject"]}


class BuildRefused(Refused):
    """The data is invalid, so nothing is built."""


class OutputRefused(Refused):
    """The output folder is not one a build may replace (exit 2: nothing was checked or written)."""

    exit_code = 2


def build(root: Path | str, out: Path | None = None) -> Path:
    """Validate the dataset at `root` and publish it to `out` (default ROOT/build)."""
    root = Path(root)
    out = Path(out) if out else root / "build"
    check_out(root, out)
    tables: dict[str, Table] = {}
    problems = validate(root, keep=tables)  # the tables validate read are the ones written
    if problems:
        raise BuildRefused(problems)
    package = load_package(root)
    with staged_folder(out) as staging:
        (staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        write_all(package, tables, staging)
    return out


# The file that says "this folder is a badia build": only such a folder (or an empty one, or none)
# is ever replaced by a build.
MARKER = ".badia-build"
MARKER_TEXT = "This folder is a badia build: `badia build` replaces it whole.\n"
# Folders of a dataset that a build never replaces nor writes into, whatever --out says.
OWN_FOLDERS = (".git", "data", "seeds", "schemas", "drafts", "docs", "src", "tests", "scripts", ".github", ".venv")


def check_out(root: Path, out: Path) -> None:
    """Refuse an output folder that a build would destroy: the dataset itself or a folder above
    it, one of its own folders (OWN_FOLDERS), a file, or a folder holding anything but a build."""
    where, real_root = out.resolve(), root.resolve()
    reason = None
    if real_root == where or real_root.is_relative_to(where):
        reason = "is the dataset's folder or a folder that holds it"
    elif where.is_relative_to(real_root) and where.relative_to(real_root).parts[0] in OWN_FOLDERS:
        reason = f"is inside the dataset's own {where.relative_to(real_root).parts[0]}/ folder"
    elif out.is_symlink() or (out.exists() and not out.is_dir()):
        reason = "is a link or a file, not a folder"
    elif out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        reason = f"is not empty and is not a badia build (it has no {MARKER} file)"
    if reason:
        raise OutputRefused([Problem(str(out), f"--out {reason}: a build replaces its output folder whole", "give a new or empty folder, "
                                    "or a previous badia build (delete an old build made before builds were marked yourself)", code="build.out")])


def write_all(package: Package, tables: dict[str, Table], folder: Path) -> None:
    """Every output of a build, in the order that a reader of a half-written folder would least miss."""
    (folder / "csv").mkdir()
    (folder / "parquet").mkdir()
    for name, table in tables.items():
        write_csv(table, folder / "csv" / f"{name}.csv")
        write_parquet(table, folder / "parquet" / f"{name}.parquet", package.version)
    write_sqlite(package, tables, folder / "badia.db")
    from badia.publish import figures
    from badia.site import views as site
    from badia.site.serve import datasette_metadata

    site.add_to_database(package.root, folder / "badia.db")
    write_site_tables(folder)
    figures.write_figures(tables, folder / "figures")

    (folder / "metadata.json").write_text(json.dumps(datasette_metadata(package), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / "datapackage.json").write_text(json.dumps(built_datapackage(package), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# --- CSV -------------------------------------------------------------------------------------

BATCH_ROWS = 200_000  # rows formatted at a time for CSV and SQLite: bounds the memory they take


def csv_quoting_characters() -> list[str]:
    """The characters for which Python's csv writer (QUOTE_MINIMAL, lineterminator "\n") quotes a
    field, asked of the csv module itself: ',', '"' and '\n', but not '\r' in Python 3.11."""
    quoted = []
    for char in ',"\n\r':
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerow(["a" + char])
        if text.getvalue().startswith('"'):
            quoted.append(char)
    return quoted


CSV_QUOTING_PATTERN = "[" + "".join({"\n": "\\n", "\r": "\\r"}.get(c, c) for c in csv_quoting_characters()) + "]"  # RE2


def csv_cells(values: pa.Array, alone: bool) -> pa.Array:
    """Cells as Python's csv writer writes them, after a leading apostrophe for a cell that a
    spreadsheet would execute (FORMULA_STARTS, OWASP's advice): quoted (quotes doubled) when they
    hold a quoting character, and '""' for an empty cell alone on its row."""
    apostrophe, quote_mark, empty = (pa.scalar(text, pa.large_string()) for text in ("'", '"', ""))
    formula = functools.reduce(pc.or_, [pc.starts_with(values, start) for start in FORMULA_STARTS])
    if pc.any(formula).as_py():
        values = pc.if_else(formula, pc.binary_join_element_wise(apostrophe, values, empty), values)
    quote = pc.match_substring_regex(values, CSV_QUOTING_PATTERN)
    if pc.any(quote).as_py():
        quoted = pc.binary_join_element_wise(quote_mark, pc.replace_substring(values, '"', '""'), quote_mark, empty)
        values = pc.if_else(quote, quoted, values)
    return pc.if_else(pc.equal(values, empty), pa.scalar('""', pa.large_string()), values) if alone else values


def write_csv(table: Table, path: Path, append: bool = False) -> None:
    """The table as CSV, byte for byte what Python's csv writer (QUOTE_MINIMAL, "\n" line ends)
    writes from the neutralised cell_strings. Our own serialiser, with pyarrow compute, because
    Python's writer is slow at millions of rows (docs/performance-history.md) and pyarrow's own
    CSV writer quotes every string, which would change the published bytes. `append` adds the rows
    (no header) to a file written before."""
    fields, names = table.resource.fields, table.resource.field_names
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(names)
    with path.open("ab" if append else "wb") as fh:
        if not append:
            fh.write(header.getvalue().encode("utf-8"))
        for start in range(0, len(table.frame), BATCH_ROWS):
            cells = cell_arrays(fields, table.frame.iloc[start:start + BATCH_ROWS])
            columns = [csv_cells(cells[name], alone=len(names) == 1) for name in names]
            rows = pc.binary_join_element_wise(*columns, pa.scalar(",", pa.large_string()))
            lines = pc.binary_join_element_wise(rows, pa.scalar("", pa.large_string()), pa.scalar("\n", pa.large_string()))
            for chunk in lines.chunks if isinstance(lines, pa.ChunkedArray) else [lines]:
                # The lines lie end to end in the array's data buffer, from the first offset to the last.
                offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64)[chunk.offset:chunk.offset + len(chunk) + 1]
                fh.write(memoryview(chunk.buffers()[2])[offsets[0]:offsets[-1]])


def write_site_tables(folder: Path) -> None:
    """The site's tables that readers start from (events_flat, quotes_with_speakers) as typed CSV
    and Parquet beside the curated tables, read from the built database a batch at a time."""
    from badia.site import views as site

    conn = sqlite3.connect(folder / "badia.db")
    try:
        for view in site.DOWNLOADS:
            resource = Resource(view.name, f"csv/{view.name}.csv", "", site.table_schema(view))
            names = ", ".join(f"[{n}]" for n in resource.field_names)
            writer = None
            for i, frame in enumerate(pd.read_sql_query(f"SELECT {names} FROM [{view.name}] ORDER BY rowid", conn, chunksize=BATCH_ROWS)):
                for fdef in resource.fields:  # the dtypes tables.coerce gives the curated tables
                    frame[fdef.name] = frame[fdef.name].astype(fdef.pandas_dtype)
                table = Table(resource, frame, np.arange(len(frame)))
                write_csv(table, folder / "csv" / f"{view.name}.csv", append=i > 0)
                arrow = arrow_table(table)
                writer = writer or pq.ParquetWriter(folder / "parquet" / f"{view.name}.parquet", arrow.schema, compression="zstd")
                writer.write_table(arrow)
            if writer:
                writer.close()
    finally:
        conn.close()


# --- Parquet ---------------------------------------------------------------------------------

def arrow_schema(table: Table, version: str | None = None) -> pa.Schema:
    """The table's Arrow schema, each field described; the file's metadata names the table, its
    description and the dataset's version (so a Parquet file says which release it belongs to)."""
    fields = []
    for fdef in table.resource.fields:
        fields.append(pa.field(fdef.name, fdef.arrow_type, nullable=not fdef.required, metadata={"description": fdef.description}))
    metadata = {"description": table.resource.description, "table": table.name}
    if version is not None:
        metadata["badia_version"] = version
    return pa.schema(fields, metadata=metadata)


def arrow_table(table: Table, version: str | None = None) -> pa.Table:
    schema = arrow_schema(table, version)
    arrays = []
    for field in schema:
        values = pa.array(table.frame[field.name], from_pandas=True)
        if pa.types.is_dictionary(field.type):
            values = values.cast(pa.string()).dictionary_encode()
        arrays.append(values.cast(field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def write_parquet(table: Table, path: Path, version: str | None = None) -> None:
    pq.write_table(arrow_table(table, version), path, compression="zstd")


# --- SQLite ----------------------------------------------------------------------------------

def create_table_sql(table: Table) -> str:
    """CREATE TABLE from the Table Schema: types, NOT NULL, primary and foreign keys.

    Written here rather than with sqlite-utils' create(), which cannot declare a foreign key to
    the table being created (actors.parent_actor_id -> actors)."""
    res, q = table.resource, quote_identifier  # names quoted even though the package loader allows only safe ones
    cols = []
    for fdef in res.fields:
        cols.append(f"{q(fdef.name)} {fdef.sqlite_type}{' NOT NULL' if fdef.required else ''}")
    if res.primary_key:
        cols.append("PRIMARY KEY (" + ", ".join(q(k) for k in res.primary_key) + ")")
    for fk in res.foreign_keys:
        cols.append(f"FOREIGN KEY ({q(fk.field)}) REFERENCES {q(fk.resource)} ({q(fk.reference_field)})")
    return f"CREATE TABLE {q(res.name)} (\n   " + ",\n   ".join(cols) + "\n)"


def sqlite_rows(table: Table):
    """The rows as tuples of Python values for sqlite3 (dates as ISO text, booleans as 0/1), made
    with pyarrow a batch at a time: Python's objects for a whole table of 2M rows take gigabytes."""
    for start in range(0, len(table.frame), BATCH_ROWS):
        batch = table.frame.iloc[start:start + BATCH_ROWS]
        cols = []
        for fdef in table.resource.fields:
            values = pa.array(batch[fdef.name], from_pandas=True)
            ftype = fdef.type
            if ftype == "date":
                values = values.cast(pa.date32()).cast(pa.string())
            elif ftype == "boolean":
                values = values.cast(pa.int64())
            cols.append(values.to_pylist())
        yield from zip(*cols)


def write_sqlite(package: Package, tables: dict[str, Table], path: Path) -> None:
    from badia.site.serve import DEFAULT_FACETS

    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        for name, table in tables.items():
            conn.execute(create_table_sql(table))
            marks = ", ".join("?" for _ in table.resource.fields)
            conn.executemany(f"INSERT INTO {quote_identifier(name)} VALUES ({marks})", sqlite_rows(table))
        conn.commit()
        db = sqlite_utils.Database(conn)
        for name, table in tables.items():
            primary_key = table.resource.primary_key
            facets = DEFAULT_FACETS.get(name, [])
            # A view filtered on facet values (clicks on them) is shown in primary-key order and
            # faceted: (column, primary key, the other facet columns) finds its first page without
            # sorting every matching row (place_00000's 166k events: 114 ms -> 1 ms), and counts
            # the rows and their facets from the index alone, never reading the table's rows.
            for column in facets:
                db[name].create_index(facet_counts.index_columns(column, primary_key, facets), if_not_exists=True)
            for fk in table.resource.foreign_keys:
                if [fk.field] != primary_key[:1] and fk.field not in facets:
                    db[name].create_index([fk.field], if_not_exists=True)
            if name in FTS_COLUMNS:
                db[name].enable_fts(FTS_COLUMNS[name], tokenize="porter")
        facet_counts.store(conn, {name: columns for name, columns in DEFAULT_FACETS.items() if name in tables})
        write_dataset_info(conn, package)
        conn.execute("ANALYZE")
        conn.commit()
        # No VACUUM: the file is written once, with nothing deleted (no free pages, 1M events), so
        # it only copied the 2 GB database again (15 s).
    finally:
        conn.close()


DATASET_INFO = "dataset_info"


def write_dataset_info(conn: sqlite3.Connection, package: Package) -> None:
    """The dataset's name, title and version in the database itself (a copy of badia.db says which
    release it is), as key-value rows."""
    desc = package.descriptor
    conn.execute(f"CREATE TABLE [{DATASET_INFO}] (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.executemany(f"INSERT INTO [{DATASET_INFO}] VALUES (?, ?)",
                     [("name", str(desc.get("name", "badia"))), ("title", str(desc.get("title", ""))), ("version", package.version)])


# --- the built package's descriptor ------------------------------------------------------------

def built_datapackage(package: Package) -> dict:
    """datapackage.json for the built folder: CSV and Parquet resources with their schemas inline."""
    desc = copy.deepcopy(package.descriptor)
    resources = []
    for name, res in package.resources.items():
        schema = copy.deepcopy(res.schema)
        schema.pop("$schema", None)
        resources.append({"name": name, "path": f"csv/{name}.csv", "profile": "tabular-data-resource", "format": "csv",
                          "mediatype": "text/csv", "encoding": "utf-8", "description": schema.get("description", ""), "schema": schema})
    from badia.site import views as site

    for view in site.DOWNLOADS:
        resources.append({"name": view.name, "path": f"csv/{view.name}.csv", "profile": "tabular-data-resource", "format": "csv",
                          "mediatype": "text/csv", "encoding": "utf-8", "description": view.description, "schema": site.table_schema(view),
                          "derived": True})  # made from the curated tables: `badia diff` leaves it out
    for name in [*package.resources, *(view.name for view in site.DOWNLOADS)]:
        resources.append({"name": f"{name}_parquet", "path": f"parquet/{name}.parquet", "format": "parquet",
                          "mediatype": "application/vnd.apache.parquet", "description": f"The {name} table as typed Parquet (same schema as {name})."})
    desc["resources"] = resources
    return desc
