"""A curator's decisions on drafts, written into `drafts/<article_id>/` and nowhere else: accept or
reject rows (one, every confident one, or every one left), edit a cell, confirm or refuse a link
to a known event, add a span the assistant missed (its offsets found in the seed, never typed).

Every decision rewrites the one draft file it changes, whole and atomically, so a closed tab or an
interrupted command loses nothing already decided. The review page and `badia assist --accept /
--reject / --link / --add` both call these functions.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

from badia.curate.drafts import DraftError, _Ids
from badia.dataset.rows import read_rows
from badia.dataset.corpus import ID_PATTERN, find_all, read_seed
from badia.dataset.package import Package, inside
from badia.files import atomic_write
from badia.problems import Problem
from badia.validate.drafts import CONFIDENCE, LEADING, LINK_COLUMNS, LINKS, NOTE, REVIEW, TABLE_ORDER, draft_folder

DEFAULT_THRESHOLD = 0.9  # scripts/measure_review.py: the assistant gives 0.8 to events right and wrong alike
CONTEXT = 30  # characters shown either side of an ambiguous span's candidates


@dataclasses.dataclass
class DraftFile:
    """One draft CSV as its cells (the reviewer's view: no type checks, those are validate's)."""

    path: Path
    header: list[str]
    rows: list[list[str]]
    lines: list[int] = dataclasses.field(default_factory=list)  # each row's first line in the file, as read

    def col(self, name: str) -> int:
        return self.header.index(name)

    def get(self, row: list[str], name: str) -> str:
        return row[self.header.index(name)] if name in self.header else ""

    def save(self) -> None:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([self.header, *self.rows])
        atomic_write(self.path, out.getvalue().encode("utf-8"))


def _folder(root: Path, article_id: str) -> Path:
    folder = draft_folder(root, article_id)
    if not ID_PATTERN.fullmatch(article_id) or not folder.is_dir():
        raise DraftError([Problem(f"drafts/{article_id}", "no draft for this article", f"draft it first with `badia assist {article_id}`", code="draft.missing")])
    return folder


def read_file(path: Path) -> DraftFile:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        rows, lines, start = [], [], 1
        for record in reader:
            rows.append(record)
            lines.append(start)
            start = reader.line_num + 1
    if not rows:
        raise DraftError([Problem(path.name, "empty draft file", "restore it or draft the article again", code="draft.empty")])
    return DraftFile(path, rows[0], rows[1:], lines[1:])


def draft_files(root: Path, article_id: str) -> dict[str, DraftFile]:
    """The article's draft tables (not dates.csv or links.csv), in the order they are applied."""
    folder = _folder(root, article_id)
    return {name: read_file(folder / f"{name}.csv") for name in TABLE_ORDER if (folder / f"{name}.csv").is_file()}


def confidence(file: DraftFile, row: list[str]) -> float | None:
    """The row's confidence (0-1), or None when the draft has none (older drafts) or it is not a number."""
    try:
        return float(file.get(row, CONFIDENCE))
    except ValueError:
        return None


def set_review(root: Path, article_id: str, table: str, index: int, value: str) -> None:
    if value not in ("", "accept", "reject"):
        raise DraftError([Problem(f"drafts/{article_id}/{table}.csv", f"a decision is accept, reject or empty, not {value!r}", "", code="draft.review")])
    file = _row_file(root, article_id, table, index)
    file.rows[index][file.col(REVIEW)] = value
    file.save()


def edit_cell(root: Path, article_id: str, table: str, index: int, column: str, value: str) -> None:
    file = _row_file(root, article_id, table, index)
    if column not in file.header or column in (REVIEW, NOTE, CONFIDENCE):
        raise DraftError([Problem(file.path.name, f"no column {column!r} to edit", f"one of {', '.join(file.header[1:-1])}", code="draft.column")])
    file.rows[index][file.col(column)] = value
    file.save()


def _row_file(root: Path, article_id: str, table: str, index: int) -> DraftFile:
    file = draft_files(root, article_id).get(table)
    if file is None or not 0 <= index < len(file.rows):
        raise DraftError([Problem(f"drafts/{article_id}/{table}.csv", f"no draft row {index + 1}", "reload the drafts", code="draft.row")])
    return file


def decide_many(root: Path, article_id: str, value: str, which: str, threshold: float = DEFAULT_THRESHOLD) -> int:
    """Set every undecided row's review to `value`: `which` is `confident` (confidence at or above
    the threshold), `unconfident` (below it, or none) or `all`. Returns the number of rows decided."""
    decided = 0
    for file in draft_files(root, article_id).values():
        changed = False
        for row in file.rows:
            if row[file.col(REVIEW)].strip():
                continue
            score = confidence(file, row)
            sure = score is not None and score >= threshold
            if which == "all" or (which == "confident") == sure:
                row[file.col(REVIEW)] = value
                decided += 1
                changed = True
        if changed:
            file.save()
    return decided


# ---------------------------------------------------------------- links to known events

def read_link_file(folder: Path) -> DraftFile:
    path = folder / LINKS
    return read_file(path) if path.is_file() else DraftFile(path, list(LINK_COLUMNS), [])


def find_draft_event(root: Path, draft_event_id: str) -> str:
    """The article whose draft holds the event `draft_event_id`."""
    drafts = Path(root) / "drafts"
    for folder in sorted(p for p in drafts.iterdir() if p.is_dir() and not p.name.startswith(".")) if drafts.is_dir() else []:
        for name in ("events.csv", "event_sources.csv", LINKS):
            if (folder / name).is_file() and any(r.get("event_id") == draft_event_id or r.get("draft_event_id") == draft_event_id
                                                 for r in csv.DictReader((folder / name).open(encoding="utf-8", newline=""))):
                return folder.name
    raise DraftError([Problem("drafts", f"no drafted event {draft_event_id!r}", "give the event_id of a row in a draft's events.csv", code="draft.no-event")])


