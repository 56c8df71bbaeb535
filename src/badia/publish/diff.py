"""`badia diff OLD NEW`: the keyed difference of two versions of the dataset, so that a user (or a
reviewer of a pull request) sees what changed in the data, not in the CSV text.

Each side is a folder (a checkout, or an extracted release), a release archive (.zip), or a git
revision of the repository (read with `git archive`, never checked out). Per table, rows are
matched by their primary key: the rows added, the rows removed (with what replaces them and why,
from the newer side's retired_rows table) and, for rows on both sides, every cell that changed
(old -> new). Cells are compared as text after the one normalisation the build applies (a release's
CSV puts an apostrophe before a cell that a spreadsheet would run as a formula) and numbers by
value, so a release and the folder it was built from have no difference.

The same result prints as text, Markdown (the pull request's job summary), JSON and CSV (the
CHANGES.csv of a release), and as the table of counts that a release's CHANGELOG entry carries.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from badia.problems import Problem, Refused

FORMULA_STARTS = ("=", "+", "-", "@")
PARTS = ("datapackage.json", "schemas", "data")  # what a git revision's dataset is made of
KEY_SEPARATOR = ";"
CSV_COLUMNS = ["table", "key", "change", "column", "old", "new", "replaced_by", "reason"]


class DiffRefused(Refused):
    """A side of the diff cannot be read (exit 2)."""

    exit_code = 2


@dataclass
class TableVersion:
    key: list[str]
    columns: list[str]
    rows: dict[tuple, dict[str, str]]


@dataclass
class Side:
    label: str
    version: str
    tables: dict[str, TableVersion] = field(default_factory=dict)


# --- reading a side ----------------------------------------------------------------------------

def read_side(spec: str, repo: Path) -> Side:
    """The dataset named by `spec`: a folder, a release archive, or a git revision of `repo`."""
    path = Path(spec)
    if path.is_dir():
        return read_folder(path, spec)
    with tempfile.TemporaryDirectory(prefix="badia-diff-") as tmp:
        if path.is_file() and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                zf.extractall(tmp)
            tops = [p for p in Path(tmp).iterdir() if p.is_dir()]
            if len(tops) != 1:
                raise DiffRefused([Problem(spec, "the archive does not hold one top folder, as a badia release does", "name a release archive (badia-VERSION.zip)", code="diff.side")])
            return read_folder(tops[0], spec)
        if path.exists():
            raise DiffRefused([Problem(spec, "is a file but not a zip archive", "name a folder, a release archive (.zip) or a git revision", code="diff.side")])
        _git_extract(spec, repo, Path(tmp))
        return read_folder(Path(tmp), spec)


def _git_extract(rev: str, repo: Path, dest: Path) -> None:
    """The dataset's files at a git revision, extracted with `git archive` (nothing checked out)."""
    def git(*args: str, **kw) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, **kw)

    try:
        found = git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except FileNotFoundError:
        found = None
    if found is None or found.returncode != 0:
        raise DiffRefused([Problem(rev, f"is neither a folder, a release archive nor a git revision of {repo}",
                                   "name a folder, a .zip release, or a commit, branch or tag (fetch it first in a shallow clone: git fetch --deepen or --unshallow)", code="diff.side")])
    commit = found.stdout.decode().strip()
    listed = git("ls-tree", "--name-only", commit, "--", *PARTS)
    parts = [p for p in listed.stdout.decode().split("\n") if p]
    if "datapackage.json" not in parts:
        raise DiffRefused([Problem(rev, f"revision {commit[:12]} has no datapackage.json", "name a revision of the dataset's repository", code="diff.side")])
    archive = git("archive", "--format=tar", commit, "--", *parts)
    if archive.returncode != 0:
        raise DiffRefused([Problem(rev, f"git archive failed: {archive.stderr.decode().strip()}", "check the revision and the repository", code="diff.side")])
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(dest, filter="data")


