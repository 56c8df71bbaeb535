"""Incremental validation: a pull request that appends rows is checked against the saved state of
the last valid dataset, so that only the new rows (and the cross-table checks they touch) are read.

`badia validate --state DIR`:
- with no usable state in DIR, validates everything and, if the dataset is valid, saves the state;
- with a state whose datapackage, schemas and validator code are unchanged and whose every data file
  still starts with the exact bytes that were validated (same sha256 of that prefix), reads only the
  rows appended since ("the tail") and runs on them every check of `validate`: types, constraints,
  formula cells, spans, ACLED pairs, dates, quotes, places, mentions. Keys are checked against the
  keys saved in the state: a new row's primary key against the stored rows with the same key, a
  foreign key against the stored parent rows with that value (both indexed lookups, so the cost
  follows the pull request, not the dataset). `articles` and `actors` are read in full (small;
  seeds and parent chains need all of them); every seed whose file was touched since is hashed
  again, and the seeds that new rows quote are decoded. Any other change (an edited or deleted row, a new schema, new validator
  code) means a full validation, so the result is the same as without --state.

Why appending suffices: the saved state was valid, so old rows can only be broken by what a new row
adds, and each such check is run with the new rows: a duplicate key, an unknown parent, a new event
without its source or actor (those are new rows too: an old row referring to a new event would have
failed its foreign key; only a new event that repeats a stored id has stored sources, and those are
looked up), a quote or event dated after its article, a second actor1 or actor2 given to an event (the coding
rules see the stored event_actors rows of every event a new row names).

The state is one SQLite file, DIR/state.db: each data file's validated length, sha256 and line
count, each table's primary keys with their line numbers, and each seed's sha256 with the
signature (inode, size, times) its file had, so that an untouched seed is not read again. A full run writes a new file and
renames it into place; an incremental run appends the new keys and lengths in one transaction.
Either way the state changes only after a run that found no problem.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from badia.validate import checks
from badia.dataset.package import Package, Resource, load_package
from badia.problems import Problem
from badia.dataset.tables import Table, read_table, table_from_bytes

STATE_VERSION = 2
FULL_TABLES = ("articles", "actors")
CHUNK_BYTES = 16 << 20


@dataclasses.dataclass
class DataFile:
    """A data file as this run found it: its header line, the bytes appended since the state, and
    what the state will record once they are valid."""

    header: bytes
    tail: bytes
    bytes: int
    sha256: str
    lines: int
    saved_lines: int


def code_fingerprint(package: Package) -> str:
    """sha256 of what the verdict depends on besides the data: datapackage, schemas, validator code."""
    digest = hashlib.sha256()
    for path in [package.root / "datapackage.json", *(package.root / r.schema_path for r in package.resources.values()),
                 *sorted(Path(__file__).parent.glob("*.py"))]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def validate_incremental(root: Path | str, state_dir: Path) -> tuple[list[Problem], str]:
    """Problems in the dataset at `root`, using and refreshing the state in `state_dir`; also says
    which kind of run it was ("full" or "incremental")."""
    package = load_package(root)
    state = _open_state(Path(state_dir), package)
    if state is None:
        return _full(package, Path(state_dir)), "full"
    try:
        files = _appended(package, state)
        if files is None:
            state.close()
            return _full(package, Path(state_dir)), "full"
        problems: list[Problem] = []
        tails: dict[str, Table] = {}
        for name, resource in package.resources.items():
            table = read_table(package, resource, problems) if name in FULL_TABLES else _read_tail(resource, files[name], problems)
            if table is not None:
                tails[name] = table
        _check_keys(package, state, tails, problems)
        checks.check_formula_cells(package, tails, problems)
        signatures = _seed_signatures(package.root)  # before the seeds are read: a later change shows
        hashed = {path: digest for path, signature, digest in state.execute("SELECT seed_path, signature, sha256 FROM seeds")
                  if signatures.get(path) == signature}
        texts = checks.check_seeds(package, tails, problems, decode=_quoted_articles(tails, files["articles"]), hashed=hashed)
        checks.check_spans(tails, texts, problems)
        checks.check_events({**tails, **_reports_of_new_events(state, tails)}, problems)
        for check in (checks.check_quotes, checks.check_places, checks.check_actors, checks.check_mentions):
            check(tails, problems)
        checks.check_coding({**tails, **_actors_of_touched_events(state, tails)}, texts, problems)
        problems.extend(checks.check_drafts(package))  # drafts/ is not data: always read whole
        problems = sorted(problems, key=lambda p: (p.path, p.line or 0, p.col or 0))
        if not problems:
            _append_state(state, tails, files)
            _record_seeds(state, tails["articles"], signatures)
    finally:
        state.close()
    return problems, "incremental"


# --- reading what was appended ------------------------------------------------------------------

def _appended(package: Package, state: sqlite3.Connection) -> dict[str, DataFile] | None:
    """Each data file's appended bytes, or None when any file no longer starts with the bytes
    the state validated (then only a full validation can tell). Two files are hashed at a time:
    hashing lets go of the GIL, and there are two cores."""
    saved = {name: (size, digest, lines) for name, size, digest, lines in state.execute("SELECT name, bytes, sha256, lines FROM files")}
    with ThreadPoolExecutor(max_workers=2) as pool:
        files = dict(zip(package.resources, pool.map(lambda r: _appended_to(package.root / r.path, *saved[r.name]), package.resources.values())))
    return None if None in files.values() else files


def _appended_to(path: Path, size: int, digest: str, lines: int) -> DataFile | None:
    try:
        with open(path, "rb") as fh:
            header = fh.readline()
            fh.seek(0)
            prefix = hashlib.sha256()
            last = b""
            for _ in range(0, size, CHUNK_BYTES):
                chunk = fh.read(min(CHUNK_BYTES, size - fh.tell()))
                prefix.update(chunk)
                last = chunk[-1:] or last
            tail = fh.read()
    except (FileNotFoundError, IsADirectoryError):
        return None
    if prefix.hexdigest() != digest or (tail and last not in (b"", b"\n")):
        return None  # an old row changed, or rows were appended to a last line without its line break
    whole = prefix.copy()
    whole.update(tail)
    return DataFile(header, tail, size + len(tail), whole.hexdigest(), lines + tail.count(b"\n") + (1 if tail and not tail.endswith(b"\n") else 0), lines)


def _read_tail(resource: Resource, file: DataFile, problems: list[Problem]) -> Table | None:
    """The rows after the validated prefix, read as a CSV of their own, with their real line numbers."""
    found: list[Problem] = []
    table = table_from_bytes(resource, file.header + file.tail, found)
    shift = file.saved_lines - 1
    problems.extend(dataclasses.replace(p, line=p.line + shift) if p.line and p.line > 1 else p for p in found)
    if table is not None:
        table.lines = table.lines + shift
    return table


def _quoted_articles(tails: dict[str, Table], articles: DataFile) -> set[str]:
    """The articles whose texts this run needs: those added, and those that new rows quote."""
    needed = set()
    if "articles" in tails:
        table = tails["articles"]
        needed.update(table.frame["article_id"][table.lines > articles.saved_lines].dropna())
    for name, table in tails.items():
        if name not in FULL_TABLES and "article_id" in table.frame:
            needed.update(table.frame["article_id"].dropna())
    return needed


# --- keys --------------------------------------------------------------------------------------

def _check_keys(package: Package, state: sqlite3.Connection, tails: dict[str, Table], problems: list[Problem]) -> None:
    """Primary and foreign keys of the new rows, by the checks of `validate` run on the new rows
    together with the stored rows that share their keys (found through the state's index)."""
    for name, tail in tails.items():
        key = tail.resource.primary_key
        if name in FULL_TABLES or not key:
            checks.check_primary_keys(package, {name: tail}, problems)
        elif len(tail.frame):
            checks.check_primary_keys(package, {name: _with_stored(state, tail, key, tail.frame[key])}, problems)
    for name, tail in tails.items():
        if not len(tail.frame):
            continue
        for fk in tail.resource.foreign_keys:
            parent_name = fk.resource
            parent = tails.get(parent_name)
            if parent is None:
                continue
            if parent_name not in FULL_TABLES:
                parent = _with_stored(state, parent, parent.resource.primary_key, tail.frame[[fk.field]])
            found: list[Problem] = []
            checks.check_foreign_key(tail, fk, parent, found)
            if found and parent_name not in FULL_TABLES:
                # The hint ("did you mean ...?") looks among every parent key, as a full run does.
                found = []
                checks.check_foreign_key(tail, fk, _with_stored(state, tails[parent_name], [], None), found)
            problems.extend(found)


def _with_stored(state: sqlite3.Connection, table: Table, match: list[str], wanted: pd.DataFrame | None) -> Table:
    """The stored rows of `table` whose `match` columns hold one of the rows of `wanted` (every
    stored row when None), with their lines, followed by the new rows: the primary-key columns
    that `validate`'s cross-table checks need to see of the table."""
    key = table.resource.primary_key
    columns = ", ".join(f"[{k}]" for k in key)
    if wanted is None:
        rows = state.execute(f"SELECT {columns}, _line FROM [keys_{table.name}]").fetchall()
    else:
        values = [list(row) for row in wanted.drop_duplicates().astype(object).itertuples(index=False, name=None)
                  if not any(v is None or v is pd.NA for v in row)]
        picked = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(match)))
        rows = state.execute(f"SELECT {columns}, _line FROM [keys_{table.name}] WHERE ({', '.join(f'[{m}]' for m in match)}) "
                             f"IN (SELECT {picked} FROM json_each(?))", [json.dumps(values)]).fetchall()
    stored = pd.DataFrame([row[:-1] for row in rows], columns=key).astype(table.frame[key].dtypes.to_dict())
    frame = pd.concat([stored, table.frame[key]], ignore_index=True)
    lines = pd.concat([pd.Series([row[-1] for row in rows], dtype="int64"), pd.Series(table.lines, dtype="int64")]).to_numpy()
    return Table(table.resource, frame, lines)