def link(package: Package, article_id: str, draft_event_id: str, event_id: str | None) -> int:
    """Confirm that a drafted event is the known event `event_id` (its other suggested links are
    refused, and its evidence rows still undecided are accepted: they now report that event), or,
    with None, refuse every suggested link (the drafted event is new). Returns the rows accepted."""
    root = package.root
    folder = _folder(root, article_id)
    if event_id is not None:
        known = {r["event_id"]: r for r in read_rows(root, "events")}
        if event_id not in known:
            raise DraftError([Problem(package.resource("events").path, f"no event {event_id!r}", "link to an event_id of data/events.csv", code="draft.link-unknown")])
    links = read_link_file(folder)
    found = False
    for row in links.rows:
        if links.get(row, "draft_event_id") != draft_event_id:
            continue
        confirm = event_id is not None and links.get(row, "event_id") == event_id
        row[links.col("decision")] = "confirm" if confirm else "refuse"
        found |= confirm
    if event_id is not None and not found:
        links.rows.append(["confirm", draft_event_id, event_id, "", "linked by the curator"])
    links.save()
    accepted = 0
    sources = folder / "event_sources.csv"
    if event_id is not None and sources.is_file():
        file = read_file(sources)
        for row in file.rows:
            if file.get(row, "event_id") == draft_event_id and not row[file.col(REVIEW)].strip():
                row[file.col(REVIEW)] = "accept"
                accepted += 1
        if accepted:
            file.save()
    return accepted


# ---------------------------------------------------------------- spans the assistant missed

def find_span(text: str, words: str) -> list[int]:
    return find_all(text, words) if words else []


def locate(package: Package, article_id: str, words: str, at: int | None = None) -> tuple[int, int]:
    """The offsets of `words` in the article's seed: refused when absent, or when they occur more
    than once and `at` (a char_start) does not say which, with every candidate listed."""
    text = seed_text(package, article_id)
    starts = find_span(text, words)
    where = f"seeds of {article_id}"
    if not starts:
        raise DraftError([Problem(where, f"{words!r} is not in the article's text", "copy the words exactly as the text has them (same quotation marks, apostrophes and spaces)", code="add.absent")])
    if at is not None:
        if at not in starts:
            raise DraftError([Problem(where, f"{words!r} does not start at {at}", "one of: " + ", ".join(map(str, starts)), code="add.absent")])
        return at, at + len(words)
    if len(starts) > 1:
        candidates = "; ".join(f"at {s}: ...{text[max(0, s - CONTEXT):s]}[{words}]{text[s + len(words):s + len(words) + CONTEXT]}...".replace("\n", " ") for s in starts)
        raise DraftError([Problem(where, f"{words!r} occurs {len(starts)} times", f"say which with --at CHAR_START: {candidates}", code="add.ambiguous")])
    return starts[0], starts[0] + len(words)


def seed_text(package: Package, article_id: str) -> str:
    article = next((r for r in read_rows(package.root, "articles") if r["article_id"] == article_id), None)
    seed = inside(package.root, article["seed_path"]) if article else None
    if seed is None:
        raise DraftError([Problem(package.resource("articles").path, f"no article {article_id!r}", "register it with `badia add-article`", code="add.no-article")])
    return read_seed(seed)


ADDED_NOTE = "added by the curator"


def add_row(package: Package, article_id: str, table: str, values: dict[str, str], review: str = "accept") -> int:
    """Append a row the curator made to drafts/<article_id>/<table>.csv (the file is created with
    the table's columns if the assistant drafted none); new ids are given to quotes and mentions.
    Returns the row's index in the file."""
    folder = _folder(package.root, article_id)
    fields = package.resource(table).field_names
    path = folder / f"{table}.csv"
    if path.is_file():
        file = read_file(path)
    else:
        file = DraftFile(path, [*LEADING, *fields, NOTE], [])
    key = {"quotes": ("quote_id", "q", 2), "mentions": ("mention_id", "m", 4)}.get(table)
    if key and not values.get(key[0]):
        ids = _Ids(package.root, article_id)
        for other in draft_files(package.root, article_id).values():
            if key[0] in other.header:
                ids.used |= {other.get(r, key[0]) for r in other.rows}
        values[key[0]] = ids.next(f"{key[1]}{ids.short}_", key[2])
    row = {REVIEW: review, NOTE: ADDED_NOTE, "article_id": article_id, **values}
    file.rows.append([str(row.get(column, "")) for column in file.header])
    file.save()
    return len(file.rows) - 1


def add_quote(package: Package, article_id: str, words: str, at: int | None = None, speaker: str = "", kind: str = "partial") -> str:
    """A quotation the assistant missed, found in the text by its exact words; returns its quote_id."""
    start, end = locate(package, article_id, words, at)
    kinds = {r["actor_id"]: r["actor_kind"] for r in read_rows(package.root, "actors")}
    resolution = "unknown" if not speaker else "named" if kinds.get(speaker) == "person" else "organisation"
    values = {"char_start": str(start), "char_end": str(end), "text": words, "kind": kind, "speaker_actor_id": speaker,
              "speaker_resolution": resolution}
    add_row(package, article_id, "quotes", values)
    return values["quote_id"]
