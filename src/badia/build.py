"""Build: validate, then write the published forms of the tables into a fresh folder and swap it in.

Output (default ROOT/build/): csv/ and parquet/ for every table, badia.db (SQLite for Datasette),
metadata.json (Datasette metadata from the schemas) and datapackage.json describing the built files.
Everything is written to a staging folder beside the output; the previous build is replaced only
when the new one is complete, so a failed or killed build leaves it untouched.
"""

from __future__ import annotations

import copy
import csv
import json
import shutil
import sqlite3
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlite_utils

from badia import facet_counts
from badia.package import Package, load_package
from badia.report import Refused
from badia.tables import Table
from badia.validate import FORMULA_STARTS, validate

SQLITE_TYPE = {"string": "TEXT", "integer": "INTEGER", "number": "REAL", "boolean": "INTEGER", "date": "TEXT"}
FTS_COLUMNS = {"quotes": ["text", "speaker_as_written", "attribution"], "events": ["summary", "note"], "claims": ["text", "subject"]}


class BuildRefused(Refused):
    """The data is invalid, so nothing is built."""


def build(root: Path | str, out: Path | None = None) -> Path:
    """Validate the dataset at `root` and publish it to `out` (default ROOT/build)."""
    root = Path(root)
    out = Path(out) if out else root / "build"
    tables: dict[str, Table] = {}
    problems = validate(root, keep=tables)  # the tables validate read are the ones written
    if problems:
        raise BuildRefused(problems)
    package = load_package(root)
    recover(out)
    staging = out.with_name(f".{out.name}.staging-{uuid.uuid4().hex[:8]}")
    staging.mkdir(parents=True)
    try:
        write_all(package, tables, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    swap(staging, out)
    return out


def write_all(package: Package, tables: dict[str, Table], folder: Path) -> None:
    """Every output of a build, in the order that a reader of a half-written folder would least miss."""
    (folder / "csv").mkdir()
    (folder / "parquet").mkdir()
    for name, table in tables.items():
        write_csv(table, folder / "csv" / f"{name}.csv")
        write_parquet(table, folder / "parquet" / f"{name}.parquet")
    write_sqlite(package, tables, folder / "badia.db")
    from badia import figures, site
    from badia.serve import datasette_metadata

    site.add_to_database(package.root, folder / "badia.db")
    figures.write_figures(tables, folder / "figures")

    (folder / "metadata.json").write_text(json.dumps(datasette_metadata(package), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / "datapackage.json").write_text(json.dumps(built_datapackage(package), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def recover(out: Path) -> None:
    """Finish a swap that was interrupted between its two renames, and clear stale staging folders."""
    previous = out.with_name(f".{out.name}.previous")
    if previous.exists():
        if out.exists():
            shutil.rmtree(previous)
        else:
            previous.rename(out)
    for stale in out.parent.glob(f".{out.name}.staging-*"):
        shutil.rmtree(stale, ignore_errors=True)


def swap(staging: Path, out: Path) -> None:
    """Replace `out` with `staging`: the old build is kept aside until the new one is in place."""
    previous = out.with_name(f".{out.name}.previous")
    if out.exists():
        out.rename(previous)
    staging.rename(out)
    if previous.exists():
        shutil.rmtree(previous)


# --- cell formatting, shared by CSV and SQLite ----------------------------------------------

def cell_strings(table: Table) -> dict[str, list[str]]:
    """Each column as the strings the curated CSV uses: '' for missing, ISO dates, true/false."""
    out = {}
    for fdef in table.resource.fields:
        name, ftype = fdef["name"], fdef.get("type", "string")
        col = table.frame[name]
        if ftype == "date":
            values = col.dt.strftime("%Y-%m-%d")
        elif ftype == "boolean":
            values = col.map({True: "true", False: "false"})
        elif ftype == "number":
            values = col.astype(object).map(lambda v: v if pd.isna(v) else format_number(float(v)))
        else:
            values = col.astype("string")
        out[name] = values.fillna("").astype(str).tolist()
    return out


def format_number(value: float) -> str:
    """Shortest text that reads back as the same float, without a trailing '.0' (100, 33.5058)."""
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def neutralise_formula(value: str) -> str:
    """A cell that a spreadsheet would execute gets a leading apostrophe (OWASP's advice)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def write_csv(table: Table, path: Path) -> None:
    cells = cell_strings(table)
    names = table.resource.field_names
    # Column by column, then every row in one writerows call: a Python call per cell took 35 s
    # for the 7.5M rows of the large corpus.
    columns = [[neutralise_formula(v) if v.startswith(FORMULA_STARTS) else v for v in cells[n]] for n in names]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(zip(*columns))


# --- Parquet ---------------------------------------------------------------------------------

def arrow_schema(table: Table) -> pa.Schema:
    fields = []
    for fdef in table.resource.fields:
        ftype = fdef.get("type", "string")
        enum = fdef.get("constraints", {}).get("enum")
        if ftype == "string":
            atype = pa.dictionary(pa.int16(), pa.string()) if enum else pa.string()
        else:
            atype = {"integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(), "date": pa.date32()}[ftype]
        required = fdef.get("constraints", {}).get("required", False)
        fields.append(pa.field(fdef["name"], atype, nullable=not required, metadata={"description": fdef.get("description", "")}))
    return pa.schema(fields, metadata={"description": table.resource.schema.get("description", ""), "table": table.name})


def arrow_table(table: Table) -> pa.Table:
    schema = arrow_schema(table)
    arrays = []
    for field in schema:
        col = table.frame[field.name]
        if pa.types.is_dictionary(field.type):
            arrays.append(pa.array(col.astype(object).where(col.notna(), None), type=pa.string()).dictionary_encode().cast(field.type))
        elif pa.types.is_date32(field.type):
            arrays.append(pa.array(col.dt.date.astype(object).where(col.notna(), None), type=pa.date32()))
        else:
            arrays.append(pa.array(col, from_pandas=True).cast(field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def write_parquet(table: Table, path: Path) -> None:
    pq.write_table(arrow_table(table), path, compression="zstd")


# --- SQLite ----------------------------------------------------------------------------------

def create_table_sql(table: Table) -> str:
    """CREATE TABLE from the Table Schema: types, NOT NULL, primary and foreign keys.

    Written here rather than with sqlite-utils' create(), which cannot declare a foreign key to
    the table being created (actors.parent_actor_id -> actors)."""
    res = table.resource
    cols = []
    for fdef in res.fields:
        null = " NOT NULL" if fdef.get("constraints", {}).get("required") else ""
        cols.append(f"[{fdef['name']}] {SQLITE_TYPE[fdef.get('type', 'string')]}{null}")
    if res.primary_key:
        cols.append("PRIMARY KEY (" + ", ".join(f"[{k}]" for k in res.primary_key) + ")")
    for fk in res.foreign_keys:
        fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
        ref = fk["reference"]
        ref_fields = ref["fields"] if isinstance(ref["fields"], list) else [ref["fields"]]
        cols.append("FOREIGN KEY (" + ", ".join(f"[{f}]" for f in fields) + f") REFERENCES [{ref.get('resource') or res.name}] (" + ", ".join(f"[{f}]" for f in ref_fields) + ")")
    return f"CREATE TABLE [{res.name}] (\n   " + ",\n   ".join(cols) + "\n)"


def sqlite_rows(table: Table):
    cols = []
    for fdef in table.resource.fields:
        col = table.frame[fdef["name"]]
        ftype = fdef.get("type", "string")
        if ftype == "date":
            col = col.dt.strftime("%Y-%m-%d")
        if ftype == "boolean":
            col = col.astype("Int64")
        cols.append(col.astype(object).where(col.notna(), None).tolist())
    return zip(*cols)


def write_sqlite(package: Package, tables: dict[str, Table], path: Path) -> None:
    from badia.serve import DEFAULT_FACETS

    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        for name, table in tables.items():
            conn.execute(create_table_sql(table))
            marks = ", ".join("?" for _ in table.resource.fields)
            conn.executemany(f"INSERT INTO [{name}] VALUES ({marks})", sqlite_rows(table))
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
                keys = [column, *(k for k in primary_key if k != column)]
                db[name].create_index(keys + [c for c in facets if c not in keys], if_not_exists=True)
            for fk in table.resource.foreign_keys:
                fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
                if fields != primary_key[: len(fields)] and not (len(fields) == 1 and fields[0] in facets):
                    db[name].create_index(fields, if_not_exists=True)
            if name in FTS_COLUMNS:
                db[name].enable_fts(FTS_COLUMNS[name], tokenize="porter")
        facet_counts.store(conn, {name: columns for name, columns in DEFAULT_FACETS.items() if name in tables})
        conn.execute("ANALYZE")
        conn.commit()
        conn.execute("VACUUM")
    finally:
        conn.close()


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
    for name, res in package.resources.items():
        resources.append({"name": f"{name}_parquet", "path": f"parquet/{name}.parquet", "format": "parquet",
                          "mediatype": "application/vnd.apache.parquet", "description": f"The {name} table as typed Parquet (same schema as {name})."})
    desc["resources"] = resources
    return desc
