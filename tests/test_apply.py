"""`badia assist --apply` checks the dataset it would write, honours links to known events and can
be undone byte for byte; the decisions from the command line (--accept, --reject, --link, --add).
Every test drafts the fixture article (written for the tests in the project's own words) into a
disposable copy of the dataset and runs the real CLI."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, copy_dataset, run_badia

FIXTURES = ROOT / "tests" / "fixtures" / "assist"
ARTICLE = "fx1_wire_tanf"


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def tree(root: Path, *parts: str) -> dict[str, str]:
    """sha256 of every file under root/part (hidden ones included): a byte-for-byte picture."""
    found = {}
    for part in parts:
        for path in sorted((root / part).rglob("*")):
            if path.is_file():
                found[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture(scope="module")
def drafted_once(tmp_path_factory) -> Path:
    """The fixture article registered and drafted once (two CLI runs); each test works on a copy."""
    root = copy_dataset(tmp_path_factory.mktemp("drafted") / "dataset")
    result = run_badia("add-article", str(FIXTURES / "seeds" / "fx1_wire_tanf.txt"), "--publisher", "Fixture Wire", "--title",
                       "U.S.-backed rebels say army assault near Tanf repelled", "--date", "2017-06-08", "--id", ARTICLE, root=root)
    assert result.returncode == 0, result.stderr
    result = run_badia("assist", ARTICLE, root=root)
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def drafted(drafted_once: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(drafted_once, tmp_path / "dataset"))


def decide(root: Path, table: str, choose) -> None:
    """Set the review of every row of a draft table to choose(row as dict)."""
    path = root / "drafts" / ARTICLE / f"{table}.csv"
    rows = read_csv(path)
    for row in rows[1:]:
        row[0] = choose(dict(zip(rows[0], row)))
    write_csv(path, rows)


def draft_tables(root: Path) -> list[str]:
    schemas = {p.name.split(".")[0] for p in (root / "schemas").glob("*.schema.json")}
    return [p.stem for p in (root / "drafts" / ARTICLE).glob("*.csv") if p.stem in schemas]


def accept_only_quotes(root: Path) -> None:
    """Quotes whose speaker is known (or empty) accepted; every other row rejected."""
    actors = {r[0] for r in read_csv(root / "data" / "actors.csv")[1:]}
    for table in draft_tables(root):
        decide(root, table, lambda row: "accept" if table == "quotes" and row["speaker_actor_id"] in actors | {""} else "reject")


# ---------------------------------------------------------------- the would-be dataset is checked first

def shift_offsets(row: dict) -> dict:
    return {"char_start": str(int(row["char_start"]) + 1), "char_end": str(int(row["char_end"]) + 1)}


BAD_QUOTES = {
    # what a reviewer may do to an accepted quote -> the words the located message must contain
    "edited text": (lambda row: {"text": row["text"] + " indeed"}, "text"),
    "shifted offsets": (shift_offsets, "text"),  # a span problem is reported on its text
    "a formula": (lambda row: {"attribution": "=HYPERLINK(\"http://x\")"}, "attribution"),
    "another article": (lambda row: {"article_id": read_csv(ROOT / "data" / "articles.csv")[1][0]}, "text"),
    "an unknown speaker id": (lambda row: {"speaker_actor_id": "nobody_at_all"}, "speaker_actor_id"),
}


@pytest.mark.parametrize("case", sorted(BAD_QUOTES))
def test_apply_refuses_a_row_that_validate_would_refuse_and_writes_nothing(drafted: Path, case: str):
    accept_only_quotes(drafted)
    path = drafted / "drafts" / ARTICLE / "quotes.csv"
    rows = read_csv(path)
    header = rows[0]
    index = next(i for i, row in enumerate(rows) if i and row[0] == "accept")
    change, column = BAD_QUOTES[case]
    for name, value in change(dict(zip(header, rows[index]))).items():
        rows[index][header.index(name)] = value
    write_csv(path, rows)
    before = tree(drafted, "data", "drafts")
    result = run_badia("assist", "--apply", ARTICLE, root=drafted)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    line = index + 1  # the draft's rows are one line each here
    located = f"drafts/{ARTICLE}/quotes.csv:{line}:{header.index(column) + 1}: "
    assert any(m.startswith(located) for m in result.stderr.splitlines()), result.stderr
    assert tree(drafted, "data", "drafts") == before


def test_apply_refuses_an_event_with_reversed_dates_located_in_the_draft(drafted: Path):
    for table in draft_tables(drafted):
        decide(drafted, table, lambda row: "reject")
    path = drafted / "drafts" / ARTICLE / "events.csv"
    rows = read_csv(path)
    header = rows[0]
    event = rows[1]
    start, end = header.index("date_start"), header.index("date_end")
    event[start], event[end] = "2017-06-08", "2017-06-01"
    event[0] = "accept"
    write_csv(path, rows)
    event_id = event[header.index("event_id")]
    links = drafted / "drafts" / ARTICLE / "links.csv"
    if links.exists():  # the assistant's suggested links, refused: the drafted event is a new one
        write_csv(links, [read_csv(links)[0]] + [["refuse", *row[1:]] for row in read_csv(links)[1:]])
    for table in ("event_sources", "event_actors"):
        decide(drafted, table, lambda row: "accept" if row["event_id"] == event_id else "reject")
    before = tree(drafted, "data", "drafts")
    result = run_badia("assist", "--apply", ARTICLE, root=drafted)
    assert result.returncode == 1
    assert f"drafts/{ARTICLE}/events.csv:2:{end + 1}: column 'date_end': date_end 2017-06-01 is before date_start 2017-06-08" in result.stderr, result.stderr
    assert tree(drafted, "data", "drafts") == before


def test_accepting_everything_is_refused_with_every_problem_located_in_the_drafts(drafted: Path):
    assert run_badia("assist", "--accept", "all", ARTICLE, root=drafted).returncode == 0
    assert all(row[0] == "accept" for table in draft_tables(drafted) for row in read_csv(drafted / "drafts" / ARTICLE / f"{table}.csv")[1:])
    before = tree(drafted, "data", "drafts")
    result = run_badia("assist", "--apply", ARTICLE, root=drafted)
    assert result.returncode == 1
    problems = [m for m in result.stderr.splitlines() if ": " in m and not m.endswith("found")]
    assert problems and all(m.startswith(f"drafts/{ARTICLE}/") for m in problems), result.stderr
    assert tree(drafted, "data", "drafts") == before


# ---------------------------------------------------------------- undo

def test_undo_restores_data_and_drafts_byte_for_byte_and_refuses_after_a_change(drafted: Path):
    accept_only_quotes(drafted)
    before = tree(drafted, "data", "drafts")
    result = run_badia("assist", "--apply", ARTICLE, root=drafted)
    assert result.returncode == 0, result.stderr
    assert not (drafted / "drafts" / ARTICLE).exists()
    assert run_badia("validate", root=drafted).returncode == 0
    applied = tree(drafted, "data")
    assert applied != {k: v for k, v in before.items() if k.startswith("data/")}

    result = run_badia("assist", "--undo", ARTICLE, root=drafted)
    assert result.returncode == 0, result.stderr
    assert tree(drafted, "data", "drafts") == before

    again = run_badia("assist", "--undo", ARTICLE, root=drafted)
    assert again.returncode == 1 and "no apply of fx1_wire_tanf to undo" in again.stderr and "Traceback" not in again.stderr

    assert run_badia("assist", "--apply", ARTICLE, root=drafted).returncode == 0
    with (drafted / "data" / "places.csv").open("a", encoding="utf-8") as fh:
        fh.write("\n")
    changed = tree(drafted, "data", "drafts")
    refused = run_badia("assist", "--undo", ARTICLE, root=drafted)
    assert refused.returncode == 1
    assert "data/places.csv: changed since the apply of fx1_wire_tanf" in refused.stderr, refused.stderr
    assert tree(drafted, "data", "drafts") == changed


def test_undo_of_a_partial_apply_restores_the_waiting_rows(drafted: Path):
    accept_only_quotes(drafted)
    decide(drafted, "mentions", lambda row: "")  # left to review: the folder stays
    before = tree(drafted, "data", "drafts")
    result = run_badia("assist", "--apply", ARTICLE, root=drafted)
    assert result.returncode == 0 and "still to review" in result.stdout, result.stdout + result.stderr
    assert [row[0] for row in read_csv(drafted / "drafts" / ARTICLE / "quotes.csv")[1:]] == []
    decide(drafted, "mentions", lambda row: "reject")
    assert run_badia("assist", "--undo", ARTICLE, root=drafted).returncode == 1  # a decision made since would be lost
    decide(drafted, "mentions", lambda row: "")
    assert run_badia("assist", "--undo", ARTICLE, root=drafted).returncode == 0
    assert tree(drafted, "data", "drafts") == before


# ---------------------------------------------------------------- links to known events

def known_event(root: Path) -> dict:
    rows = read_csv(root / "data" / "events.csv")
    return dict(zip(rows[0], rows[1]))


def write_links(root: Path, rows: list[list[str]]) -> None:
    write_csv(root / "drafts" / ARTICLE / "links.csv", [["decision", "draft_event_id", "event_id", "score", "reasons"], *rows])


def first_draft_event(root: Path) -> str:
    rows = read_csv(root / "drafts" / ARTICLE / "events.csv")
    return rows[1][rows[0].index("event_id")]


def test_a_confirmed_link_points_the_evidence_at_the_known_event_and_drops_the_drafted_event(drafted: Path):
    draft_event, known = first_draft_event(drafted), known_event(drafted)["event_id"]
    write_links(drafted, [["", draft_event, known, "0.61", "same place; same week"]])
    for table in draft_tables(drafted):
        decide(drafted, table, lambda row: "reject" if row.get("event_id") != draft_event else "")
    validated = run_badia("validate", "--drafts", root=drafted)
    assert f"drafts/{ARTICLE}/links.csv:2:1: column 'decision': link of {draft_event} to known event {known} not decided" in validated.stdout

    result = run_badia("assist", "--link", draft_event, known, root=drafted)
    assert result.returncode == 0, result.stderr
    assert read_csv(drafted / "drafts" / ARTICLE / "links.csv")[1][0] == "confirm"
    sources = read_csv(drafted / "drafts" / ARTICLE / "event_sources.csv")
    evidence = [r for r in sources[1:] if r[sources[0].index("event_id")] == draft_event]
    assert evidence and all(r[0] == "accept" for r in evidence)

    events_before = (drafted / "data" / "events.csv").read_bytes()
    result = run_badia("assist", "--apply", ARTICLE, root=drafted)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (drafted / "data" / "events.csv").read_bytes() == events_before
    sources = [dict(zip(read_csv(drafted / "data" / "event_sources.csv")[0], r)) for r in read_csv(drafted / "data" / "event_sources.csv")[1:]]
    mine = [s for s in sources if s["article_id"] == ARTICLE]
    assert [s["event_id"] for s in mine] == [known] * len(evidence)
    assert not any(draft_event in row for row in read_csv(drafted / "data" / "event_actors.csv"))


def test_an_undecided_link_blocks_its_accepted_rows_and_a_refused_one_keeps_the_new_event(drafted: Path):
    draft_event, known = first_draft_event(drafted), known_event(drafted)["event_id"]
    write_links(drafted, [["", draft_event, known, "0.40", "same place"]])
    for table in draft_tables(drafted):
        decide(drafted, table, lambda row: "accept" if row.get("event_id") == draft_event else "reject")
    result = run_badia("assist", "--apply", ARTICLE, root=drafted)
    assert result.returncode == 1 and f"drafts/{ARTICLE}/links.csv:2:1: " in result.stderr and "not decided" in result.stderr
    assert run_badia("assist", "--link", draft_event, "new", root=drafted).returncode == 0
    assert read_csv(drafted / "drafts" / ARTICLE / "links.csv")[1][0] == "refuse"
    result = run_badia("assist", "--apply", ARTICLE, root=drafted)
    # The refused link no longer blocks: the drafted event is judged as a new event, by validate's rules.
    assert "links.csv" not in result.stderr, result.stderr
    if result.returncode == 0:
        assert any(r[0] == draft_event for r in read_csv(drafted / "data" / "events.csv")[1:])
    else:
        assert all(m.startswith(f"drafts/{ARTICLE}/event") and draft_event in m for m in result.stderr.splitlines() if m.startswith("drafts/")), result.stderr


def test_link_to_an_unknown_event_is_refused(drafted: Path):
    result = run_badia("assist", "--link", first_draft_event(drafted), "ev_no_such_event", root=drafted)
    assert result.returncode == 1 and "no event 'ev_no_such_event'" in result.stderr and "Traceback" not in result.stderr


# ---------------------------------------------------------------- accept confident, add a missed quotation

def test_accept_confident_uses_the_confidence_column_and_leaves_the_rest(drafted: Path):
    paths = [drafted / "drafts" / ARTICLE / f"{table}.csv" for table in draft_tables(drafted)]
    for path in paths:  # every other row sure, the rest not, whatever the assistant scored
        rows = read_csv(path)
        c = rows[0].index("confidence")
        for i, row in enumerate(rows[1:]):
            row[0], row[c] = "", ("0.95" if i % 2 == 0 else "0.30")
        write_csv(path, rows)
    sure = sum((len(read_csv(path)) - 1 + 1) // 2 for path in paths)
    result = run_badia("assist", "--accept", "confident", "--threshold", "0.5", ARTICLE, root=drafted)
    assert result.returncode == 0, result.stderr
    assert f"accepted {sure} row(s)" in result.stdout
    for path in paths:
        rows = read_csv(path)
        c = rows[0].index("confidence")
        assert [r[0] for r in rows[1:]] == ["accept" if float(r[c]) >= 0.5 else "" for r in rows[1:]], path.name
    assert run_badia("assist", "--reject", "unconfident", "--threshold", "0.5", ARTICLE, root=drafted).returncode == 0
    for path in paths:
        rows = read_csv(path)
        c = rows[0].index("confidence")
        assert [r[0] for r in rows[1:]] == ["accept" if float(r[c]) >= 0.5 else "reject" for r in rows[1:]], path.name


def test_add_finds_a_missed_quotation_and_refuses_absent_or_ambiguous_words(drafted: Path):
    seed = (drafted / "seeds" / f"{ARTICLE}.txt").read_text(encoding="utf-8")
    absent = run_badia("assist", "--add", ARTICLE, "--quote", "words the article never says", root=drafted)
    assert absent.returncode == 1 and "is not in the article's text" in absent.stderr
    ambiguous = run_badia("assist", "--add", ARTICLE, "--quote", "the garrison", root=drafted)
    assert ambiguous.returncode == 1 and f"occurs {seed.count('the garrison')} times" in ambiguous.stderr
    assert f"at {seed.find('the garrison')}:" in ambiguous.stderr and "--at" in ambiguous.stderr
    words = "pushed back after hours of fighting"
    result = run_badia("assist", "--add", ARTICLE, "--quote", words, "--speaker", "fsa", root=drafted)
    assert result.returncode == 0, result.stderr
    rows = read_csv(drafted / "drafts" / ARTICLE / "quotes.csv")
    added = dict(zip(rows[0], rows[-1]))
    start = seed.index(words)
    assert (added["review"], added["char_start"], added["char_end"], added["text"]) == ("accept", str(start), str(start + len(words)), words)
    assert (added["speaker_actor_id"], added["speaker_resolution"]) == ("fsa", "organisation")  # fsa is an armed group in data/actors.csv
    assert added["quote_id"] not in {r[rows[0].index("quote_id")] for r in rows[1:-1]}
