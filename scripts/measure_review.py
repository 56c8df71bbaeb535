"""Decisions and keystrokes a curator needs to take a drafted article to its curated rows, in the
CSV files (before the review page) and in the review page (after), on curated datasets.

    .venv/bin/python scripts/measure_review.py [DATASET or EVALUATION SPLIT ...]      [--threshold 0.9] [--verbose]
(datasets: . and tests/fixtures/assist by default; --verbose lists the rows counted wrong)

Each curated article is drafted as `badia assist` would draft it as a new article (the knowledge
of the other articles only). The curated rows are the answer: a drafted row is right when it
matches one (quotes and exclusions: the same span; mentions: the same span and entity; events and
their evidence: a curated evidence span at least half covered; event actors: an actor of that
curated event; candidate actors and places: in the curated tables), a right row with a cell that
differs from the curated one needs an edit per cell, and a curated row no draft matches is added
by hand. It is a model of the work, not a stopwatch: each counted step is one a curator cannot
skip.

Before (CSV files): one decision per drafted row (typing accept or reject: 6 keys), one per edited
cell (typing the value), one per added row (typing the whole row, offsets computed by hand).
After (the review page): one click accepts every row at or above the threshold and one
rejects every row left (the threshold: --threshold, default the page's); in between, one click per wrong confident row (reject) and per right
unconfident row (accept; an event's click decides its actors and evidence), one per edited cell
(a speaker or an entity by typing 5 letters of its name in the search), one per added row
(select the words, click; a mention's entity by 5 letters) and one per link to decide; then apply.
No offsets are typed after.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from badia.curate.assist import draft_article  # noqa: E402
from badia.curate.decide import DEFAULT_THRESHOLD  # noqa: E402
from badia.curate.drafts import draft_rows  # noqa: E402
from badia.curate.knowledge import load_knowledge  # noqa: E402
from badia.dataset.rows import read_rows  # noqa: E402
from badia.dataset.corpus import read_seed  # noqa: E402

THRESHOLD = DEFAULT_THRESHOLD
SHOWN = ("text", "event_id", "actor_id", "place_id", "name", "speaker_actor_id", "char_start")
SEARCH_KEYS = 5  # letters typed to find an actor or place in the registry search
DECISION_KEYS = 6  # 'accept' or 'reject' typed in a CSV cell


@dataclass
class Count:
    words: int = 0
    drafted: int = 0
    decisions_before: int = 0
    keys_before: int = 0
    offsets_before: int = 0
    decisions_after: int = 0
    keys_after: int = 0
    detail: dict = field(default_factory=dict)


def overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def measure_article(root: Path, article: dict, curated: dict[str, list[dict]], k=None, text: str | None = None) -> Count:
    aid = article["article_id"]
    k = k or load_knowledge(root, exclude_article=aid)
    text = text if text is not None else read_seed(root / article["seed_path"])
    draft = draft_article(aid, text, date.fromisoformat(article["published_date"]), k, article.get("publisher", ""))
    rows = draft_rows(draft, root, k)
    mine = {name: [r for r in curated[name] if r.get("article_id") == aid] for name in ("quotes", "mentions", "event_sources", "quote_exclusions")}
    quotes = {(int(r["char_start"]), int(r["char_end"])): r for r in mine["quotes"]}
    exclusions = {(int(r["char_start"]), int(r["char_end"])) for r in mine["quote_exclusions"]}
    mentions = {(int(r["char_start"]), int(r["char_end"]), r["entity_kind"], r["actor_id"] or r["place_id"]) for r in mine["mentions"]}
    mention_spans = {m[:2] for m in mentions}
    evidence = [(int(r["char_start"]), int(r["char_end"]), r["event_id"]) for r in mine["event_sources"]]
    event_actors: dict[str, set[str]] = {}
    for r in curated["event_actors"]:
        event_actors.setdefault(r["event_id"], set()).add(r["actor_id"])
    new_ids = {r["actor_id"] for r in curated["actors"]} - set(k.actor_ids) | {r["place_id"] for r in curated["places"]} - set(k.place_ids)

    right, edits, wrong = [], [], []  # (table, confidence); edits: (table, cell, value)
    drafted_events: dict[str, str | None] = {}
    for r in rows.get("event_sources", []):
        span = (int(r["char_start"]), int(r["char_end"]))
        match = next((e for s, t, e in evidence if overlap((s, t), span) * 2 >= t - s), None)
        drafted_events[r["event_id"]] = match
    covered = set()
    for table, table_rows in rows.items():
        if table == "dates":
            continue
        for r in table_rows:
            score = float(r.get("confidence") or 0)
            ok = False
            if table == "quotes":
                truth = quotes.get((int(r["char_start"]), int(r["char_end"])))
                if truth is not None:
                    ok = True
                    covered.add(("quotes", int(r["char_start"]), int(r["char_end"])))
                    for cell in ("speaker_actor_id", "kind"):
                        if cell in truth and r[cell] != truth[cell]:
                            edits.append((table, cell, truth[cell]))
            elif table == "quote_exclusions":
                ok = (int(r["char_start"]), int(r["char_end"])) in exclusions
            elif table == "mentions":
                key = (int(r["char_start"]), int(r["char_end"]), r["entity_kind"], r["actor_id"] or r["place_id"])
                ok = key in mentions or key[:2] in mention_spans
                if ok and key not in mentions:
                    edits.append((table, "entity", "?"))
                covered.add(("mentions", key[0], key[1]))
            elif table in ("events", "event_sources"):
                ok = drafted_events.get(r["event_id"]) is not None
                if table == "events" and ok:
                    edits.append((table, "summary", "x" * 80))  # a generated summary is always rewritten
            elif table == "event_actors":
                ok = r["actor_id"] in event_actors.get(drafted_events.get(r["event_id"]) or "", set())
            elif table in ("actors", "places"):
                ok = r[f"{table[:-1]}_id"] in new_ids
            (right if ok else wrong).append((table, score, r))
    found_evidence = {e for e in drafted_events.values() if e}
    missed = [("quotes", q) for q in quotes if ("quotes",) + q not in covered]
    missed += [("mentions", m[:2]) for m in mentions if ("mentions",) + m[:2] not in covered]
    missed += [("event_sources", (s, t)) for s, t, e in evidence if e not in found_evidence]

    c = Count(words=len(text.split()), drafted=sum(len(v) for n, v in rows.items() if n != "dates"))
    # before: every row typed accept/reject, every edit typed, every missed row typed whole
    c.decisions_before = c.drafted + len(edits) + len(missed)
    c.keys_before = DECISION_KEYS * c.drafted + sum(len(v) for _, _, v in edits) + sum(60 for _ in missed)
    c.offsets_before = len(missed)
    # after
    confident_wrong = sum(1 for _, s, _ in wrong if s >= THRESHOLD)
    group_tables = ("event_actors", "event_sources")
    unconfident_right = sum(1 for t, s, r in right if s < THRESHOLD and t not in group_tables)
    # an event's rows follow its click; its wrong actors need one click each
    unconfident_right += sum(1 for t, s, r in right if s < THRESHOLD and t in group_tables and not any(
        e["event_id"] == r["event_id"] for _, _, e in right if "summary" in e))
    links = len(rows.get("links", []))
    c.decisions_after = 1 + confident_wrong + unconfident_right + len(edits) + len(missed) + links + 1 + 1
    c.keys_after = sum(SEARCH_KEYS if cell in ("speaker_actor_id", "entity") else len(v) for _, cell, v in edits) + SEARCH_KEYS * sum(1 for t, _ in missed if t == "mentions")
    c.detail = {"right": len(right), "wrong": len(wrong), "confident_wrong": confident_wrong, "unconfident_right": unconfident_right,
                "edits": len(edits), "missed": len(missed),
                "confident wrong rows": [f"{t} {s:.2f} " + ", ".join(f"{k}={v}" for k, v in r.items() if k in SHOWN) for t, s, r in wrong if s >= THRESHOLD],
                "missed rows": [f"{t} {span}" for t, span in missed]}
    return c


def measure(root: Path) -> list[tuple[str, Count]]:
    curated = {name: read_rows(root, name) for name in ("articles", "quotes", "mentions", "event_sources", "event_actors", "quote_exclusions", "actors", "places")}
    quoted = {r["article_id"] for r in curated["quotes"]} | {r["article_id"] for r in curated["mentions"]}
    return [(a["article_id"], measure_article(root, a, curated)) for a in curated["articles"] if a["article_id"] in quoted]


def measure_eval(split: Path) -> list[tuple[str, Count]]:
    """A split in the evaluation format (tests/fixtures/eval/GUIDE.md), drafted with the
    repository's knowledge, its annotation as the curated rows."""
    from badia.curate.measures import eval_articles

    k = load_knowledge(ROOT)
    counted = []
    for gold in eval_articles(split):
        aid = gold.article_id
        events = [(e, e.known or f"gold_{i}") for i, e in enumerate(gold.events)]
        curated = {
            "quotes": [{"article_id": aid, "char_start": q.start, "char_end": q.end, "speaker_actor_id": q.speaker} for q in gold.quotes],
            "mentions": [{"article_id": aid, "char_start": s_, "char_end": e_, "entity_kind": kind, "actor_id": n.entity_id if kind == "actor" else "",
                          "place_id": n.entity_id if kind == "place" else ""} for kind, names in (("actor", gold.actors), ("place", gold.places))
                         for n in names for s_, e_ in n.spans],
            "event_sources": [{"article_id": aid, "char_start": s_, "char_end": e_, "event_id": eid} for e, eid in events for s_, e_ in e.spans],
            "event_actors": [{"event_id": eid, "actor_id": e.actor1} for e, eid in events if e.actor1],
            "quote_exclusions": [], "actors": [], "places": [],
        }
        article = {"article_id": aid, "published_date": gold.published.isoformat(), "publisher": gold.publisher}
        counted.append((aid, measure_article(ROOT, article, curated, k, gold.text)))
    return counted


