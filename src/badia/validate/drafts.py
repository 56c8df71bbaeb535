"""Drafts read back: the structural reading of `drafts/<article_id>/<table>.csv` and what `badia
validate` reports about drafts still waiting. It lives here, not beside the assistant, so that
validation never loads the assistant's text rules.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from badia.dataset.corpus import ID_PATTERN
from badia.dataset.package import Package, inside
from badia.problems import Problem, Refused

REVIEW, CONFIDENCE, NOTE = "review", "confidence", "draft_note"
REVIEW_VALUES = ("", "accept", "reject")
# A draft row is: review, confidence, the table's columns, draft_note. confidence is the assistant's
# score for the row (0.00-1.00; empty in a row written by hand), so that a curator can accept the
# confident rows in bulk; the reason for it is in draft_note.
LEADING = (REVIEW, CONFIDENCE)
CONFIDENCE_FORM = re.compile(r"(?:0(?:\.\d+)?|1(?:\.0+)?)?")


def table_cells(row: list[str]) -> list[str]:
    """The cells of a draft row that belong to the data table."""
    return row[len(LEADING):-1]
# The order in which drafted tables are applied: what others point to comes first.
TABLE_ORDER = ("actors", "places", "events", "event_actors", "event_sources", "quotes", "quote_exclusions", "mentions", "claims")


def draft_folder(root: Path, article_id: str) -> Path:
    """drafts/<article_id>, refused unless the id is an article id (no '/', no '..') and the folder
    resolves inside drafts/ (a symlinked drafts/ or draft folder pointing elsewhere is refused)."""
    root = Path(root)
    if not isinstance(article_id, str) or not ID_PATTERN.fullmatch(article_id):
        raise Refused([Problem("drafts", f"{article_id!r} is not an article id", "give the id of a registered article as data/articles.csv writes it "
                               "(lower-case letters, digits, '_', '.', '-'; no '/')", value=str(article_id), code="draft.id")])
    folder = root / "drafts" / article_id
    drafts = inside(root, "drafts")
    if drafts is None or inside(drafts, article_id) is None or (root / "drafts").is_symlink() or folder.is_symlink():
        raise Refused([Problem(f"drafts/{article_id}", "the draft folder is a link or lies outside the dataset's drafts/ folder",
                               "keep drafts as plain folders under drafts/", code="draft.path")])
    return folder


@dataclasses.dataclass
class DraftTable:
    name: str
    path: str  # relative to the dataset root
    header: list[str]
    rows: list[list[str]]
    lines: list[int]


def read_draft_table(package: Package, path: Path, problems: list[Problem]) -> DraftTable | None:
    """One draft file, read by the same structural checks as a data table, with its header the
    table's columns between review, confidence and draft_note. Windows line endings are accepted here."""
    from badia.dataset.tables import parse_rows, read_text  # pandas and pandera: only reading drafts back needs them

    name = path.stem
    rel = path.relative_to(package.root).as_posix()
    resource = package.resource(name)
    fields = [{"name": REVIEW, "type": "string"}, {"name": CONFIDENCE, "type": "number"}, *resource.schema["fields"], {"name": NOTE, "type": "string"}]
    draft = dataclasses.replace(resource, path=rel, schema={**resource.schema, "fields": fields})
    found: list[Problem] = []
    text = read_text(draft, path.read_bytes(), found)
    parsed = parse_rows(draft, text, found) if text is not None else None
    problems += [p for p in found if p.code != "csv.line-endings"]
    if parsed is None:
        return None
    return DraftTable(name, rel, draft.field_names, *parsed)


def draft_tables(package: Package, folder: Path, problems: list[Problem]) -> list[DraftTable]:
    tables = []
    for name in TABLE_ORDER:
        path = folder / f"{name}.csv"
        if name in package.resources and path.is_file():
            table = read_draft_table(package, path, problems)
            if table is not None:
                tables.append(table)
    return tables


def _review(table: DraftTable, i: int, problems: list[Problem]) -> str | None:
    value = table.rows[i][0].strip().lower()
    if value not in REVIEW_VALUES:
        problems.append(Problem(table.path, f"review must be empty, 'accept' or 'reject', not {table.rows[i][0]!r}",
                                "write accept or reject", line=table.lines[i], column=REVIEW, col=1, value=table.rows[i][0], code="draft.review"))
        return None
    return value


def _confidence(table: DraftTable, i: int, problems: list[Problem]) -> None:
    value = table.rows[i][1].strip()
    if not CONFIDENCE_FORM.fullmatch(value):
        problems.append(Problem(table.path, f"confidence must be a decimal from 0 to 1 (or empty), not {table.rows[i][1]!r}",
                                "write a number such as 0.85, or leave it empty", line=table.lines[i], column=CONFIDENCE, col=2,
                                value=table.rows[i][1], code="draft.confidence"))


def check_drafts(package: Package) -> list[Problem]:
    """What `badia validate` says about drafts: rows left unreviewed, and reviewed drafts not applied."""
    problems: list[Problem] = []
    drafts = package.root / "drafts"
    if not drafts.is_dir():
        return problems
    for folder in sorted(p for p in drafts.iterdir() if p.is_dir() and not p.name.startswith(".")):
        tables = draft_tables(package, folder, problems)
        waiting = 0
        for table in tables:
            for i in range(len(table.rows)):
                _confidence(table, i, problems)
                review = _review(table, i, problems)
                if review == "":
                    waiting += 1
                    problems.append(Problem(table.path, "draft row left unreviewed", f"set review to accept or reject, then run `badia assist --apply {folder.name}`",
                                            line=table.lines[i], column=REVIEW, col=1, code="draft.unreviewed"))
        if tables and not waiting:
            problems.append(Problem(folder.relative_to(package.root).as_posix(), "reviewed draft not yet applied",
                                    f"run `badia assist --apply {folder.name}` to add the accepted rows to data/", code="draft.unapplied"))
    return problems
