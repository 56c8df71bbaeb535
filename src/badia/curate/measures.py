"""The assistant measured entity by entity, as a curator would judge its drafts: quotations found,
speakers right and linked to an actor, events fully right (date, type, place and actor1), drafted
event rows right and not duplicates, links to known events, actors and places recognised, junk
among the proposed new names, date expressions resolved.

The truth comes from either of two formats, read into one `GoldArticle`:
- a curated dataset (`data/*.csv` beside `seeds/`): only articles with curated rows count (a
  registered article with no rows is not an article with zero events), each drafted with the
  knowledge of the other articles only;
- the evaluation format of tests/fixtures/eval/GUIDE.md (`<split>/<id>.txt` + `.json`), drafted
  with the knowledge of the repository's own dataset.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from badia.curate.assist import ArticleDraft, draft_article, slug
from badia.curate.evaluate import stated_readings
from badia.curate.knowledge import load_knowledge
from badia.dataset.rows import read_rows
from badia.dataset.corpus import find_all, read_seed
from badia.dataset.names import name_key
from badia.dataset.package import UnusableInput
from badia.problems import Problem

# A curated date expression counts when it names a time: tense cues such as 'are advancing' date an
# event by judgement, not by resolution.
CALENDAR_WORD = re.compile(r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|"
                           r"july|august|september|october|november|december|days?|weeks?|weekend|months?|years?|today|tonight|"
                           r"yesterday|dawn|morning|afternoon|evening|night|spring|summer|\d{4})\b", re.IGNORECASE)


@dataclass
class GoldQuote:
    start: int
    end: int
    speaker: str  # a registry actor id, or ""
    new_speaker: str = ""  # a person not in the registry


@dataclass
class GoldEvent:
    spans: list[tuple[int, int]]
    date_start: str
    date_end: str
    event_type: str
    sub_event_type: str
    place: str  # a registry place id, or "new:<name>"
    actor1: str
    known: str  # the event already in data/ that this reports, or ""


@dataclass
class GoldName:
    spans: list[tuple[int, int]]
    entity_id: str  # registry id, or "" for a name not in the registry
    new_name: str = ""


@dataclass
class GoldDate:
    spans: list[tuple[int, int]]
    ranges: set[tuple[str, str]]  # the readings that count as right


@dataclass
class GoldArticle:
    article_id: str
    text: str
    published: date
    publisher: str
    quotes: list[GoldQuote]
    events: list[GoldEvent]
    actors: list[GoldName]
    places: list[GoldName]
    dates: list[GoldDate]


@dataclass
class Ratio:
    hit: int = 0
    of: int = 0
    misses: list[str] = field(default_factory=list)

    def count(self, ok: bool, miss: str) -> None:
        self.of += 1
        self.hit += ok
        if not ok:
            self.misses.append(miss)

    def __str__(self) -> str:
        return "-" if not self.of else f"{self.hit / self.of:.0%} ({self.hit}/{self.of})"

    @property
    def value(self) -> float | None:
        return self.hit / self.of if self.of else None


MEASURES = {
    "quotes": "quotations found",
    "speakers": "speaker right",
    "linked": "speaker linked to its actor",
    "events": "events fully right (date, type, place, actor1)",
    "precision": "drafted event rows right and not duplicates",
    "links": "drafted events linked to the known event",
    "actors": "named actors recognised",
    "places": "places recognised",
    "junk": "junk among proposed new names (lower is better)",
    "dates": "date expressions resolved",
}


@dataclass
class Scorecard:
    name: str
    articles: list[str] = field(default_factory=list)
    ratios: dict[str, Ratio] = field(default_factory=lambda: {m: Ratio() for m in MEASURES})
    duplicates: int = 0
    invented: int = 0

    def table(self) -> str:
        lines = [f"{self.name}: {len(self.articles)} article(s)", f"  {'measure (entity level)':<52} {'value':>16}"]
        for key, label in MEASURES.items():
            lines.append(f"  {label:<52} {str(self.ratios[key]):>16}")
        lines.append(f"  {'drafted event rows that duplicate / match no event':<52} {f'{self.duplicates} / {self.invented}':>16}")
        return "\n".join(lines)


# ---------------------------------------------------------------- reading the truth

def _occurrences(text: str, words: str) -> list[tuple[int, int]]:
    return [(i, i + len(words)) for i in find_all(text, words)] if words else []


def eval_articles(folder: Path) -> list[GoldArticle]:
    """The articles of one split in the evaluation format; an unreadable one is a located error."""
    articles = []
    for path in sorted(folder.glob("*.json")):
        txt = path.with_suffix(".txt")
        try:
            gold = json.loads(path.read_text(encoding="utf-8"))
            text = read_seed(txt)
            articles.append(_eval_article(gold, text))
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise UnusableInput([Problem(path.as_posix(), f"cannot read this evaluation article: {e}",
                                         "follow tests/fixtures/eval/GUIDE.md (a .txt and a .json with the same stem)", code="evaluate.article")])
    return articles


def _eval_article(gold: dict, text: str) -> GoldArticle:
    def spans(words: str | None) -> list[tuple[int, int]]:
        return _occurrences(text, words or "")

    quotes = []
    for q in gold.get("quotes") or []:
        at = text.find(q["text"])
        if at >= 0:
            quotes.append(GoldQuote(at, at + len(q["text"]), q.get("speaker_actor_id") or "", q.get("new_speaker") or ""))
    events = [GoldEvent(spans(e["evidence"])[:1], e.get("date_start") or "", e.get("date_end") or "", e.get("event_type") or "",
                        e.get("sub_event_type") or "", e.get("place_id") or (f"new:{e['new_place']}" if e.get("new_place") else ""),
                        e.get("actor1") or "", e.get("known_event_id") or "") for e in gold.get("events") or []]
    actors = [GoldName(spans(a["as_written"]), a.get("actor_id") or "", a.get("new_name") or "") for a in gold.get("actors") or []]
    places = [GoldName(spans(p["as_written"]), p.get("place_id") or "", p.get("new_name") or "") for p in gold.get("places") or []]
    dates = [GoldDate(spans(d["expression"]), {(d.get("date_start") or "", d.get("date_end") or "")}) for d in gold.get("dates") or []]
    return GoldArticle(gold["article_id"], text, date.fromisoformat(gold["published_date"]), gold.get("publisher") or "",
                       quotes, [e for e in events if e.spans], actors, places, dates)


def curated_articles(root: Path) -> list[GoldArticle]:
    """The curated articles of a dataset (those with at least one curated row), as truth."""
    t = {name: read_rows(root, name) for name in ("quotes", "mentions", "event_sources", "events", "event_actors", "articles", "actors")}
    events = {r["event_id"]: r for r in t["events"]}
    actor1 = {r["event_id"]: r["actor_id"] for r in t["event_actors"] if r["role"] == "actor1"}
    sources_of: dict[str, set[str]] = {}
    for r in t["event_sources"]:
        sources_of.setdefault(r["event_id"], set()).add(r["article_id"])
    kinds = {r["actor_id"]: r.get("actor_kind", "") for r in t["actors"]}
    out = []
    for article in t["articles"]:
        aid = article["article_id"]
        rows = {name: [r for r in t[name] if r.get("article_id") == aid] for name in ("quotes", "mentions", "event_sources")}
        if not any(rows.values()):
            continue
        try:
            text = read_seed(root / article["seed_path"])
        except (OSError, UnicodeDecodeError) as e:
            raise UnusableInput([Problem(article["seed_path"], f"cannot read the seed of {aid}: {e}", "restore the seed file, or run from the dataset's root", code="evaluate.seed")])
        quotes = [GoldQuote(int(r["char_start"]), int(r["char_end"]), r["speaker_actor_id"]) for r in rows["quotes"]]
        gold_events: dict[str, GoldEvent] = {}
        dates = []
        for r in rows["event_sources"]:
            ev = events.get(r["event_id"])
            if ev is None:
                continue
            span = (int(r["char_start"]), int(r["char_end"]))
            if r["event_id"] in gold_events:
                gold_events[r["event_id"]].spans.append(span)
            else:
                known = r["event_id"] if sources_of[r["event_id"]] - {aid} else ""
                gold_events[r["event_id"]] = GoldEvent([span], ev["date_start"], ev["date_end"], ev["event_type"], ev["sub_event_type"],
                                                       ev["place_id"], actor1.get(r["event_id"], ""), known)
            words = r.get("date_expression") or ""
            if CALENDAR_WORD.search(words):
                at = sorted(find_all(text, words), key=lambda i: 0 if span[0] <= i <= span[1] else min(abs(i - span[0]), abs(i - span[1])))
                ranges = {(ev["date_start"], ev["date_end"])} | stated_readings(r.get("date_rule", ""), int(ev["date_start"][:4]))
                dates.append(GoldDate([(i, i + len(words)) for i in at[:1]], ranges))
        names: dict[tuple[str, str], GoldName] = {}
        for r in rows["mentions"]:
            kind = r["entity_kind"]
            entity = r["actor_id"] or r["place_id"]
            if kind == "actor" and kinds.get(entity) == "media":
                continue  # an outlet named as a source is not an actor of the story
            key = (kind, r["text"].lower())
            span = (int(r["char_start"]), int(r["char_end"]))
            if key in names:
                names[key].spans.append(span)
            else:
                names[key] = GoldName([span], entity)
        out.append(GoldArticle(aid, text, date.fromisoformat(article["published_date"]), article.get("publisher", ""), quotes,
                               list(gold_events.values()), [n for (kind, _), n in names.items() if kind == "actor"],
                               [n for (kind, _), n in names.items() if kind == "place"], dates))
    return out


# ---------------------------------------------------------------- scoring one draft

def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _words(text: str) -> str:
    return text.strip(" \t\n,.;:")


def _same_name(a: str, b: str) -> bool:
    return bool(a and b) and name_key(a) == name_key(b)


def score(gold: GoldArticle, draft: ArticleDraft, card: Scorecard) -> None:
    r, text, aid = card.ratios, gold.text, gold.article_id

    # quotations and their speakers
    drafted = {_words(text[q.span.start:q.span.end]): q for q in draft.quotes if not q.heading}
    for g in gold.quotes:
        words = _words(text[g.start:g.end])
        q = drafted.get(words)
        r["quotes"].count(q is not None, f"{aid}: quote {words[:50]!r} not found")
        if q is None:
            continue
        got = q.speaker.actor_id if q.speaker else ""
        new = q.speaker.new_name if q.speaker else ""
        right = got == g.speaker if g.speaker else (_same_name(new, g.new_speaker) or got == slug(g.new_speaker) if g.new_speaker else not got)
        r["speakers"].count(right, f"{aid}: speaker of {words[:40]!r}: drafted {got or new or '(none)'}, truth {g.speaker or g.new_speaker or '(nobody)'}")
        if g.speaker:
            r["linked"].count(got == g.speaker, f"{aid}: speaker of {words[:40]!r} not linked to {g.speaker} (drafted {got or '(none)'})")

    # events: each drafted event matched to the true event it overlaps most, once
    taken: dict[int, int] = {}
    for i, e in enumerate(draft.events):
        best = max(((max(_overlap((e.start, e.end), s) for s in g.spans), j) for j, g in enumerate(gold.events)), default=(0, -1))
        if best[0] == 0:
            card.invented += 1
            r["precision"].count(False, f"{aid}: drafted event matches no event: {text[e.start:e.end][:70]!r}")
            continue
        j = best[1]
        if j in taken.values():
            card.duplicates += 1
            r["precision"].count(False, f"{aid}: drafted event duplicates another: {text[e.start:e.end][:70]!r}")
            continue
        taken[i] = j
        wrong = _event_differences(e, gold.events[j])
        r["precision"].count(not wrong, f"{aid}: drafted event wrong in {', '.join(wrong)}: {text[e.start:e.end][:60]!r}")
    matched = {j: draft.events[i] for i, j in taken.items()}
    for j, g in enumerate(gold.events):
        e = matched.get(j)
        evidence = text[g.spans[0][0]:g.spans[0][1]][:60]
        if e is None:
            r["events"].count(False, f"{aid}: event not drafted: {evidence!r}")
        else:
            wrong = _event_differences(e, g)
            r["events"].count(not wrong, f"{aid}: event {evidence!r} wrong in " + ", ".join(wrong))
        if g.known:
            got = "" if e is None else e.existing_event or (e.links[0].event_id if e.links else "")
            r["links"].count(got == g.known, f"{aid}: {evidence!r} not linked to {g.known} (drafted {got or 'no link'})")

    # actors and places recognised; candidates that name nothing true are junk
    true_spans = []
    for kind, names in (("actor", gold.actors), ("place", gold.places)):
        for g in names:
            true_spans += g.spans
            if not g.spans:
                continue
            if g.entity_id:
                ok = any(m.entity.id == g.entity_id and _overlap((m.start, m.end), s) for m in draft.mentions for s in g.spans) or \
                    any(getattr(m, "alias_of", "") == g.entity_id and _overlap((m.start, m.end), s) for m in draft.candidates for s in g.spans)
            else:
                ok = any(_overlap((c.start, c.end), s) for c in draft.candidates for s in g.spans)
            r[kind + "s"].count(ok, f"{aid}: {kind} {text[g.spans[0][0]:g.spans[0][1]]!r} ({g.entity_id or 'new: ' + g.new_name}) not recognised")
    for c in draft.candidates:  # here a hit is junk
        junk = not any(_overlap((c.start, c.end), s) for s in true_spans)
        r["junk"].of += 1
        r["junk"].hit += junk
        if junk:
            r["junk"].misses.append(f"{aid}: candidate {c.text!r} names no true actor or place")

    # dates
    for g in gold.dates:
        got = [d for d in draft.dates for s in g.spans if _overlap((d.char_start, d.char_end), s)]
        ranges = {(d.resolved.start.isoformat(), d.resolved.end.isoformat()) for d in got}
        words = text[g.spans[0][0]:g.spans[0][1]] if g.spans else "?"
        r["dates"].count(bool(ranges & g.ranges), f"{aid}: date {words!r}: drafted {sorted(ranges) or '(not found)'}, truth {sorted(g.ranges)}")


def _event_differences(e, g: GoldEvent) -> list[str]:
    wrong = []
    if (e.date_range[0].isoformat(), e.date_range[1].isoformat()) != (g.date_start, g.date_end):
        wrong.append(f"date {e.date_range[0]}..{e.date_range[1]} (truth {g.date_start}..{g.date_end})")
    if (e.event_type, e.sub_event_type) != (g.event_type, g.sub_event_type):
        wrong.append(f"type {e.sub_event_type} (truth {g.sub_event_type})")
    place = e.place.id if e.place else ""
    if place != g.place and not (g.place.startswith("new:") and e.place is None):
        wrong.append(f"place {place or '(none)'} (truth {g.place or '(none)'})")
    actor = e.actor1.id if e.actor1 else ""
    if actor != g.actor1:
        wrong.append(f"actor1 {actor or '(none)'} (truth {g.actor1 or '(none)'})")
    return wrong


# ---------------------------------------------------------------- a dataset or a split

def measure(folder: Path | str, repository: Path | str = ".") -> list[Scorecard]:
    """One scorecard per dataset or split under `folder`: a curated dataset (data/articles.csv), a
    split of the evaluation format (*.json), or a folder of splits (dev/, test/)."""
    folder = Path(folder)
    if (folder / "data" / "articles.csv").is_file():
        golds = curated_articles(folder)
        cards = [Scorecard(folder.as_posix())]
        knowledge = lambda aid: load_knowledge(folder, exclude_article=aid)  # noqa: E731
        return [_run(cards[0], golds, knowledge)]
    splits = [folder] if any(folder.glob("*.json")) else sorted(p for p in folder.iterdir() if p.is_dir() and any(p.glob("*.json"))) if folder.is_dir() else []
    k = load_knowledge(repository)
    return [_run(Scorecard(split.as_posix()), eval_articles(split), lambda aid: k) for split in splits]


def _run(card: Scorecard, golds: list[GoldArticle], knowledge) -> Scorecard:
    for gold in golds:
        draft = draft_article(gold.article_id, gold.text, gold.published, knowledge(gold.article_id), gold.publisher)
        score(gold, draft, card)
        card.articles.append(gold.article_id)
    return card