def main(argv: list[str]) -> int:
    global THRESHOLD
    verbose = "--verbose" in argv
    if "--threshold" in argv:
        at = argv.index("--threshold")
        THRESHOLD = float(argv[at + 1])
        argv = argv[:at] + argv[at + 2:]
    folders = [Path(a) for a in argv if a != "--verbose"] or [ROOT, ROOT / "tests" / "fixtures" / "assist"]
    print(f"threshold {THRESHOLD}")
    print(f"{'article':<28} {'words':>5} {'drafted':>7} | {'before: decisions':>17} {'keys':>6} {'offsets':>7} | {'after: decisions':>16} {'keys':>5} | right wrong conf.wrong unconf.right edits missed")
    for folder in folders:
        for aid, c in (measure(folder) if (folder / "data" / "articles.csv").is_file() else measure_eval(folder)):
            d = c.detail
            print(f"{aid:<28} {c.words:>5} {c.drafted:>7} | {c.decisions_before:>17} {c.keys_before:>6} {c.offsets_before:>7} | {c.decisions_after:>16} {c.keys_after:>5} | "
                  f"{d['right']:>5} {d['wrong']:>5} {d['confident_wrong']:>10} {d['unconfident_right']:>12} {d['edits']:>5} {d['missed']:>6}")
            if verbose:
                print("\n".join(f"    {line}" for line in d["confident wrong rows"] + d["missed rows"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