def read_folder(folder: Path, label: str) -> Side:
    """Every CSV table of the Data Package in `folder` (a checkout or a release), cells as text."""
    try:
        descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise DiffRefused([Problem(label, f"has no readable datapackage.json ({e.__class__.__name__})", "name the dataset's root folder, a release or a git revision", code="diff.side")])
    side = Side(label, str(descriptor.get("version", "")))
    for res in descriptor.get("resources", []):
        path = str(res.get("path", ""))
        # A table made from the others at build time (the site's reader tables) is no change of its own.
        if not path.endswith(".csv") or not (folder / path).is_file() or res.get("derived"):
            continue
        schema = res.get("schema")
        if isinstance(schema, str):
            try:
                schema = json.loads((folder / schema).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                schema = {}
        side.tables[res["name"]] = read_csv(folder / path, schema or {}, released=path.startswith("csv/"))
    return side


def read_csv(path: Path, schema: dict, released: bool) -> TableVersion:
    types = {f["name"]: f.get("type", "string") for f in schema.get("fields", [])}
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        columns = next(reader, [])
        key = [k for k in (schema.get("primaryKey") or []) if k in columns] or list(columns)
        rows = {}
        for record in reader:
            row = {c: _normal(v, types.get(c, "string"), released) for c, v in zip(columns, record)}
            rows[tuple(row.get(k, "") for k in key)] = row
    return TableVersion(key, columns, rows)


def _normal(value: str, ftype: str, released: bool) -> str:
    if released and value[:1] == "'" and value[1:2] in FORMULA_STARTS:
        value = value[1:]  # the build's neutralisation of formula-like cells
    if value and ftype in ("number", "integer"):
        try:
            number = float(value)
        except ValueError:
            return value
        text = repr(number)
        return text[:-2] if text.endswith(".0") else text
    return value


# --- the difference ----------------------------------------------------------------------------

def diff(old: Side, new: Side) -> dict:
    """The keyed difference, as a JSON-ready dict (see format_json)."""
    retired = {}
    if "retired_rows" in new.tables:
        for row in new.tables["retired_rows"].rows.values():
            retired[(row.get("table", ""), row.get("id", ""))] = row
    tables = {}
    for name in sorted(set(old.tables) | set(new.tables)):
        before, after = old.tables.get(name), new.tables.get(name)
        key = (after or before).key
        old_rows = before.rows if before else {}
        new_rows = after.rows if after else {}
        if before and after and before.key != after.key:  # a key that changed: match on the newer one
            old_rows = {tuple(r.get(k, "") for k in key): r for r in old_rows.values()}
        shared = [c for c in (after.columns if after else []) if before and c in before.columns]
        removed = []
        for k in sorted(set(old_rows) - set(new_rows)):
            entry = {"key": _key(k), "row": old_rows[k]}
            if len(key) == 1:
                gone = retired.get((name, k[0]))
                entry["retired"] = gone is not None
                if gone is not None:
                    entry["replaced_by"] = [r for r in gone.get("replaced_by", "").split(";") if r]
                    entry["reason"] = gone.get("reason", "")
                    entry["retired_in"] = gone.get("retired_in", "")
            removed.append(entry)
        changed = []
        for k in sorted(set(old_rows) & set(new_rows)):
            a, b = old_rows[k], new_rows[k]
            for c in shared:
                if a.get(c, "") != b.get(c, ""):
                    changed.append({"key": _key(k), "column": c, "old": a.get(c, ""), "new": b.get(c, "")})
        tables[name] = {
            "key": key,
            "rows_old": len(old_rows), "rows_new": len(new_rows),
            "columns_added": [c for c in (after.columns if after else []) if not before or c not in before.columns],
            "columns_removed": [c for c in (before.columns if before else []) if not after or c not in after.columns],
            "added": [{"key": _key(k), "row": new_rows[k]} for k in sorted(set(new_rows) - set(old_rows))],
            "removed": removed,
            "changed": changed,
        }
    return {"old": {"label": old.label, "version": old.version}, "new": {"label": new.label, "version": new.version}, "tables": tables}


def _key(k: tuple) -> str:
    return KEY_SEPARATOR.join(k)


def counts(result: dict) -> dict[str, dict[str, int]]:
    """Per table: rows added, removed, changed (rows with a changed cell) and cells changed."""
    return {name: {"added": len(t["added"]), "removed": len(t["removed"]),
                   "changed": len({c["key"] for c in t["changed"]}), "cells": len(t["changed"])}
            for name, t in result["tables"].items()}


def _changed_tables(result: dict) -> list[str]:
    return [n for n, c in counts(result).items() if any(c.values()) or result["tables"][n]["columns_added"] or result["tables"][n]["columns_removed"]]


# --- the formats -------------------------------------------------------------------------------

def format_json(result: dict) -> str:
    out = dict(result, counts=counts(result))
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"


def format_csv(result: dict) -> str:
    """One line per added row, removed row and changed cell (CHANGES.csv)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for name, t in result["tables"].items():
        for a in t["added"]:
            writer.writerow([name, a["key"], "added", "", "", json.dumps(a["row"], ensure_ascii=False), "", ""])
        for r in t["removed"]:
            writer.writerow([name, r["key"], "removed", "", json.dumps(r["row"], ensure_ascii=False), "",
                             KEY_SEPARATOR.join(r.get("replaced_by", [])), r.get("reason", "")])
        for c in t["changed"]:
            writer.writerow([name, c["key"], "changed", c["column"], c["old"], c["new"], "", ""])
    return text.getvalue()


def _removal(r: dict) -> str:
    if "retired" not in r:
        return ""
    if not r["retired"]:
        return " (NOT in retired_rows: an id was dropped without a record)"
    replaced = ", ".join(r["replaced_by"]) or "nothing"
    return f" -> replaced by {replaced}: {r['reason']}"


def format_text(result: dict) -> str:
    lines = [f"badia diff {result['old']['label']} ({result['old']['version'] or '?'}) -> {result['new']['label']} ({result['new']['version'] or '?'})"]
    changed = _changed_tables(result)
    if not changed:
        return lines[0] + "\nno differences\n"
    for name, c in counts(result).items():
        t = result["tables"][name]
        lines.append(f"{name}: {t['rows_old']} -> {t['rows_new']} rows; {c['added']} added, {c['removed']} removed, {c['changed']} changed ({c['cells']} cells)")
    for name in changed:
        t = result["tables"][name]
        lines.append(f"\n== {name} (key: {', '.join(t['key'])})")
        for col in t["columns_added"]:
            lines.append(f"  column added: {col}")
        for col in t["columns_removed"]:
            lines.append(f"  column removed: {col}")
        lines += [f"  + {a['key']}" for a in t["added"]]
        lines += [f"  - {r['key']}{_removal(r)}" for r in t["removed"]]
        lines += [f"  ~ {c['key']} {c['column']}: {c['old']!r} -> {c['new']!r}" for c in t["changed"]]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def format_changelog(result: dict) -> str:
    """The table of counts a release's CHANGELOG entry carries (the release checks it)."""
    lines = [f"Changes against {result['old']['version'] or result['old']['label']} (`badia diff`; rows by primary key):", "",
             "| table | rows before | rows after | added | removed | changed rows | changed cells |", "|---|---|---|---|---|---|---|"]
    for name, c in counts(result).items():
        t = result["tables"][name]
        if any(c.values()):
            lines.append(f"| {name} | {t['rows_old']} | {t['rows_new']} | {c['added']} | {c['removed']} | {c['changed']} | {c['cells']} |")
    return "\n".join(lines) + "\n"


def format_markdown(result: dict) -> str:
    head = f"### badia diff: {_md(result['old']['label'])} ({result['old']['version'] or '?'}) → {_md(result['new']['label'])} ({result['new']['version'] or '?'})\n\n"
    changed = _changed_tables(result)
    if not changed:
        return head + "No differences in the data.\n"
    out = [head + format_changelog(result)]
    for name in changed:
        t = result["tables"][name]
        c = counts(result)[name]
        out.append(f"\n<details><summary><b>{name}</b>: {c['added']} added, {c['removed']} removed, {c['changed']} changed</summary>\n")
        if t["columns_added"] or t["columns_removed"]:
            out.append(f"\nColumns added: {', '.join(t['columns_added']) or 'none'}; removed: {', '.join(t['columns_removed']) or 'none'}.\n")
        if t["added"]:
            out.append("\n| added | |\n|---|---|\n" + "".join(f"| `{_md(a['key'])}` | {_md(_gist(a['row']))} |\n" for a in t["added"]))
        if t["removed"]:
            out.append("\n| removed | replaced by | reason |\n|---|---|---|\n" + "".join(
                f"| `{_md(r['key'])}` | {_md(', '.join(r.get('replaced_by', [])) or ('—' if r.get('retired') else ('not recorded' if 'retired' in r else '')))} | {_md(r.get('reason', ''))} |\n"
                for r in t["removed"]))
        if t["changed"]:
            out.append("\n| key | column | old | new |\n|---|---|---|---|\n" + "".join(
                f"| `{_md(x['key'])}` | {x['column']} | {_md(x['old'])} | {_md(x['new'])} |\n" for x in t["changed"]))
        out.append("\n</details>\n")
    return "".join(out)


def _gist(row: dict) -> str:
    """A short reading of an added row: its summary, name or text when it has one."""
    for column in ("summary", "name", "text", "subject", "reason"):
        if row.get(column):
            return row[column]
    return ", ".join(f"{k}={v}" for k, v in row.items() if v)[:200]


FORMATS = {"text": format_text, "markdown": format_markdown, "json": format_json, "csv": format_csv, "changelog": format_changelog}
