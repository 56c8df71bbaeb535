"""Applying reviewed drafts to data/, checked first and undoable.

`apply_drafts` appends the accepted rows of `drafts/<article_id>/` to data/ only if the dataset it
would write passes the same checks as `badia validate` (every problem the new rows would cause is
reported located in the draft file, and nothing is written). Links to known events are honoured:
a confirmed link drops the drafted event's `events` and `event_actors` rows and points its
`event_sources` (and quotes) at the known event. Before writing, a journal goes to
`drafts/.undo/<article_id>/`: the size and hash of every data file before and after, and the draft
folder as it was, so that `undo` restores data/ and the drafts byte for byte, and refuses when
data/ or the drafts changed since.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

from badia.curate.drafts import DraftError
from badia.dataset.corpus import ID_PATTERN
from badia.dataset.package import Package
from badia.files import atomic_write, atomic_write_all, staged_folder
from badia.problems import Problem
from badia.validate.checks import validate
from badia.validate.drafts import (LINK_COLUMNS, LINKS, TABLE_ORDER, DraftTable, Link, _confidence, _review, draft_folder, draft_tables, read_links,
                                   undecided_links)

UNDO_DIR = ".undo"
JOURNAL = "journal.json"
# Tables whose rows belong to a drafted event and go when its link to a known event is confirmed.
EVENT_OWN_TABLES = ("events", "event_actors")
# Tables whose event_id is pointed at the known event when the link is confirmed.
EVENT_REPORT_TABLES = ("event_sources", "quotes")


@dataclasses.dataclass
class Applied:
    added: dict[str, int]
    rejected: int
    linked: int
    waiting: int
    folder_removed: bool


@dataclasses.dataclass
class _Accepted:
    """The accepted rows of one draft table, in data column order, with their draft lines."""

    table: DraftTable
    rows: list[list[str]] = dataclasses.field(default_factory=list)
    lines: list[int] = dataclasses.field(default_factory=list)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _judge(package: Package, folder: Path, problems: list[Problem]) -> tuple[dict[str, _Accepted], dict[str, list[list[str]]], int, int, list[Link]]:
    """Sort every draft row: accepted (links applied), rejected, dropped by a confirmed link, or
    still waiting. Returns the accepted rows per table, the rows to keep per table, the numbers
    rejected and linked away, and the links still to keep."""
    tables = draft_tables(package, folder, problems)
    links = read_links(package.root, folder, problems)
    confirmed = {link.draft_event_id: link.event_id for link in links if link.decision == "confirm"}
    open_links = {link.draft_event_id: link for link in undecided_links(links)}
    links_rel = (folder / LINKS).relative_to(package.root).as_posix()
    accepted: dict[str, _Accepted] = {}
    keep: dict[str, list[list[str]]] = {}
    rejected = linked = 0
    for table in tables:
        fields = package.resource(table.name).field_names
        position = {name: table.header.index(name) for name in fields}
        keep[table.name] = []
        for i, row in enumerate(table.rows):
            _confidence(table, i, problems)
            review = _review(table, i, problems)
            event_id = row[position["event_id"]] if "event_id" in position else ""
            if table.name in EVENT_OWN_TABLES and event_id in confirmed:
                linked += 1
            elif review == "accept":
                values = [row[position[name]] for name in fields]
                if event_id in open_links:
                    link = open_links[event_id]
                    problems.append(Problem(links_rel, f"{table.path} line {table.lines[i]} is accepted, but the link of {event_id} to known event {link.event_id} is not decided",
                                            "confirm the link (the evidence then reports the known event) or refuse it (the drafted event is new)",
                                            line=link.line, column="decision", col=1, code="draft.link-undecided"))
                if table.name in EVENT_REPORT_TABLES and event_id in confirmed:
                    values[fields.index("event_id")] = confirmed[event_id]
                entry = accepted.setdefault(table.name, _Accepted(table))
                entry.rows.append(values)
                entry.lines.append(table.lines[i])
            elif review == "reject":
                rejected += 1
            else:
                keep[table.name].append(row)
    kept_events = {row[table.header.index("event_id")] for table in tables for row in keep[table.name] if "event_id" in table.header}
    kept_links = [link for link in links if link.draft_event_id in kept_events and link.draft_event_id not in confirmed]
    return accepted, keep, rejected, linked, kept_links


def _would_be(package: Package, accepted: dict[str, _Accepted]) -> tuple[dict[str, bytes], dict[str, dict[int, tuple[_Accepted, int]]]]:
    """The bytes each data file would have, and for each, which draft row each new line comes from."""
    replaced: dict[str, bytes] = {}
    origin: dict[str, dict[int, tuple[_Accepted, int]]] = {}
    for name, entry in accepted.items():
        rel = package.resource(name).path
        old = (package.root / rel).read_bytes() if (package.root / rel).exists() else b""
        if old and not old.endswith(b"\n"):
            old += b"\n"
        line = old.count(b"\n") + 1
        origin[rel] = {}
        for row, draft_line in zip(entry.rows, entry.lines):
            origin[rel][line] = (entry, draft_line)
            line += _csv_text([row]).count("\n")
        replaced[rel] = old + _csv_text(entry.rows).encode("utf-8")
    return replaced, origin


def _key(p: Problem) -> tuple:
    return p.path, p.line, p.col, p.code, p.message


# The problems data/ has now, by the state of its files: the review page checks after every
# decision, and data/ does not change between them (halves the work of each check).
_PROBLEMS_NOW: dict[Path, tuple[tuple, set[tuple]]] = {}


def _problems_now(package: Package) -> set[tuple]:
    files = [package.root / rel for rel in _data_files(package)] + sorted((package.root / "seeds").glob("*"))
    signature = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) if f.exists() else (str(f),) for f in files)
    cached = _PROBLEMS_NOW.get(package.root)
    if cached is None or cached[0] != signature:
        cached = signature, {_key(p) for p in validate(package.root, drafts=None)}
        _PROBLEMS_NOW[package.root] = cached
    return cached[1]


def check_would_be(package: Package, accepted: dict[str, _Accepted]) -> list[Problem]:
    """The problems the accepted rows would add to the dataset, by the same checks as `badia
    validate` on data/ with the rows appended; a problem on a new row is located in the draft."""
    replaced, origin = _would_be(package, accepted)
    before = _problems_now(package)
    found = []
    for p in validate(package.root, replaced=replaced, drafts=None):
        if _key(p) in before:
            continue
        source = origin.get(p.path, {}).get(p.line or 0)
        if source is not None:
            entry, draft_line = source
            col = entry.table.header.index(p.column) + 1 if p.column in entry.table.header else None
            p = dataclasses.replace(p, path=entry.table.path, line=draft_line, col=col)
        found.append(p)
    return found


def apply_problems(package: Package, article_id: str) -> list[Problem]:
    """What `apply_drafts` would refuse with now (the review page shows them before applying)."""
    folder = draft_folder(package.root, article_id)
    problems: list[Problem] = []
    accepted = _judge(package, folder, problems)[0]
    return problems or check_would_be(package, accepted)


def apply_drafts(package: Package, article_id: str) -> Applied:
    """Append the accepted rows of drafts/<article_id>/ to data/ if the would-be dataset passes
    validation; nothing is written otherwise. The reviewed rows leave the drafts; the folder goes
    when every row and link is decided. A journal makes it undoable (see `undo`)."""
    folder = draft_folder(package.root, article_id)
    rel = folder.relative_to(package.root).as_posix()
    if not ID_PATTERN.fullmatch(article_id) or not folder.is_dir():
        raise DraftError([Problem(rel, "no draft for this article", f"draft it first with `badia assist {article_id}`", code="draft.missing")])
    if not any((folder / f"{name}.csv").is_file() for name in TABLE_ORDER):
        raise DraftError([Problem(rel, "holds no draft table", f"draft the article with `badia assist {article_id}`; this folder is left as it is",
                                  code="draft.no-tables")])
    problems: list[Problem] = []
    accepted, keep, rejected, linked, kept_links = _judge(package, folder, problems)
    problems = problems or check_would_be(package, accepted)
    if problems:
        raise DraftError(problems)
    replaced, _ = _would_be(package, accepted)
    waiting = sum(len(rows) for rows in keep.values()) + len(undecided_links(kept_links))
    draft_after = _draft_after(folder, keep, kept_links, waiting)
    _write_journal(package, article_id, folder, replaced, draft_after)
    atomic_write_all({package.root / rel: data for rel, data in replaced.items()})  # all staged before any is renamed
    if waiting:
        for path, data in draft_after.items():
            atomic_write(folder / path, data)
        removed = False
    else:
        removed = remove_draft(folder)
    return Applied({name: len(entry.rows) for name, entry in accepted.items()}, rejected, linked, waiting, removed)


def remove_draft(folder: Path) -> bool:
    """Remove a finished draft: its own files (the CSV files the assistant writes), then the folder
    if that emptied it. Anything else a contributor put there is kept, with the folder; never a
    recursive delete."""
    for path in folder.glob("*.csv"):
        if path.is_file() and not path.is_symlink():
            path.unlink()
    try:
        folder.rmdir()
    except OSError:
        return False
    return True


def _draft_after(folder: Path, keep: dict[str, list[list[str]]], links: list[Link], waiting: int) -> dict[str, bytes]:
    """The draft files as they will be after applying (file name -> bytes); empty when the folder goes."""
    if not waiting:
        return {}
    after = {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file() and path.suffix == ".csv"}
    for name, rows in keep.items():
        with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
            header = next(csv.reader(fh))
        after[f"{name}.csv"] = _csv_text([header, *rows]).encode("utf-8")
    if LINKS in after:
        after[LINKS] = _csv_text([LINK_COLUMNS] + [[link.decision, link.draft_event_id, link.event_id, link.score, link.reasons] for link in links]).encode("utf-8")
    return after


# ---------------------------------------------------------------- the undo journal

def journal_folder(root: Path, article_id: str) -> Path:
    return Path(root) / "drafts" / UNDO_DIR / article_id


def _data_files(package: Package) -> list[str]:
    return sorted(resource.path for resource in package.resources.values())


def _file_hash(path: Path) -> str | None:
    return _sha256(path.read_bytes()) if path.is_file() else None


def _write_journal(package: Package, article_id: str, folder: Path, replaced: dict[str, bytes], draft_after: dict[str, bytes]) -> None:
    """What undo needs, written whole (a staging folder renamed into place) before data/ changes:
    each data file's hash after the apply, the size and hash of those it appends to, and a copy
    of the draft folder as it is now. Only the last apply of an article is kept."""
    root = package.root
    data_after = {rel: (_sha256(replaced[rel]) if rel in replaced else _file_hash(root / rel)) for rel in _data_files(package)}
    appended = {}
    for rel in replaced:
        old = (root / rel).read_bytes() if (root / rel).exists() else b""
        appended[rel] = {"size": len(old), "sha256": _sha256(old)}
    journal = {"article_id": article_id, "applied_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "data_after": data_after, "appended": appended,
               "draft_after": {name: _sha256(data) for name, data in draft_after.items()}}
    with staged_folder(journal_folder(root, article_id)) as staging:
        shutil.copytree(folder, staging / "draft")
        (staging / JOURNAL).write_text(json.dumps(journal, indent=1, sort_keys=True) + "\n", encoding="utf-8")


@dataclasses.dataclass
class Undone:
    restored: list[str]
    applied_at: str


def undo(package: Package, article_id: str) -> Undone:
    """Put data/ and drafts/<article_id>/ back as they were before the article's last apply, byte
    for byte; refused when data/ or the draft changed since (undoing would lose that work)."""
    root = package.root
    target = journal_folder(root, article_id)
    rel = target.relative_to(root).as_posix()
    try:
        if not ID_PATTERN.fullmatch(article_id):
            raise ValueError("not an article id")
        journal = json.loads((target / JOURNAL).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise DraftError([Problem(rel, f"no apply of {article_id} to undo ({type(e).__name__})",
                                  "only the last `badia assist --apply` of an article can be undone, and only once", code="undo.no-journal")])
    problems = []
    for path, digest in journal["data_after"].items():
        if _file_hash(root / path) != digest:
            problems.append(Problem(path, f"changed since the apply of {article_id} at {journal['applied_at']}",
                                    "undoing now would lose that change: undo by hand (git diff, git checkout) or keep the apply", code="undo.data-changed"))
    folder = draft_folder(root, article_id)
    now = {p.name: _sha256(p.read_bytes()) for p in folder.iterdir() if p.is_file()} if folder.is_dir() else {}
    now = {name: digest for name, digest in now.items() if name.endswith(".csv")}
    if now != journal["draft_after"]:
        problems.append(Problem(folder.relative_to(root).as_posix(), f"changed since the apply of {article_id} at {journal['applied_at']}",
                                "undoing now would lose the decisions made since: apply them first, or undo by hand", code="undo.draft-changed"))
    if problems:
        raise DraftError(problems)
    restored = []
    for path, before in journal["appended"].items():
        old = (root / path).read_bytes()[: before["size"]]
        if _sha256(old) != before["sha256"]:  # cannot happen when the hash after matched; checked all the same
            raise DraftError([Problem(path, "its first bytes are not those it had before the apply", "undo by hand", code="undo.mismatch")])
        atomic_write(root / path, old)
        restored.append(path)
    with staged_folder(folder) as staging:
        shutil.copytree(target / "draft", staging, dirs_exist_ok=True)
    shutil.rmtree(target)
    restored.append(folder.relative_to(root).as_posix())
    return Undone(restored, journal["applied_at"])
