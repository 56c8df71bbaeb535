"""The catalogue of bad contributions: each case makes one kind of bad input in a copy of the
dataset, runs the real `badia validate` and checks that the answer is a non-zero exit and a
message that names the file, the line and column where they exist, and how to fix it, with no
Python traceback and no file written. CONTRIBUTING.md shows the same catalogue as a table, and
a test keeps the two in step.

Every expectation (which row, which line, which value) is derived from the committed data, so
the catalogue holds whatever the curated rows are.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from conftest import ROOT, copy_dataset, edit_cell, read_table, run_badia

MAX_CSV_BYTES = 512 * 1024 * 1024  # the documented limit (README/CONTRIBUTING); read independently of the code


@dataclass(frozen=True)
class Where:
    """Where the message must point: a file, and its line and column when the fault has them.
    `line` may list several lines when either is a right answer (the two ends of a loop)."""

    path: str
    line: int | tuple[int, ...] | None = None
    col: int | None = None


@dataclass(frozen=True)
class Case:
    id: str
    bad_input: str
    make: Callable[[Path], Where]
    expect: str  # words the located message must contain (also shown in CONTRIBUTING.md)
    exit: int = 1


# --- reading and editing the copy, independently of the code under test -------------------------

def data_path(root: Path, name: str) -> Path:
    return root / "data" / f"{name}.csv"




def first(root: Path, name: str, predicate: Callable[[dict], bool] = lambda row: True) -> int:
    rows = read_table(root, name)[1]
    return next(i for i, row in enumerate(rows) if predicate(row))


def cell(root: Path, name: str, row: int, column: str, value: str) -> Where:
    """Set one cell and return where it is."""
    header, _, lines = read_table(root, name)
    edit_cell(data_path(root, name), row, column, value)
    return Where(f"data/{name}.csv", lines[row], header.index(column) + 1)


def rewrite(root: Path, name: str, change: Callable[[list[list[str]]], list[list[str]]]) -> None:
    """Rewrite a table's records (header included) through `change`, the way the data is kept."""
    path = data_path(root, name)
    with path.open(encoding="utf-8", newline="") as fh:
        records = list(csv.reader(fh))
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(change(records))


def raw_line(root: Path, name: str, line: int, change: Callable[[str], str]) -> None:
    path = data_path(root, name)
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[line - 1] = change(lines[line - 1])
    path.write_text("\n".join(lines), encoding="utf-8")


def simple_line(root: Path, name: str) -> int:
    """A data line of `name` that holds one whole record with no quotes (for raw edits)."""
    text = data_path(root, name).read_text(encoding="utf-8").split("\n")
    _, rows, lines = read_table(root, name)
    return next(line for row, line in zip(rows, lines) if '"' not in text[line - 1] and text[line - 1].count(",") == len(row) - 1)


def seed_text(root: Path, article_id: str) -> str:
    article = next(a for a in read_table(root, "articles")[1] if a["article_id"] == article_id)
    return (root / article["seed_path"]).read_bytes().decode("utf-8")


def day(value: str, delta: int = 0) -> str:
    return (dt.date.fromisoformat(value) + dt.timedelta(days=delta)).isoformat()


def schema_file(root: Path, name: str) -> Path:
    return root / "schemas" / f"{name}.schema.json"