def _reports_of_new_events(state: sqlite3.Connection, tails: dict[str, Table]) -> dict[str, Table]:
    """event_sources and event_actors as check_events needs them for the new events: the new rows
    and the stored ones of the same events (there are some only when a new event repeats the id
    of a stored one, which is itself reported as a duplicate key)."""
    events = tails.get("events")
    if events is None or not len(events.frame):
        return {}
    return {name: _with_stored(state, tails[name], ["event_id"], events.frame[["event_id"]])
            for name in ("event_sources", "event_actors") if name in tails}


def _actors_of_touched_events(state: sqlite3.Connection, tails: dict[str, Table]) -> dict[str, Table]:
    """event_actors as the coding rules need it: the new rows and the stored ones of the events
    they name (a new actor1 of a stored event is a second actor1)."""
    links = tails.get("event_actors")
    if links is None or not len(links.frame):
        return {}
    return {"event_actors": _with_stored(state, links, ["event_id"], links.frame[["event_id"]])}


# --- the state -----------------------------------------------------------------------------------

def _open_state(state_dir: Path, package: Package) -> sqlite3.Connection | None:
    """The state's database, if it was saved by this version for this datapackage, schemas and code."""
    path = state_dir / "state.db"
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(path)
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        names = {name for (name,) in conn.execute("SELECT name FROM files")}
    except sqlite3.DatabaseError:
        return None
    if meta.get("version") != str(STATE_VERSION) or meta.get("fingerprint") != code_fingerprint(package) or names != set(package.resources):
        conn.close()
        return None
    return conn


