"""Measuring the assistant: its drafts for every curated article against the curated rows.

Per kind: quotes (span exact), speakers and kinds (same actor, same direct/partial/term, over the
quotes both found), mentions (same span and entity), dates (same resolved range for each curated date expression and said_date),
events (a curated evidence span at least half covered by a drafted event sentence). Each article
is drafted with the knowledge of the other articles only (its own quotes and events left out);
actor aliases and place variants cannot be left out, since they are the only list of names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from badia.curate.assist import ArticleDraft, draft_article
from badia.dataset.corpus import find_all, read_seed
from badia.curate.knowledge import load_knowledge
from badia.dataset.rows import read_rows
from badia.dataset.package import UnusableInput
from badia.problems import Problem

# A curated date expression counts for the dates score when it names a time: tense cues such as
# 'are advancing' or 'repeatedly' date an event by judgement, not by resolution.
CALENDAR_WORD = re.compile(r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|"
                           r"july|august|september|october|november|december|days?|weeks?|weekend|months?|years?|today|tonight|"
                           r"yesterday|dawn|morning|afternoon|evening|night|\d{4})\b", re.IGNORECASE)


@dataclass
class Score:
    """Counts for one kind: hits among the drafted and among the curated rows."""

    drafted: int = 0
    curated: int = 0
    found: int = 0  # curated rows the drafts recovered
    correct: int = 0  # drafted rows that are right
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.correct / self.drafted if self.drafted else None

    @property
    def recall(self) -> float | None:
        return self.found / self.curated if self.curated else None

    def add(self, other: "Score") -> None:
        self.drafted += other.drafted
        self.curated += other.curated
        self.found += other.found
        self.correct += other.correct
        self.misses += other.misses


KINDS = ("quotes", "speakers", "kinds", "mentions", "dates", "events")


@dataclass
class Evaluation:
    root: Path
    articles: list[str]
    scores: dict[str, Score]

    def table(self) -> str:
        lines = [f"{'kind':<10} {'precision':>10} {'recall':>10}   drafted  curated", "-" * 52]
        for kind in KINDS:
            s = self.scores[kind]
            p = "-" if s.precision is None else f"{s.precision:.1%}"
            r = "-" if s.recall is None else f"{s.recall:.1%}"
            lines.append(f"{kind:<10} {p:>10} {r:>10}   {s.drafted:>7}  {s.curated:>7}")
        return "\n".join(lines)


def _spans_overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def score_article(draft: ArticleDraft, curated: dict[str, list[dict]], events: dict[str, dict]) -> dict[str, Score]:
    aid = draft.article_id
    scores = {kind: Score() for kind in KINDS}

    # quotes: exact spans; speakers over the quotes found
    quotes = [r for r in curated["quotes"] if r["article_id"] == aid]
    drafted = {(q.span.start, q.span.end): q for q in draft.quotes if not q.heading}
    s, sp, dt = scores["quotes"], scores["speakers"], scores["dates"]
    s.drafted, s.curated = len(drafted), len(quotes)
    exclusions = {(int(r["char_start"]), int(r["char_end"])) for r in curated["quote_exclusions"] if r["article_id"] == aid}
    s.drafted += sum(1 for q in draft.quotes if q.heading and (q.span.start, q.span.end) not in exclusions)
    for row in quotes:
        key = (int(row["char_start"]), int(row["char_end"]))
        q = drafted.get(key)
        if q is None:
            s.misses.append(f"{aid} quote {key} {row['text'][:50]!r} not drafted")
            continue
        s.found += 1
        s.correct += 1
        kinds = scores["kinds"]
        kinds.drafted += 1
        kinds.curated += 1
        if q.kind == row["kind"]:
            kinds.found += 1
            kinds.correct += 1
        else:
            kinds.misses.append(f"{aid} quote {row['quote_id']} {row['text'][:40]!r}: drafted {q.kind}, curated {row['kind']}")
        sp.drafted += 1
        sp.curated += 1
        got = q.speaker.actor_id if q.speaker else ""
        if got == row["speaker_actor_id"]:
            sp.found += 1
            sp.correct += 1
        else:
            sp.misses.append(f"{aid} quote {row['quote_id']} {row['text'][:40]!r}: drafted {got or '(none)'}, curated {row['speaker_actor_id'] or '(none)'}")
        said = q.said_date.isoformat() if q.said_date else ""
        if said or row["said_date"]:
            dt.drafted += bool(said)
            dt.curated += bool(row["said_date"])
            if said == row["said_date"]:
                dt.found += 1
                dt.correct += 1
            else:
                dt.misses.append(f"{aid} said_date of {row['quote_id']} {row['text'][:30]!r}: drafted {said or '(none)'}, curated {row['said_date'] or '(none)'}")

    # mentions: same span and entity
    m = scores["mentions"]
    mentions = [r for r in curated["mentions"] if r["article_id"] == aid]
    truth = {(int(r["char_start"]), int(r["char_end"]), r["entity_kind"], r["actor_id"] or r["place_id"]) for r in mentions}
    got = {(x.start, x.end, x.entity.kind, x.entity.id) for x in draft.mentions}
    m.drafted, m.curated = len(got), len(truth)
    m.found = m.correct = len(truth & got)
    for miss in sorted(truth - got):
        m.misses.append(f"{aid} mention {miss} {draft.text[miss[0]:miss[1]]!r} not drafted" + (" (span found, other entity)" if any(g[:2] == miss[:2] for g in got) else ""))
    for extra in sorted(got - truth):
        if not any(t[:2] == extra[:2] for t in truth):
            m.misses.append(f"{aid} extra mention {extra} {draft.text[extra[0]:extra[1]]!r}")

    # dates: each curated date expression's reading, against the draft's reading of the same words
    for row in curated["event_sources"]:
        if row["article_id"] != aid or not CALENDAR_WORD.search(row["date_expression"] or ""):
            continue
        ev = events.get(row["event_id"])
        if ev is None:
            continue
        start, end = int(row["char_start"]), int(row["char_end"])
        words = row["date_expression"]
        at = find_all(draft.text.lower(), words.lower())
        at.sort(key=lambda i: 0 if start <= i <= end else min(abs(i - start), abs(i - end)))
        want = (ev["date_start"], ev["date_end"])
        dt.curated += 1
        mention = next((d for i in at[:1] for d in draft.dates if _spans_overlap((d.char_start, d.char_end), (i, i + len(words))) > 0), None)
        linked = next((e for e in draft.events if e.existing_event == row["event_id"] and _spans_overlap((e.start, e.end), (start, end)) > 0), None)
        if linked is not None:
            got_range = (linked.date_range[0].isoformat(), linked.date_range[1].isoformat())
        elif mention is not None:
            got_range = (mention.resolved.start.isoformat(), mention.resolved.end.isoformat())
        else:
            got_range = None
        if got_range is not None:
            dt.drafted += 1
        if got_range == want or got_range in stated_readings(row["date_rule"], int(want[0][:4])):
            dt.found += 1
            dt.correct += 1
        else:
            dt.misses.append(f"{aid} date {words!r} for {row['event_id']}: drafted {got_range or '(not found)'}, curated {want}")

    # events: curated evidence half covered by a drafted event sentence
    e = scores["events"]
    evidence = [(int(r["char_start"]), int(r["char_end"]), r["evidence"]) for r in curated["event_sources"] if r["article_id"] == aid]
    evidence = list(dict.fromkeys(evidence))
    spans = [(x.start, x.end) for x in draft.events]
    e.drafted, e.curated = len(spans), len(evidence)
    for start, end, text in evidence:
        if any(_spans_overlap((start, end), sp_) * 2 >= end - start for sp_ in spans):
            e.found += 1
        else:
            e.misses.append(f"{aid} event evidence {start}-{end} {text[:60]!r} not drafted")
    for sp_ in spans:
        if any(_spans_overlap((s_, e_), sp_) > 0 for s_, e_, _ in evidence):
            e.correct += 1
    return scores


MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december")
READING = re.compile(r"\b(\d{1,2})(?:\s+(%s))?(?:\s*[-–]\s*(\d{1,2}))?\s+(%s)(?:\s+(\d{4}))?\b" % ("|".join(MONTH_NAMES), "|".join(MONTH_NAMES)), re.IGNORECASE)


def stated_readings(rule: str, year: int) -> set[tuple[str, str]]:
    """The ranges a curated date_rule writes out ('statement on Tuesday 20 June 2017; ...', '1-28 May
    2017'): where an event's range was widened or narrowed by other evidence, the rule still
    records what the words themselves say, and a draft that reads the words so is right."""
    found = set()
    for m in READING.finditer(rule or ""):
        day1, month1, day2, month2, y = m.groups()
        y = int(y) if y else year
        end_month = MONTH_NAMES.index(month2.lower()) + 1
        start_month = MONTH_NAMES.index(month1.lower()) + 1 if month1 else end_month
        try:
            start = date(y, start_month, int(day1))
            end = date(y, end_month, int(day2)) if day2 else (date(y, end_month, int(day1)) if not month1 else start)
        except ValueError:
            continue
        found.add((start.isoformat(), end.isoformat()))
    return found


def evaluate(root: Path | str, article_ids: list[str] | None = None) -> Evaluation:
    """Draft every curated article of the dataset at `root` and score the drafts."""
    root = Path(root)
    curated = {name: read_rows(root, name) for name in ("quotes", "quote_exclusions", "mentions", "event_sources", "events", "articles")}
    events = {r["event_id"]: r for r in curated["events"]}
    totals = {kind: Score() for kind in KINDS}
    done = []
    for article in curated["articles"]:
        aid = article["article_id"]
        if article_ids and aid not in article_ids:
            continue
        k = load_knowledge(root, exclude_article=aid)
        try:
            text = read_seed(root / article["seed_path"])
        except (OSError, UnicodeDecodeError) as e:
            raise UnusableInput([Problem(article["seed_path"], f"cannot read the seed of {aid}: {e}", "restore the seed file, or run from the dataset's root", code="evaluate.seed")])
        draft = draft_article(aid, text, date.fromisoformat(article["published_date"]), k, article.get("publisher", ""))
        for kind, score in score_article(draft, curated, events).items():
            totals[kind].add(score)
        done.append(aid)
    return Evaluation(root, done, totals)