def edit_json(path: Path, change: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def json_line(path: Path, needle: str) -> int:
    text = path.read_text(encoding="utf-8")
    return text[: text.index(needle)].count("\n") + 1


# --- broken CSV -----------------------------------------------------------------------------------

def unclosed_quote(root):
    line = simple_line(root, "event_actors")
    raw_line(root, "event_actors", line, lambda s: s.replace(",", ',"', 1))
    return Where("data/event_actors.csv", line)


def unclosed_quote_in_a_long_file(root):
    """The same mistake with more than the csv module's default field limit (131,072 characters)
    after it: still reported as an unclosed quote, where it opens (frictionless, loaded with
    pandera, raises that limit for the whole process)."""
    line = simple_line(root, "mentions")
    path = data_path(root, "mentions")
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    padding = (lines[line - 1] + "\n") * (140_000 // len(lines[line - 1]) + 1)
    lines[line - 1] = lines[line - 1].replace(",", ',"', 1)
    path.write_text("\n".join(lines) + padding, encoding="utf-8")
    return Where("data/mentions.csv", line)


def text_after_closing_quote(root):
    line = simple_line(root, "event_actors")
    raw_line(root, "event_actors", line, lambda s: '"' + s.replace(",", '"x,', 1))
    return Where("data/event_actors.csv", line)


def row_missing_a_field(root):
    line = simple_line(root, "event_actors")
    raw_line(root, "event_actors", line, lambda s: s.rsplit(",", 1)[0])
    return Where("data/event_actors.csv", line)


def row_with_extra_field(root):
    line = simple_line(root, "event_actors")
    raw_line(root, "event_actors", line, lambda s: s + ",extra")
    return Where("data/event_actors.csv", line)


def header_column_missing(root):
    header = read_table(root, "events")[0]
    i = header.index("fatalities")
    rewrite(root, "events", lambda records: [r[:i] + r[i + 1:] for r in records])
    return Where("data/events.csv", 1, i + 1)


def header_column_extra(root):
    header = read_table(root, "events")[0]
    rewrite(root, "events", lambda records: [r + (["source_url"] if n == 0 else [""]) for n, r in enumerate(records)])
    return Where("data/events.csv", 1, len(header) + 1)


def header_column_renamed(root):
    header = read_table(root, "events")[0]
    rewrite(root, "events", lambda records: [["sumary" if (n == 0 and c == "summary") else c for c in r] for n, r in enumerate(records)])
    return Where("data/events.csv", 1, header.index("summary") + 1)


def header_column_spaces(root):
    header = read_table(root, "events")[0]
    rewrite(root, "events", lambda records: [[" summary" if (n == 0 and c == "summary") else c for c in r] for n, r in enumerate(records)])
    return Where("data/events.csv", 1, header.index("summary") + 1)


def header_column_twice(root):
    header = read_table(root, "events")[0]
    i = header.index("summary")
    rewrite(root, "events", lambda records: [r[: i + 1] + r[i:] for r in records])
    return Where("data/events.csv", 1, i + 2)


def header_columns_swapped(root):
    rewrite(root, "event_actors", lambda records: [[r[1], r[0], *r[2:]] for r in records])
    return Where("data/event_actors.csv", 1)


def byte_order_mark(root):
    path = data_path(root, "actors")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    return Where("data/actors.csv", 1, 1)


def windows_line_endings(root):
    path = data_path(root, "actors")
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    return Where("data/actors.csv", 1)


def latin1_bytes(root):
    """One character of a description saved as Latin-1 (é as the single byte 0xe9)."""
    _, rows, lines = read_table(root, "actors")
    i = first(root, "actors", lambda r: r["description"] != "" and '"' not in r["description"])
    path = data_path(root, "actors")
    text = path.read_text(encoding="utf-8").split("\n")
    line = text[lines[i] - 1]
    col = line.index(rows[i]["description"]) + 1
    encoded = [t.encode("utf-8") for t in text]
    encoded[lines[i] - 1] = line[: col - 1].encode("utf-8") + b"\xe9" + line[col - 1:].encode("utf-8")
    path.write_bytes(b"\n".join(encoded))
    return Where("data/actors.csv", lines[i], col)


def nul_byte(root):
    line = simple_line(root, "event_actors")
    path = data_path(root, "event_actors")
    lines = path.read_bytes().split(b"\n")
    lines[line - 1] = lines[line - 1][:3] + b"\x00" + lines[line - 1][3:]
    path.write_bytes(b"\n".join(lines))
    return Where("data/event_actors.csv", line, 4)


def empty_file(root):
    data_path(root, "claims").write_bytes(b"")
    return Where("data/claims.csv", 1)


def blank_line(root):
    line = simple_line(root, "event_actors")
    raw_line(root, "event_actors", line, lambda s: "\n" + s)
    return Where("data/event_actors.csv", line)


def huge_file(root):
    # A sparse file: over the limit by one byte without using the disk; it must not be read.
    with data_path(root, "mentions").open("r+b") as fh:
        fh.truncate(MAX_CSV_BYTES + 1)
    return Where("data/mentions.csv")


def data_file_missing(root):
    data_path(root, "claims").unlink()
    return Where("data/claims.csv")


# --- types and constraints ----------------------------------------------------------------------

def integer_with_words(root):
    return cell(root, "events", 0, "fatalities", "about 20")


def number_with_comma(root):
    return cell(root, "places", first(root, "places", lambda r: r["latitude"] != ""), "latitude", "33,5058")


def impossible_date(root):
    return cell(root, "events", 0, "date_start", "2017-02-30")


def date_year_zero(root):
    return cell(root, "events", 0, "date_start", "0000-05-22")


def date_not_iso(root):
    return cell(root, "events", 0, "date_end", "22/05/2017")


def boolean_as_yes(root):
    return cell(root, "articles", 0, "published_date_inferred", "yes")


def value_outside_enum(root):
    return cell(root, "events", 0, "event_type", "Battels")


def required_cell_empty(root):
    return cell(root, "events", 0, "summary", "")


def malformed_id(root):
    return cell(root, "quotes", 0, "quote_id", "Quote 1")


def number_out_of_range(root):
    return cell(root, "actors", first(root, "actors", lambda r: r["acled_inter"] != ""), "acled_inter", "9")


def acled_pair(root):
    i = first(root, "events", lambda r: r["event_type"] != "Battles")
    return cell(root, "events", i, "sub_event_type", "Armed clash")


def duplicate_primary_key(root):
    _, rows, lines = read_table(root, "event_actors")
    rewrite(root, "event_actors", lambda records: records + [records[1]])
    return Where("data/event_actors.csv", lines[-1] + 1, 1)


def duplicate_id(root):
    _, rows, lines = read_table(root, "quotes")
    return cell(root, "quotes", 1, "quote_id", rows[0]["quote_id"])


def dangling_foreign_key(root):
    actor = read_table(root, "event_actors")[1][0]["actor_id"]
    return cell(root, "event_actors", 0, "actor_id", actor + "x")


def parent_loop(root):
    _, rows, lines = read_table(root, "actors")
    child = first(root, "actors", lambda r: r["parent_actor_id"] != "")
    parent = next(i for i, r in enumerate(rows) if r["actor_id"] == rows[child]["parent_actor_id"])
    where = cell(root, "actors", parent, "parent_actor_id", rows[child]["actor_id"])
    return Where(where.path, (lines[child], lines[parent]), where.col)


# --- provenance -------------------------------------------------------------------------------------

def offsets_out_of_range(root):
    q = read_table(root, "quotes")[1][0]
    return cell(root, "quotes", 0, "char_end", str(len(seed_text(root, q["article_id"])) + 10))


def offsets_reversed(root):
    q = read_table(root, "quotes")[1][0]
    cell(root, "quotes", 0, "char_start", q["char_end"])
    return cell(root, "quotes", 0, "char_end", q["char_start"])


def span_text_elsewhere(root):
    q = read_table(root, "quotes")[1][0]
    cell(root, "quotes", 0, "char_start", str(int(q["char_start"]) + 1))
    cell(root, "quotes", 0, "char_end", str(int(q["char_end"]) + 1))
    return Where("data/quotes.csv", read_table(root, "quotes")[2][0], read_table(root, "quotes")[0].index("text") + 1)


def span_text_not_in_seed(root):
    return cell(root, "quotes", 0, "text", "words that no article contains")


def seed_edited(root):
    i = 0
    article = read_table(root, "articles")[1][i]
    with (root / article["seed_path"]).open("ab") as fh:
        fh.write(b"\nA sentence added later.\n")
    header, _, lines = read_table(root, "articles")
    return Where("data/articles.csv", lines[i], header.index("sha256") + 1)


def seed_missing(root):
    header, rows, lines = read_table(root, "articles")
    (root / rows[-1]["seed_path"]).unlink()
    return Where("data/articles.csv", lines[-1], header.index("seed_path") + 1)


def seed_is_a_folder(root):
    header, rows, lines = read_table(root, "articles")
    seed = root / rows[-1]["seed_path"]
    seed.unlink()
    seed.mkdir()
    return Where("data/articles.csv", lines[-1], header.index("seed_path") + 1)


def seed_unregistered(root):
    shutil.copy(root / read_table(root, "articles")[1][0]["seed_path"], root / "seeds" / "999_new_article.txt")
    return Where("seeds/999_new_article.txt")


def seed_path_escapes(root):
    return cell(root, "articles", 0, "seed_path", "seeds/../../../etc/passwd")


# --- dates --------------------------------------------------------------------------------------------

def date_end_before_start(root):
    e = read_table(root, "events")[1][0]
    return cell(root, "events", 0, "date_end", day(e["date_start"], -1))


def event_after_its_reports(root):
    articles = {a["article_id"]: a["published_date"] for a in read_table(root, "articles")[1]}
    e = read_table(root, "events")[1][0]
    latest = max(articles[s["article_id"]] for s in read_table(root, "event_sources")[1] if s["event_id"] == e["event_id"])
    cell(root, "events", 0, "date_start", day(latest, 1))
    cell(root, "events", 0, "date_precision", "1")
    return cell(root, "events", 0, "date_end", day(latest, 1))


def quote_after_article(root):
    articles = {a["article_id"]: a["published_date"] for a in read_table(root, "articles")[1]}
    q = read_table(root, "quotes")[1][0]
    return cell(root, "quotes", 0, "said_date", day(articles[q["article_id"]], 1))


def precision_contradicts_range(root):
    e = read_table(root, "events")[1][0]
    cell(root, "events", 0, "date_end", e["date_start"])
    return cell(root, "events", 0, "date_precision", "4")


# --- places -----------------------------------------------------------------------------------------

def latitude_out_of_range(root):
    return cell(root, "places", first(root, "places", lambda r: r["latitude"] != ""), "latitude", "133.5")


def point_outside_country(root):
    """Latitude and longitude swapped: a point in Syria moves to somewhere else."""
    i = first(root, "places", lambda r: r["latitude"] != "" and r["country_iso2"] == "SY")
    p = read_table(root, "places")[1][i]
    cell(root, "places", i, "longitude", p["latitude"])
    return cell(root, "places", i, "latitude", p["longitude"])


def precision_without_coordinates(root):
    i = first(root, "places", lambda r: r["latitude"] != "")
    cell(root, "places", i, "latitude", "")
    cell(root, "places", i, "longitude", "")
    return cell(root, "places", i, "geo_precision", "1")


def half_coordinates(root):
    return cell(root, "places", first(root, "places", lambda r: r["latitude"] != ""), "longitude", "")


def coordinates_without_source(root):
    return cell(root, "places", first(root, "places", lambda r: r["latitude"] != ""), "coord_source", "")


# --- semantics --------------------------------------------------------------------------------------

def quote_without_speaker(root):
    return cell(root, "quotes", first(root, "quotes", lambda r: r["speaker_actor_id"] != "" and r["speaker_resolution"] != "unknown"), "speaker_actor_id", "")


def unknown_speaker_unexplained(root):
    i = first(root, "quotes", lambda r: r["speaker_actor_id"] != "")
    cell(root, "quotes", i, "speaker_actor_id", "")
    cell(root, "quotes", i, "speaker_resolution", "unknown")
    return cell(root, "quotes", i, "note", "")


def event_without_source(root):
    header, rows, lines = read_table(root, "events")
    event = rows[0]["event_id"]
    rewrite(root, "event_sources", lambda records: [r for r in records if r[0] != event])
    return Where("data/events.csv", lines[0], 1)


def event_without_actor(root):
    header, rows, lines = read_table(root, "events")
    event = rows[0]["event_id"]
    rewrite(root, "event_actors", lambda records: [r for r in records if r[0] != event])
    return Where("data/events.csv", lines[0], 1)


def mention_of_both_kinds(root):
    i = first(root, "mentions", lambda r: r["entity_kind"] == "actor")
    place = read_table(root, "places")[1][0]["place_id"]
    header, _, lines = read_table(root, "mentions")
    cell(root, "mentions", i, "place_id", place)
    return Where("data/mentions.csv", lines[i], header.index("actor_id") + 1)


def write_draft(root: Path, reviews: list[str], confidence: str = "0.90") -> tuple[str, list[int]]:
    """drafts/<article>/quotes.csv in the shared draft format (review, the table's columns,
    draft_note), one row per review; returns its path and the line of each row."""
    header, rows, _ = read_table(root, "quotes")
    folder = root / "drafts" / rows[0]["article_id"]
    folder.mkdir(parents=True)
    path = folder / "quotes.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["review", "confidence", *header, "draft_note"])
        for review, row in zip(reviews, rows):
            writer.writerow([review, confidence, *row.values(), "rule: quotation marks"])
    (folder / "dates.csv").write_text("expression,date_start,date_end\non Sunday,2017-05-21,2017-05-21\n", encoding="utf-8")  # a note, not a table
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        lines, start = [], reader.line_num + 1
        for _ in reader:
            lines.append(start)
            start = reader.line_num + 1
    return str(path.relative_to(root)), lines


def draft_unreviewed(root):
    path, lines = write_draft(root, ["accept", ""])
    return Where(path, lines[1], 1)


def draft_review_misspelt(root):
    path, lines = write_draft(root, ["Accepted"])
    return Where(path, lines[0], 1)


def draft_confidence_not_a_fraction(root):
    path, lines = write_draft(root, ["accept"], confidence="high")
    return Where(path, lines[0], 2)


def draft_not_applied(root):
    path, _ = write_draft(root, ["accept", "reject"])
    return Where(str(Path(path).parent))


def formula_in_free_text(root):
    return cell(root, "events", 0, "summary", '=HYPERLINK("http://example.invalid","click")')


# --- coding rules (the classes of miscoding found in the 0.1.0 audit) -------------------------------

def roles(root: Path) -> list[dict]:
    return read_table(root, "event_actors")[1]


def second_actor2(root):
    """An event holding two opponents as two actor2s: ACLED codes one actor pair per row."""
    links = roles(root)
    i = first(root, "event_actors", lambda r: r["role"] == "assoc_actor_2")
    event = links[i]["event_id"]
    assert any(r["event_id"] == event and r["role"] == "actor2" for r in links)
    return cell(root, "event_actors", i, "role", "actor2")


def actor_without_inter(root):
    used = {r["actor_id"] for r in roles(root) if r["role"] in ("actor1", "actor2")}
    i = first(root, "actors", lambda r: r["actor_id"] in used)
    return cell(root, "actors", i, "acled_inter", "")


def battle_without_opponent(root):
    with_actor2 = {r["event_id"] for r in roles(root) if r["role"] == "actor2"}
    i = first(root, "events", lambda r: r["event_type"] == "Strategic developments" and r["event_id"] not in with_actor2)
    cell(root, "events", i, "sub_event_type", "Government regains territory")
    return cell(root, "events", i, "event_type", "Battles")


def parent_inverted(root):
    """A national command made the child of the multinational coalition it runs."""
    _, rows, _ = read_table(root, "actors")
    i = first(root, "actors", lambda r: r["actor_kind"] == "armed_force" and r["parent_actor_id"] != "")
    coalition = next(r["actor_id"] for r in rows if r["actor_kind"] == "coalition" and r["parent_actor_id"] != rows[i]["actor_id"])
    return cell(root, "actors", i, "parent_actor_id", coalition)


def statement_as_event(root):
    """A warning coded as an event: an 'Other' development whose only source is an attribution."""
    articles = {a["article_id"] for a in read_table(root, "articles")[1]}
    q = next(q for q in read_table(root, "quotes")[1] if q["attribution"] and q["article_id"] in articles)
    text = seed_text(root, q["article_id"])
    start = text.index(q["attribution"])
    e = read_table(root, "events")[1][0]
    i = first(root, "events", lambda r: r["event_id"] == e["event_id"])
    cell(root, "events", i, "event_type", "Strategic developments")
    where = cell(root, "events", i, "sub_event_type", "Other")
    rewrite(root, "event_sources", lambda records: [records[0]] + [r for r in records[1:] if r[0] != e["event_id"]]
            + [[e["event_id"], q["article_id"], str(start), str(start + len(q["attribution"])), q["attribution"], "", ""]])
    header, _, lines = read_table(root, "events")
    return Where("data/events.csv", lines[i], 1)


def caption_as_event(root):
    """An event whose only source is a photo caption (a line ending with its credit)."""
    articles = read_table(root, "articles")[1]
    for article in articles:
        text = seed_text(root, article["article_id"])
        found = re.search(r"^.*Photo courtesy.*$", text, re.M | re.I)
        if found:
            break
    e = read_table(root, "events")[1][0]
    rewrite(root, "event_sources", lambda records: [records[0]] + [r for r in records[1:] if r[0] != e["event_id"]]
            + [[e["event_id"], article["article_id"], str(found.start()), str(found.end()), found.group(0), "", ""]])
    return Where("data/events.csv", read_table(root, "events")[2][0], 1)


def summary_overstates(root):
    """'struck' in the source, 'destroyed' in the summary."""
    evidence = {}
    for s in read_table(root, "event_sources")[1]:
        evidence[s["event_id"]] = evidence.get(s["event_id"], "") + s["evidence"]
    i = first(root, "events", lambda r: "destr" not in evidence.get(r["event_id"], "").lower())
    e = read_table(root, "events")[1][i]
    return cell(root, "events", i, "summary", e["summary"].rstrip(".") + ", destroying a tank.")


def this_week_before_monday(root):
    """An event dated by 'this week' that starts in the week before the article's."""
    articles = {a["article_id"]: a["published_date"] for a in read_table(root, "articles")[1]}
    s = next(s for s in read_table(root, "event_sources")[1] if s["date_expression"].lower() == "this week")
    monday = dt.date.fromisoformat(articles[s["article_id"]])
    monday -= dt.timedelta(days=monday.weekday())
    i = first(root, "events", lambda r: r["event_id"] == s["event_id"])
    return cell(root, "events", i, "date_start", day(monday.isoformat(), -6))


def inferred_year_exact(root):
    """A day and month without a year ('on March 22', the year inferred) at precision 1."""
    sources = read_table(root, "event_sources")[1]
    event = next(r["event_id"] for r in sources if r["date_expression"] != "")
    for j, r in enumerate(sources):
        if r["event_id"] == event and r["date_expression"] != "":
            cell(root, "event_sources", j, "date_rule", "day and month in the text; year 2017 inferred from the article")
    k = first(root, "events", lambda r: r["event_id"] == event)
    cell(root, "events", k, "date_end", read_table(root, "events")[1][k]["date_start"])
    return cell(root, "events", k, "date_precision", "1")


def counted_events_uncoded(root):
    """The article counts three strikes; one of those coded from the count is deleted."""
    c = next(c for c in read_table(root, "claims")[1] if c["property"] == "count" and c["unit"] == "strikes")
    at_span = [s for s in read_table(root, "event_sources")[1] if s["article_id"] == c["article_id"] and s["char_start"] == c["char_start"] and s["char_end"] == c["char_end"]]
    assert at_span
    gone = at_span[0]["event_id"]
    for name in ("event_sources", "event_actors"):
        rewrite(root, name, lambda records: [r for r in records if r[0] != gone])
    rewrite(root, "events", lambda records: [r for r in records if r[0] != gone])
    i = first(root, "claims", lambda r: r["claim_id"] == c["claim_id"])
    header, _, lines = read_table(root, "claims")
    return Where("data/claims.csv", lines[i], header.index("value") + 1)


def conflict_one_sided(root):
    i = first(root, "claims", lambda r: "CONFLICTS with" in r["note"])
    other = re.search(r"CONFLICTS with (c\w+)", read_table(root, "claims")[1][i]["note"])[1]
    j = first(root, "claims", lambda r: r["claim_id"] == other)
    cell(root, "claims", j, "note", "")
    header, _, lines = read_table(root, "claims")
    return Where("data/claims.csv", lines[i], header.index("note") + 1)


def retired_id_reused(root):
    r = read_table(root, "retired_rows")[1][0]
    events = read_table(root, "events")[1]
    rewrite(root, "events", lambda records: records + [[r["id"], *records[1][1:]]])
    rewrite(root, "event_sources", lambda records: records + [[r["id"], *records[1][1:]]])
    rewrite(root, "event_actors", lambda records: records + [[r["id"], *records[1][1:]]])
    return Where("data/retired_rows.csv", read_table(root, "retired_rows")[2][0], 2)


def retired_replacement_missing(root):
    i = first(root, "retired_rows", lambda r: r["replaced_by"] != "")
    return cell(root, "retired_rows", i, "replaced_by", "ev_20170101_never_coded")


# --- the package and its schemas --------------------------------------------------------------------

def datapackage_invalid_json(root):
    path = root / "datapackage.json"
    text = path.read_text(encoding="utf-8")
    cut = text.index('"resources"')
    path.write_text(text[:cut] + text[cut:].replace(",", "", 1), encoding="utf-8")
    return Where("datapackage.json", text[:cut].count("\n") + 1 + text[cut:].split(",", 1)[0].count("\n") + 1)


def schema_invalid_json(root):
    path = schema_file(root, "events")
    path.write_text(path.read_text(encoding="utf-8").rstrip().rstrip("}"), encoding="utf-8")
    return Where("schemas/events.schema.json")


def unknown_field_type(root):
    path = schema_file(root, "events")
    edit_json(path, lambda s: s["fields"][1].update(type="text"))
    return Where("schemas/events.schema.json", json_line(path, '"type": "text"'))


def unsupported_field_type(root):
    path = schema_file(root, "events")
    edit_json(path, lambda s: s["fields"][1].update(type="datetime"))
    return Where("schemas/events.schema.json", json_line(path, '"type": "datetime"'))


def schema_field_not_in_csv(root):
    path = schema_file(root, "events")
    edit_json(path, lambda s: s["fields"].append({"name": "source_url", "type": "string", "description": "Link."}))
    return Where("data/events.csv", 1, len(read_table(root, "events")[0]) + 1)


def schema_bad_pattern(root):
    path = schema_file(root, "events")
    edit_json(path, lambda s: s["fields"][0]["constraints"].update(pattern="[a-z0-9"))
    return Where("schemas/events.schema.json", json_line(path, '"pattern": "[a-z0-9"'))


def schema_foreign_key_to_nowhere(root):
    edit_json(schema_file(root, "events"), lambda s: s["foreignKeys"][0]["reference"].update(resource="placez"))
    return Where("schemas/events.schema.json", json_line(schema_file(root, "events"), '"resource": "placez"'))


def schema_composite_foreign_key(root):
    def two_columns(schema):
        schema["foreignKeys"][0]["fields"].append("event_id")
        schema["foreignKeys"][0]["reference"]["fields"].append("name")
    edit_json(schema_file(root, "events"), two_columns)
    return Where("schemas/events.schema.json", json_line(schema_file(root, "events"), '"reference"'))


def datapackage_missing(root):
    (root / "datapackage.json").unlink()
    return Where("datapackage.json")


def resource_outside_dataset(root):
    edit_json(root / "datapackage.json", lambda d: d["resources"][0].update(path="../outside.csv"))
    return Where("datapackage.json", json_line(root / "datapackage.json", '"path": "../outside.csv"'))


CASES = [
    Case("csv-unclosed-quote", "a quoted value that is never closed", unclosed_quote, "is never closed"),
    Case("csv-unclosed-quote-long-file", "a quoted value never closed, in a long file", unclosed_quote_in_a_long_file, "is never closed"),
    Case("csv-text-after-quote", "text after the closing quote of a value (`\"a\"b`)", text_after_closing_quote, "text follows the closing quote"),
    Case("csv-row-missing-field", "a row with a field missing", row_missing_a_field, "row has 2 fields but the header has 3"),
    Case("csv-row-extra-field", "a row with an extra field", row_with_extra_field, "row has 4 fields but the header has 3"),
    Case("csv-header-missing-column", "a column missing from the file", header_column_missing, "is missing from the header"),
    Case("csv-header-extra-column", "a column the schema does not have", header_column_extra, "is in the header but not in schemas/events.schema.json"),
    Case("csv-header-renamed-column", "a renamed (misspelt) column", header_column_renamed, "rename it to 'summary'"),
    Case("csv-header-spaces", "spaces around a column name", header_column_spaces, "remove the spaces around the column name"),
    Case("csv-header-duplicate", "a column twice in the header", header_column_twice, "appears twice in the header"),
    Case("csv-header-order", "columns in another order than the schema", header_columns_swapped, "columns are in the wrong order"),
    Case("csv-bom", "a byte-order mark (\"UTF-8 with BOM\")", byte_order_mark, "byte-order mark"),
    Case("csv-crlf", "Windows (CRLF) line endings", windows_line_endings, "line endings"),
    Case("csv-not-utf8", "bytes that are not UTF-8 (a Latin-1 export)", latin1_bytes, "not valid UTF-8"),
    Case("csv-nul", "a NUL byte", nul_byte, "NUL byte"),
    Case("csv-empty", "an empty file", empty_file, "file is empty"),
    Case("csv-blank-line", "a blank line between rows", blank_line, "blank line"),
    Case("csv-too-large", "a file over the size limit (512 MiB)", huge_file, "over the limit of 536,870,912 bytes"),
    Case("csv-missing-file", "a table's CSV file deleted", data_file_missing, "file not found"),
    Case("type-integer", "words in an integer column", integer_with_words, "is not a valid integer"),
    Case("type-number", "a decimal comma in a number", number_with_comma, "is not a valid number"),
    Case("type-impossible-date", "an impossible date (30 February)", impossible_date, "is not a valid date"),
    Case("type-year-zero", "a date in year 0 (no calendar has it)", date_year_zero, "is not a valid date"),
    Case("type-date-format", "a date not written YYYY-MM-DD", date_not_iso, "is not a valid date"),
    Case("type-boolean", "yes/no in a true/false column", boolean_as_yes, "is not a valid boolean"),
    Case("enum", "a value outside the allowed list", value_outside_enum, "is not one of the allowed values"),
    Case("required", "a required cell left empty", required_cell_empty, "is required but empty"),
    Case("id-malformed", "an id with capitals or spaces", malformed_id, "does not match the pattern"),
    Case("range", "a code outside its range (ACLED inter 9)", number_out_of_range, "is out of range"),
    Case("acled-pair", "an ACLED sub-event type of another event type", acled_pair, "does not belong to event_type"),
    Case("primary-key-duplicate-row", "the same row twice (composite primary key)", duplicate_primary_key, "duplicate primary key"),
    Case("primary-key-duplicate-id", "two rows with the same id", duplicate_id, "duplicate primary key"),
    Case("foreign-key", "an id that does not exist in the table it refers to", dangling_foreign_key, "did you mean"),
    Case("actor-parent-loop", "an actor whose parent chain loops", parent_loop, "parent_actor_id forms a loop"),
    Case("span-out-of-range", "offsets beyond the end of the seed", offsets_out_of_range, "are out of range"),
    Case("span-reversed", "char_end before char_start", offsets_reversed, "char_end must be greater than char_start"),
    Case("span-mismatch", "offsets that do not point at the text (text elsewhere in the seed)", span_text_elsewhere, "badia fix-offsets --write"),
    Case("span-not-in-seed", "span text that the seed does not contain", span_text_not_in_seed, "does not occur in the seed"),
    Case("seed-edited", "a seed file edited after registration", seed_edited, "has changed since it was registered"),
    Case("seed-missing", "a registered seed file missing", seed_missing, "is missing"),
    Case("seed-is-folder", "a folder where a seed file should be", seed_is_a_folder, "is a folder, not a file"),
    Case("seed-unregistered", "a seed file not registered in articles.csv", seed_unregistered, "is not registered"),
    Case("seed-path-escapes", "a seed path that leaves the repository", seed_path_escapes, "must name a file directly inside seeds/"),
    Case("date-order", "date_end before date_start", date_end_before_start, "is before date_start"),
    Case("date-after-report", "an event dated after every article that reports it", event_after_its_reports, "after the publication of every article"),
    Case("date-quote-after-article", "a quote said after its article was published", quote_after_article, "after the article was published"),
    Case("date-precision", "a date precision that contradicts the date range", precision_contradicts_range, "contradicts the range"),
    Case("place-latitude-range", "a latitude outside -90..90", latitude_out_of_range, "is out of range"),
    Case("place-outside-country", "coordinates outside the stated country (latitude and longitude swapped)", point_outside_country, "not in SY"),
    Case("place-precision-without-coordinates", "a geo_precision without coordinates", precision_without_coordinates, "has no coordinates"),
    Case("place-half-coordinates", "a latitude without a longitude", half_coordinates, "is empty while the other coordinate is given"),
    Case("place-no-coord-source", "coordinates without their source", coordinates_without_source, "coordinates without coord_source"),
    Case("quote-no-speaker", "a quote without a speaker", quote_without_speaker, "quote has no speaker"),
    Case("quote-unknown-speaker", "an unknown speaker without a reason", unknown_speaker_unexplained, "note does not say why"),
    Case("event-no-source", "an event without a source", event_without_source, "has no source"),
    Case("event-no-actor", "an event without an actor", event_without_actor, "has no actor"),
    Case("mention-kind", "a mention of an actor that also names a place", mention_of_both_kinds, "needs actor_id and no place_id"),
    Case("draft-unreviewed", "a draft row left unreviewed", draft_unreviewed, "draft row left unreviewed"),
    Case("draft-review-value", "a draft review other than accept/reject", draft_review_misspelt, "review must be empty, 'accept' or 'reject'"),
    Case("draft-confidence", "a draft confidence that is not a decimal from 0 to 1", draft_confidence_not_a_fraction, "confidence must be a decimal from 0 to 1"),
    Case("draft-not-applied", "a reviewed draft not applied to data/", draft_not_applied, "reviewed draft not yet applied"),
    Case("formula-injection", "a free-text cell starting with = + - @", formula_in_free_text, "spreadsheets run as a formula"),
    Case("acled-one-pair", "an event with two actor2s (two opponents in one row)", second_actor2, "ACLED codes one actor pair per event"),
    Case("acled-inter-missing", "an actor1/actor2 with no ACLED inter code", actor_without_inter, "has no acled_inter"),
    Case("acled-battle-no-opponent", "a battle with no actor2 (a capture with no opponent)", battle_without_opponent, "is a battle with no actor2"),
    Case("actor-parent-kind", "an organisational parent the wrong way round (a command under its coalition)", parent_inverted, "has the parent"),
    Case("event-statement", "a statement, warning or announcement coded as an event", statement_as_event, "is only someone's statement"),
    Case("event-caption-only", "an event whose only evidence is a photo caption", caption_as_event, "is reported only by a photo caption"),
    Case("event-overstated", "a summary that says more than its source (\"destroying\" for \"struck\")", summary_overstates, "but no evidence span of the event says so"),
    Case("date-expression-window", "\"this week\" dated outside the article's week", this_week_before_monday, "'this week' in"),
    Case("date-inferred-exact", "an inferred year at date precision 1", inferred_year_exact, "every source's date is inferred"),
    Case("claim-count-uncoded", "events the article counts but that are not coded", counted_events_uncoded, "only 2 event(s) have evidence at this span"),
    Case("claim-conflict-unpaired", "a conflict between two claims recorded on one side only", conflict_one_sided, "whose note does not say it conflicts with"),
    Case("retired-id-reused", "a retired id used again in its table", retired_id_reused, "is retired but is still (or again) in"),
    Case("retired-replacement-missing", "a retired row replaced by an id that does not exist", retired_replacement_missing, "which is not in data/events.csv"),
    Case("package-invalid-json", "datapackage.json that is not valid JSON", datapackage_invalid_json, "invalid JSON", exit=2),
    Case("package-missing", "datapackage.json deleted", datapackage_missing, "file not found", exit=2),
    Case("package-path-outside", "a resource path outside the dataset", resource_outside_dataset, "is outside the dataset", exit=2),
    Case("schema-invalid-json", "a Table Schema that is not valid JSON", schema_invalid_json, "invalid JSON", exit=2),
    Case("schema-unknown-type", "an unknown field type in a schema", unknown_field_type, "unknown field type 'text'", exit=2),
    Case("schema-unsupported-type", "a field type badia does not handle", unsupported_field_type, "has unknown type 'datetime'", exit=2),
    Case("schema-bad-pattern", "a pattern that is not a regular expression", schema_bad_pattern, "not a valid regular expression", exit=2),
    Case("schema-foreign-key", "a foreign key to a table that does not exist", schema_foreign_key_to_nowhere, "which is not in datapackage.json", exit=2),
    Case("schema-composite-foreign-key", "a foreign key of two columns", schema_composite_foreign_key, "has more than one column: badia checks foreign keys of one column", exit=2),
    Case("schema-csv-out-of-step", "a field added to a schema but not to its CSV", schema_field_not_in_csv, "is missing from the header"),
]


# --- running the cases: each in its own copy, all of them at once over the machine's cores ----------

@dataclass
class Outcome:
    where: Where | None
    returncode: int
    output: str
    written: list[str]
    error: BaseException | None = None


def tree_state(root: Path) -> dict[str, tuple[int, int, str]]:
    """Size, mtime and sha256 of every file: validate must leave them all as they were."""
    state = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            st = path.stat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if st.st_size < MAX_CSV_BYTES else "large"
            state[str(path.relative_to(root))] = (st.st_size, st.st_mtime_ns, digest)
    return state


def run_case(case: Case, root: Path) -> Outcome:
    try:
        copy_dataset(root)
        where = case.make(root)
    except BaseException as error:  # a broken case is reported by its own test
        return Outcome(None, -1, "", [], error)
    before = tree_state(root)
    result = run_badia("validate", root=root)
    after = tree_state(root)
    written = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    return Outcome(where, result.returncode, result.stdout + result.stderr, written)


@pytest.fixture(scope="module")
def outcomes(request, tmp_path_factory) -> dict[str, Outcome]:
    """The outcome of every selected case, each a run of the CLI (in this process, in threads)."""
    selected = {item.callspec.params["case"].id: item.callspec.params["case"] for item in request.session.items
                if item.originalname == "test_bad_input_is_refused_with_a_located_message"}
    base = tmp_path_factory.mktemp("catalogue")
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {cid: pool.submit(run_case, case, base / cid) for cid, case in selected.items()}
        return {cid: future.result() for cid, future in futures.items()}


def location(where: Where, line: int | None) -> str:
    text = where.path
    if line is not None:
        text += f":{line}"
        if where.col is not None:
            text += f":{where.col}"
    return text + ":"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_with_a_located_message(case: Case, outcomes):
    outcome = outcomes[case.id]
    if outcome.error is not None:
        raise outcome.error
    out = outcome.output
    assert "Traceback" not in out, out
    assert "unexpected error" not in out, out
    assert outcome.returncode == case.exit, out
    lines = outcome.where.line if isinstance(outcome.where.line, tuple) else (outcome.where.line,)
    prefixes = tuple(location(outcome.where, line) for line in lines)
    located = [m for m in out.splitlines() if m.startswith(prefixes) and case.expect in m]
    assert located, f"no message at {' or '.join(prefixes)} containing {case.expect!r}:\n{out}"
    assert all(". Fix: " in m for m in located), located
    assert not outcome.written, f"validate changed {outcome.written}"


def test_at_least_thirty_kinds_of_bad_input():
    assert len({c.id for c in CASES}) == len(CASES) >= 30


def contributing_catalogue() -> dict[str, list[str]]:
    """The rows of the catalogue table in CONTRIBUTING.md, by the case id in their last column."""
    rows = {}
    for line in (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        found = re.fullmatch(r"`([a-z0-9-]+)`", cells[-1]) if cells else None
        if found:
            rows[found[1]] = cells
    return rows


def test_contributing_lists_every_case_with_its_message():
    rows = contributing_catalogue()
    assert sorted(rows) == sorted(c.id for c in CASES)
    for case in CASES:
        assert case.expect.replace("|", "\\|") in " | ".join(rows[case.id]), (case.id, case.expect, rows[case.id])


# --- the same problem in every output format, and the CLI on inputs it cannot read -----------------

def test_every_format_locates_the_problem(dataset: Path):
    where = value_outside_enum(dataset)
    github = run_badia("validate", "--format", "github", root=dataset)
    assert github.returncode == 1
    assert f"::error file={where.path},line={where.line},col={where.col},title=constraint::column 'event_type'" in github.stdout
    markdown = run_badia("validate", "--format", "markdown", root=dataset)
    assert markdown.returncode == 1
    assert f"| {where.path} | {where.line} | event_type | 'Battels' |" in markdown.stdout
    report = json.loads(run_badia("validate", "--format", "json", root=dataset).stdout)
    assert report["valid"] is False
    assert {"path": where.path, "line": where.line, "col": where.col} in [{k: p[k] for k in ("path", "line", "col")} for p in report["problems"]]


def test_missing_dataset_folder_is_a_plain_error(tmp_path: Path):
    result = run_badia("validate", root=tmp_path / "nowhere")
    assert result.returncode == 2
    assert "no such dataset folder" in result.stdout and "Traceback" not in result.stdout + result.stderr


def test_an_unexpected_error_is_located_not_a_traceback(dataset: Path, monkeypatch: pytest.MonkeyPatch):
    """A bug in badia itself still ends in a located message and exit 2, never a traceback
    (forced here by replacing one check with a function that raises)."""
    import badia.validate.checks as checks

    def broken(*args):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(checks, "check_places", broken)
    monkeypatch.delenv("BADIA_DEBUG", raising=False)
    result = run_badia("validate", "--format", "github", root=dataset)
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert re.search(r"^::error file=src/badia/validate/checks\.py,line=\d+,title=internal-error::.*RuntimeError: simulated bug.*Fix: ", result.stdout, re.M), result.stdout


def test_badia_debug_shows_a_developer_the_traceback(dataset: Path, monkeypatch: pytest.MonkeyPatch):
    """BADIA_DEBUG=1: the same internal error is raised with its traceback, for the developer."""
    import badia.validate.checks as checks

    def broken(*args):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(checks, "check_places", broken)
    monkeypatch.setenv("BADIA_DEBUG", "1")
    with pytest.raises(RuntimeError, match="simulated bug"):
        run_badia("validate", root=dataset)


def test_formula_like_spans_pass_but_are_neutralised_in_built_csv(dataset: Path):
    """A verbatim span may start with - (it is the article's text), so validate accepts it; the
    built CSV, which people open in spreadsheets, carries it with a leading apostrophe, while
    Parquet and SQLite keep the exact text."""
    import sqlite3

    import pyarrow.parquet as pq

    i = first(dataset, "mentions")
    m = read_table(dataset, "mentions")[1][i]
    seed = seed_text(dataset, m["article_id"])
    start = seed.index("-")
    span = seed[start:start + 12]
    cell(dataset, "mentions", i, "char_start", str(start))
    cell(dataset, "mentions", i, "char_end", str(start + len(span)))
    cell(dataset, "mentions", i, "text", span)
    out = dataset / "build"
    result = run_badia("build", "--out", str(out), root=dataset)
    assert result.returncode == 0, result.stdout + result.stderr
    with (out / "csv" / "mentions.csv").open(encoding="utf-8", newline="") as fh:
        built = list(csv.DictReader(fh))
    assert built[i]["text"] == "'" + span
    assert pq.read_table(out / "parquet" / "mentions.parquet").column("text")[i].as_py() == span
    with sqlite3.connect(out / "badia.db") as conn:
        assert conn.execute("SELECT text FROM mentions WHERE mention_id = ?", [m["mention_id"]]).fetchone()[0] == span