def _full(package: Package, state_dir: Path) -> list[Problem]:
    tables: dict[str, Table] = {}
    signatures = _seed_signatures(package.root)
    problems = checks.validate(package.root, keep=tables)
    if not problems:
        _save_state(state_dir, package, tables, signatures)
    return problems


def _seed_signatures(root: Path) -> dict[str, str]:
    """Device, inode, size, modification and change times of each regular file in seeds/, by
    seed_path. A file whose signature is the one saved with its sha256 is not read again (as git
    trusts its index): writing a file changes its change time, which no user can set. A fresh
    checkout (a CI run) has new inodes and times, so there every seed is hashed again."""
    signatures = {}
    with os.scandir(root / "seeds") if (root / "seeds").is_dir() else contextlib.nullcontext([]) as entries:
        for entry in entries:
            if entry.is_file(follow_symlinks=False):
                st = entry.stat(follow_symlinks=False)
                signatures[f"seeds/{entry.name}"] = f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"
    return signatures


def _record_seeds(conn: sqlite3.Connection, articles: Table, signatures: dict[str, str]) -> None:
    """After a valid run every registered seed matched its article's sha256: remember it with the
    signature its file had before it was read."""
    frame = articles.frame[["seed_path", "sha256"]].dropna()
    conn.execute("DELETE FROM seeds")
    conn.executemany("INSERT OR REPLACE INTO seeds VALUES (?, ?, ?)",
                     [(path, signatures[path], digest) for path, digest in zip(frame["seed_path"], frame["sha256"]) if path in signatures])
    conn.commit()


