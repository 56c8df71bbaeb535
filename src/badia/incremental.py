"""Incremental validation: a pull request that appends rows is checked against the saved state of
the last valid dataset, so that only the new rows (and the cross-table checks they touch) are read.

`badia validate --state DIR`:
- with no usable state in DIR, validates everything and, if the dataset is valid, saves the state;
- with a state whose datapackage, schemas and validator code are unchanged and whose every data file
  still starts with the exact bytes that were validated (same length and sha256), reads only the rows
  appended since ("the tail") and runs on them every check of `validate`: types, constraints,
  formula cells, spans, ACLED pairs, dates, quotes, places, mentions. Cross-table checks use the
  state's key columns: primary keys against every key already stored, foreign keys against every
  stored parent key. `articles` and `actors` are read in full (small; seeds and parent chains need
  all of them), and every seed is hashed again. Any other change (an edited or deleted row, a new
  schema, new validator code) means a full validation, so the result is the same as without --state.

Why appending suffices: the saved state was valid, so old rows can only be broken by what a new row
adds, and each such check is run with the new rows: a duplicate key, an unknown parent, a new event
without its source or actor (those must be in the tail too: an old row referring to a new event
would have failed its foreign key), a quote or event dated after its article.

The state is a folder: state.json (file lengths and hashes) and one Parquet file of key columns and
line numbers per table. It is written only after a run that found no problem, to a staging folder
that replaces the old one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from badia.package import Package, Resource, load_package
from badia.report import Problem
from badia.tables import Table, read_table, table_from_bytes
from badia import validate as checks

STATE_VERSION = 1
FULL_TABLES = ("articles", "actors")


def code_fingerprint(package: Package) -> str:
    """sha256 of what the verdict depends on besides the data: datapackage, schemas, validator code."""
    digest = hashlib.sha256()
    for path in [package.root / "datapackage.json", *(package.root / r.schema_path for r in package.resources.values()),
                 *sorted(Path(__file__).parent.glob("*.py"))]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def key_columns(package: Package, resource: Resource) -> list[str]:
    """The columns of `resource` that other rows may check against: its primary key and every
    column that a foreign key points to."""
    columns = list(resource.primary_key)
    for other in package.resources.values():
        for fk in other.foreign_keys:
            ref = fk["reference"]
            if (ref.get("resource") or other.name) == resource.name:
                for col in ref["fields"] if isinstance(ref["fields"], list) else [ref["fields"]]:
                    if col not in columns:
                        columns.append(col)
    return columns


def validate_incremental(root: Path | str, state_dir: Path) -> tuple[list[Problem], str]:
    """Problems in the dataset at `root`, using and refreshing the state in `state_dir`; also says
    which kind of run it was ("full" or "incremental")."""
    package = load_package(root)
    state = _load_state(state_dir, package)
    if state is None:
        return _full(package, state_dir), "full"
    datas = {}
    for name, resource in package.resources.items():
        try:
            data = (package.root / resource.path).read_bytes()
        except FileNotFoundError:
            return _full(package, state_dir), "full"
        saved = state["tables"].get(name)
        if saved is None or len(data) < saved["bytes"] or hashlib.sha256(data[: saved["bytes"]]).hexdigest() != saved["sha256"]:
            return _full(package, state_dir), "full"
        if len(data) > saved["bytes"] and not data[: saved["bytes"]].endswith(b"\n"):
            return _full(package, state_dir), "full"  # rows appended to a last line that had no line break
        datas[name] = data
    problems: list[Problem] = []
    tails: dict[str, Table] = {}
    for name, resource in package.resources.items():
        if name in FULL_TABLES:
            table = read_table(package, resource, problems)
        else:
            table = _read_tail(resource, datas[name], state["tables"][name], problems)
        if table is not None:
            tails[name] = table
    keys = {name: _union_keys(package, state_dir, name, tails.get(name)) for name in package.resources}
    _check_keys(package, tails, keys, problems)
    checks.check_formula_cells(package, tails, problems)
    texts = checks.check_seeds(package, tails, problems)
    checks.check_spans(tails, texts, problems)
    for check in (checks.check_events, checks.check_quotes, checks.check_places, checks.check_actors, checks.check_mentions):
        check(tails, problems)
    problems.extend(checks.check_drafts(package))  # drafts/ is not data: always read whole
    problems = sorted(problems, key=lambda p: (p.path, p.line or 0, p.col or 0))
    if not problems:
        _save_state(state_dir, package, datas, keys)
    return problems, "incremental"


def _full(package: Package, state_dir: Path) -> list[Problem]:
    tables: dict[str, Table] = {}
    problems = checks.validate(package.root, keep=tables)
    if not problems:
        datas = {name: (package.root / r.path).read_bytes() for name, r in package.resources.items()}
        keys = {name: _keys_of(package, tables[name]) for name in package.resources}
        _save_state(state_dir, package, datas, keys)
    return problems


def _read_tail(resource: Resource, data: bytes, saved: dict, problems: list[Problem]) -> Table | None:
    """The rows after the validated prefix, read as a CSV of their own, with their real line numbers."""
    header = data[: data.index(b"\n") + 1] if b"\n" in data else data
    found: list[Problem] = []
    table = table_from_bytes(resource, header + data[saved["bytes"]:], found)
    shift = saved["lines"] - 1
    problems.extend(dataclasses.replace(p, line=p.line + shift) if p.line and p.line > 1 else p for p in found)
    if table is not None:
        table.lines = table.lines + shift
    return table


def _keys_of(package: Package, table: Table) -> pd.DataFrame:
    frame = table.frame[key_columns(package, table.resource)].copy()
    frame["_line"] = table.lines
    return frame


def _union_keys(package: Package, state_dir: Path, name: str, tail: Table | None) -> pd.DataFrame:
    stored = pq.read_table(state_dir / "keys" / f"{name}.parquet").to_pandas(types_mapper={pa.large_string(): pd.StringDtype("pyarrow"), pa.string(): pd.StringDtype("pyarrow")}.get)
    if tail is None or tail.name in FULL_TABLES:
        return _keys_of(package, tail) if tail is not None else stored
    new = _keys_of(package, tail)
    return pd.concat([stored, new.astype(stored.dtypes.to_dict())], ignore_index=True) if len(new) else stored


def _check_keys(package: Package, tails: dict[str, Table], keys: dict[str, pd.DataFrame], problems: list[Problem]) -> None:
    """Primary and foreign keys of the new rows, against the stored keys plus the new ones: the
    checks of `validate`, run on tables made of key columns."""
    def key_table(name: str) -> Table:
        """The stored and new keys of a table, under a resource with no foreign keys of its own."""
        frame, resource = keys[name], package.resources[name]
        resource = dataclasses.replace(resource, schema={**resource.schema, "foreignKeys": []})
        return Table(resource, frame.drop(columns="_line"), frame["_line"].to_numpy())

    for name, tail in tails.items():
        if name in FULL_TABLES:
            checks.check_primary_keys(package, {name: tail}, problems)
        elif len(tail.frame):
            found: list[Problem] = []
            checks.check_primary_keys(package, {name: key_table(name)}, found)
            problems.extend(p for p in found if p.line is not None and p.line >= tail.lines.min())
    for name, tail in tails.items():
        if not len(tail.frame):
            continue
        for parent in sorted({fk["reference"].get("resource") or name for fk in tail.resource.foreign_keys}):
            checks.check_foreign_keys(package, {name: tail} if parent == name else {name: tail, parent: key_table(parent)}, problems)


def _load_state(state_dir: Path, package: Package) -> dict | None:
    try:
        state = json.loads((state_dir / "state.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if state.get("version") != STATE_VERSION or state.get("fingerprint") != code_fingerprint(package):
        return None
    if set(state.get("tables", {})) != set(package.resources):
        return None
    return state


def _save_state(state_dir: Path, package: Package, datas: dict[str, bytes], keys: dict[str, pd.DataFrame]) -> None:
    state_dir = Path(state_dir)
    staging = state_dir.with_name(state_dir.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "keys").mkdir(parents=True)
    tables = {}
    for name, data in datas.items():
        frame = keys[name]
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), staging / "keys" / f"{name}.parquet")
        tables[name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "rows": len(frame),
                        "lines": data.count(b"\n") + (0 if data.endswith(b"\n") else 1)}
    (staging / "state.json").write_text(json.dumps({"version": STATE_VERSION, "fingerprint": code_fingerprint(package), "tables": tables}, indent=1), encoding="utf-8")
    old = state_dir.with_name(state_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if state_dir.exists():
        state_dir.rename(old)
    staging.rename(state_dir)
    shutil.rmtree(old, ignore_errors=True)
