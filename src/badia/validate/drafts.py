"""Drafts read back: the structural reading of `drafts/<article_id>/<table>.csv` and what `badia
validate` reports about drafts still waiting. It lives here, not beside the assistant, so that
validation never loads the assistant's text rules.
"""

from __future__ import annotations

import csv
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


LINKS = "links.csv"
LINK_COLUMNS = ["decision", "draft_event_id", "event_id", "score", "reasons"]
LINK_DECISIONS = ("", "confirm", "refuse")


@dataclasses.dataclass
class Link:
    """A drafted event's suggested match with an event already in data/: `confirm` makes the
    article's evidence a report of the known event (the drafted event's own rows are dropped),
    `refuse` keeps the drafted event as a new one, empty is not yet decided."""

    decision: str
    draft_event_id: str
    event_id: str
    score: str
    reasons: str
    line: int


def read_links(root: Path, folder: Path, problems: list[Problem]) -> list[Link]:
    """drafts/<article_id>/links.csv, if there is one; a wrong header or decision is a located problem."""
    path = folder / LINKS
    if not path.is_file():
        return []
    rel = path.relative_to(root).as_posix()
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header != LINK_COLUMNS:
                problems.append(Problem(rel, f"header must be {','.join(LINK_COLUMNS)}", "restore the header the assistant wrote",
                                        line=1, value=",".join(header or []), code="draft.links-header"))
                return []
            links, line = [], reader.line_num + 1
            for record in reader:
                if len(record) != len(LINK_COLUMNS):
                    problems.append(Problem(rel, f"has {len(record)} cells, not {len(LINK_COLUMNS)}", "one cell per column", line=line, code="draft.links-row"))
                else:
                    link = Link(record[0].strip().lower(), *record[1:], line=line)
                    if link.decision not in LINK_DECISIONS:
                        problems.append(Problem(rel, f"decision must be empty, 'confirm' or 'refuse', not {record[0]!r}", "write confirm or refuse",
                                                line=line, column="decision", col=1, value=record[0], code="draft.links-decision"))
                    else:
                        links.append(link)
                line = reader.line_num + 1
    except (UnicodeDecodeError, csv.Error) as e:
        problems.append(Problem(rel, f"cannot be read as UTF-8 CSV: {e}", "restore the file the assistant wrote", code="draft.links-unreadable"))
        return []
    return links


def undecided_links(links: list[Link]) -> list[Link]:
    """The links still to decide: those of a drafted event none of whose links is decided."""
    decided = {link.draft_event_id for link in links if link.decision}
    return [link for link in links if link.draft_event_id not in decided]


def check_drafts(package: Package, rows: bool = False) -> list[Problem]:
    """What `badia validate` says about drafts: per article, how many rows are left to review (or,
    with `rows`, each of them), and reviewed drafts not applied. One line per article by default:
    eleven articles' drafts once printed 621 lines that hid the state of the data."""
    problems: list[Problem] = []
    drafts = package.root / "drafts"
    if not drafts.is_dir():
        return problems
    for folder in sorted(p for p in drafts.iterdir() if p.is_dir() and not p.name.startswith(".")):
        tables = draft_tables(package, folder, problems)
        links = read_links(package.root, folder, problems)
        waiting: dict[str, int] = {}
        for table in tables:
            for i in range(len(table.rows)):
                _confidence(table, i, problems)
                review = _review(table, i, problems)
                if review == "":
                    waiting[table.name] = waiting.get(table.name, 0) + 1
                    if rows:
                        problems.append(Problem(table.path, "draft row left unreviewed", f"set review to accept or reject, then run `badia assist --apply {folder.name}`",
                                                line=table.lines[i], column=REVIEW, col=1, code="draft.unreviewed"))
        # A link matters while its drafted event has a row not rejected.
        live = {row[table.header.index("event_id")] for table in tables if "event_id" in table.header and table.name != "quotes"
                for row in table.rows if row[0].strip().lower() != "reject"}
        open_links = [link for link in undecided_links(links) if link.draft_event_id in live]
        if open_links:
            waiting["links"] = len({link.draft_event_id for link in open_links})
            if rows:
                rel = (folder / LINKS).relative_to(package.root).as_posix()
                problems += [Problem(rel, f"link of {link.draft_event_id} to known event {link.event_id} not decided",
                                     "write confirm or refuse in its decision column", line=link.line, column="decision", col=1,
                                     code="draft.link-undecided") for link in open_links]
        rel = folder.relative_to(package.root).as_posix()
        if waiting and not rows:
            counts = ", ".join(f"{table} {n}" for table, n in waiting.items())
            problems.append(Problem(rel, f"{sum(waiting.values())} draft row(s) left to review ({counts})",
                                    f"review them with `badia review {folder.name}` (list them with `badia validate --drafts`), then `badia assist --apply {folder.name}`",
                                    code="draft.pending"))
        if tables and not waiting:
            problems.append(Problem(rel, "reviewed draft not yet applied",
                                    f"run `badia assist --apply {folder.name}` to add the accepted rows to data/", code="draft.unapplied"))
    return problems