def _save_state(state_dir: Path, package: Package, tables: dict[str, Table], signatures: dict[str, str]) -> None:
    """A new state for the valid dataset whose tables are `tables`, written beside the old one and
    renamed into place."""
    state_dir.mkdir(parents=True, exist_ok=True)
    staging = state_dir / "state.db.staging"
    staging.unlink(missing_ok=True)
    conn = sqlite3.connect(staging)
    try:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        conn.executemany("INSERT INTO meta VALUES (?, ?)", [("version", str(STATE_VERSION)), ("fingerprint", code_fingerprint(package))])
        conn.execute("CREATE TABLE files (name TEXT PRIMARY KEY, bytes INTEGER, sha256 TEXT, lines INTEGER)")
        conn.execute("CREATE TABLE seeds (seed_path TEXT PRIMARY KEY, signature TEXT, sha256 TEXT)")
        _record_seeds(conn, tables["articles"], signatures)
        for name, resource in package.resources.items():
            data = (package.root / resource.path).read_bytes()
            conn.execute("INSERT INTO files VALUES (?, ?, ?, ?)", (name, len(data), hashlib.sha256(data).hexdigest(),
                                                                   data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)))
            if name not in FULL_TABLES and resource.primary_key:
                _create_keys(conn, resource)
                _insert_keys(conn, tables[name])
        conn.commit()
    finally:
        conn.close()
    os.replace(staging, state_dir / "state.db")


def _create_keys(conn: sqlite3.Connection, resource: Resource) -> None:
    key = resource.primary_key
    conn.execute(f"CREATE TABLE [keys_{resource.name}] ({', '.join(f'[{k}]' for k in key)}, _line INTEGER NOT NULL, "
                 f"PRIMARY KEY ({', '.join(f'[{k}]' for k in key)})) WITHOUT ROWID")


def _insert_keys(conn: sqlite3.Connection, table: Table) -> None:
    key = table.resource.primary_key
    frame = table.frame[key].astype(object).where(table.frame[key].notna(), None)
    marks = ", ".join("?" for _ in range(len(key) + 1))
    conn.executemany(f"INSERT INTO [keys_{table.name}] VALUES ({marks})",
                     zip(*(frame[k].tolist() for k in key), (int(line) for line in table.lines)))


def _append_state(state: sqlite3.Connection, tails: dict[str, Table], files: dict[str, DataFile]) -> None:
    """Add the new rows' keys and the files' new lengths to the state, in one transaction."""
    for name, tail in tails.items():
        if name not in FULL_TABLES and tail.resource.primary_key and len(tail.frame):
            _insert_keys(state, tail)
    state.executemany("UPDATE files SET bytes = ?, sha256 = ?, lines = ? WHERE name = ?",
                      [(f.bytes, f.sha256, f.lines, name) for name, f in files.items()])
    state.commit()
