#!/usr/bin/env python3
"""A synthetic badia corpus at scale, for benchmarks: article texts and the tables that point into them.

    scripts/synth.py 20000 --out /tmp/badia-synth     # the large size (1M events, 2M event_sources)
    scripts/synth.py 20 --out /tmp/badia-tiny         # a smoke-test size

N is the number of articles; every other table scales with it (per article: 50 events, 100
event_sources, 25 quotes, 3 claims, 1 quote exclusion, and the first mention of each of the first
50 actors and places it names). The output is a complete dataset folder (datapackage.json, schemas/, seeds/,
data/) that passes `badia validate`: real texts, real character offsets, real sha256s, and the
repository's own schemas. Everything is drawn from one seed, so the same N and seed give the same
bytes. Frequencies are skewed as in real conflict data: a few actors and places take most of the
events (Zipf), most events have one or two reports, a few have many.

The corpus is synthetic: names are made of syllables, coordinates are random points inside a box
that lies in Syria, and no article or URL exists. It is written outside the repository only.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from badia.dataset.codes import ACLED_EVENT_TYPES, PARENT_KINDS  # noqa: E402

PER_ARTICLE = {"events": 50, "event_sources": 100, "quotes": 25, "claims": 3}
MENTIONS_PER_ARTICLE = 50  # the first mention of each of the first 50 entities named
SOURCE_WINDOW = 30  # later reports of an event come from the next SOURCE_WINDOW articles
# A box of the Syrian desert, well inside Syria (>= 0.4 degrees from any border).
LAT_RANGE, LON_RANGE = (34.0, 35.5), (37.0, 39.8)
YEAR_START = dt.date(2017, 1, 1)
SYLLABLES = ["qa", "ra", "ta", "bi", "sha", "mu", "za", "ha", "di", "nu", "ya", "ka", "sa", "li", "fa", "wa"]
ACTOR_PREFIXES = ["Liwa", "Jaish", "Brigade", "Battalion", "Forces of", "Army of", "Front of", "Council of"]
PLACE_PREFIXES = ["Bir", "Tal", "Jabal", "Wadi", "Khirbat", "Ayn", "Qasr", "Sabkhat"]
PUBLISHERS = ["Syria Direct", "Reuters", "Middle East Monitor", "The New Arab", "Enab Baladi", "Al-Monitor",
              "Associated Press", "Agence France-Presse", "Asharq Al-Awsat", "Zaman al-Wasl"]
DATELINES = ["AMMAN", "BEIRUT", "DAMASCUS", "ISTANBUL", "GAZIANTEP", "BAGHDAD", ""]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
ACTOR_KINDS = ["armed_group", "militia", "armed_force", "government", "coalition", "person", "organization", "media"]
SIDES = ["government-aligned", "opposition", "coalition", "islamic-state", "third-party", "unknown"]
WORDS = ("forces advance desert border base road convoy positions village checkpoint strike attack withdraw "
         "retake control militia rebels coalition garrison outpost highway area front ceasefire shelling "
         "drone aircraft patrol territory supply line talks warning threat defend training partner vetted "
         "encroachment escalation de-confliction zone kilometers south east north west regime opposition").split()
VERBS = {
    "Battles": "clashed with", "Explosions/Remote violence": "struck positions of",
    "Violence against civilians": "attacked civilians near positions of", "Protests": "protested against",
    "Riots": "rioted against", "Strategic developments": "moved against",
}
SUB_EVENT_WEIGHTS = {"Armed clash": 30, "Shelling/artillery/missile attack": 20, "Air/drone strike": 15,
                     "Government regains territory": 8, "Non-state actor overtakes territory": 5,
                     "Headquarters or base established": 4, "Non-violent transfer of territory": 3, "Attack": 3}


def name_of(index: int, prefixes: list[str], syllables: int = 3) -> str:
    """A pronounceable name unique to `index` (its digits in base len(SYLLABLES) spell the word)."""
    base = len(SYLLABLES) ** syllables
    # An odd multiplier permutes 0..base-1, so neighbouring indexes get unlike names.
    parts, n = [], (index % base) * 40503 % base + index // base * base
    for _ in range(syllables):
        parts.append(SYLLABLES[n % len(SYLLABLES)])
        n //= len(SYLLABLES)
    word = "".join(parts).capitalize()
    suffix = f" {n + 1}" if n else ""
    return f"{prefixes[index % len(prefixes)]} {word}{suffix}"


def zipf_choice(rng: np.random.Generator, n_items: int, size: int, exponent: float = 1.1) -> np.ndarray:
    """`size` draws from 0..n_items-1, item k with weight 1/(k+1)^exponent."""
    weights = 1.0 / np.arange(1, n_items + 1) ** exponent
    return rng.choice(n_items, size=size, p=weights / weights.sum())


def exact_counts(rng: np.random.Generator, n: int, total: int, probs: list[float]) -> np.ndarray:
    """n counts >= 1 drawn from probs (over 1, 2, ...), nudged to add up to `total` exactly."""
    counts = rng.choice(np.arange(1, len(probs) + 1), size=n, p=np.asarray(probs) / sum(probs))
    diff = total - int(counts.sum())
    while diff:
        pick = rng.integers(0, n, size=abs(diff))
        if diff > 0:
            np.add.at(counts, pick, 1)
        else:
            pick = np.unique(pick[counts[pick] > 1])
            counts[pick] -= 1
        diff = total - int(counts.sum())
    return counts


class Writer:
    """The CSV tables of the corpus, written row by row as the articles are generated."""

    def __init__(self, data: Path, schemas: dict[str, list[str]]):
        self.files, self.writers = {}, {}
        for name, header in schemas.items():
            fh = (data / f"{name}.csv").open("w", encoding="utf-8", newline="")
            self.files[name] = fh
            self.writers[name] = csv.writer(fh, lineterminator="\n")
            self.writers[name].writerow(header)

    def row(self, table: str, values: list) -> None:
        self.writers[table].writerow(["" if v is None else v for v in values])

    def close(self) -> None:
        for fh in self.files.values():
            fh.close()


class Article:
    """One article's text, built sentence by sentence while recording where each part lands."""

    def __init__(self):
        self.parts: list[str] = []
        self.length = 0
        self.first_mention: dict[tuple[str, str], tuple[int, str]] = {}

    def add(self, *pieces) -> list[int]:
        """Append a paragraph made of pieces (plain strings, or (kind, id, text) entities);
        returns the character offset of each piece."""
        starts = []
        for piece in pieces:
            text = piece if isinstance(piece, str) else piece[2]
            starts.append(self.length)
            if not isinstance(piece, str):
                self.first_mention.setdefault((piece[0], piece[1]), (self.length, text))
            self.parts.append(text)
            self.length += len(text)
        self.parts.append("\n\n")
        self.length += 2
        return starts

    def text(self) -> str:
        return "".join(self.parts)


def generate(out: Path, n_articles: int, seed: int) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    schemas_dir = ROOT / "schemas"
    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    headers = {r["name"]: [f["name"] for f in json.loads((ROOT / r["schema"]).read_text(encoding="utf-8"))["fields"]]
               for r in descriptor["resources"]}
    shutil.copytree(schemas_dir, out / "schemas")
    descriptor["title"] = f"Synthetic badia corpus ({n_articles} articles, seed {seed})"
    descriptor["description"] = "Synthetic data generated by scripts/synth.py for benchmarks; no row describes a real event."
    descriptor["sources"] = [{"title": "scripts/synth.py (synthetic)"}]
    (out / "datapackage.json").write_text(json.dumps(descriptor, indent=2) + "\n", encoding="utf-8")
    (out / "seeds").mkdir()
    (out / "data").mkdir()
    w = Writer(out / "data", headers)

    n_actors, n_places = max(30, n_articles // 10), max(30, n_articles // 8)
    n_events = PER_ARTICLE["events"] * n_articles
    n_sources = PER_ARTICLE["event_sources"] * n_articles
    n_quotes = PER_ARTICLE["quotes"] * n_articles

    actor_names = [name_of(i, ACTOR_PREFIXES, 4) for i in range(n_actors)]
    for i, name in enumerate(actor_names):
        parent = f"actor_{int(rng.integers(0, i)):05d}" if i > 5 and rng.random() < 0.3 else None
        if parent is not None and ACTOR_KINDS[int(parent[6:]) % len(ACTOR_KINDS)] not in PARENT_KINDS[ACTOR_KINDS[i % len(ACTOR_KINDS)]]:
            parent = None  # the validator refuses a parent of a kind that cannot hold the child
        inter = int(rng.integers(1, 9))
        w.row("actors", [f"actor_{i:05d}", name, ACTOR_KINDS[i % len(ACTOR_KINDS)], inter, parent, SIDES[i % len(SIDES)],
                         f"{name.split()[-1]} group" if i % 4 == 0 else None, None])

    place_names = [name_of(i, PLACE_PREFIXES, 3) for i in range(n_places)]
    has_coords = rng.random(n_places) < 0.7
    lats = np.round(rng.uniform(*LAT_RANGE, n_places), 4)
    lons = np.round(rng.uniform(*LON_RANGE, n_places), 4)
    for i, name in enumerate(place_names):
        coords = [float(lats[i]), float(lons[i]), int(rng.integers(1, 4))] if has_coords[i] else [None, None, None]
        w.row("places", [f"place_{i:05d}", name, None, PLACE_PREFIXES[i % len(PLACE_PREFIXES)].lower(), *coords, None, "SY", None, None,
                         "synthetic point (scripts/synth.py)" if has_coords[i] else None, None])

    # Articles in publication order over the year; a publisher distribution skewed to a few outlets.
    published = [YEAR_START + dt.timedelta(days=int(d)) for d in np.arange(n_articles) * 365 // n_articles]
    publisher = zipf_choice(rng, len(PUBLISHERS), n_articles, 1.0)

    # Events: reported first by article a0, then by later articles within the window.
    window = max(1, min(SOURCE_WINDOW, n_articles // 2))
    n_reports = exact_counts(rng, n_events, n_sources, [0.45, 0.3, 0.13, 0.07, 0.03, 0.02])
    n_reports = np.minimum(n_reports, window + 1) if n_articles > 1 else np.ones(n_events, dtype=int)
    first = np.sort(rng.integers(0, max(1, n_articles - window), n_events)) if n_articles > 1 else np.zeros(n_events, dtype=int)
    subs = list(SUB_EVENT_WEIGHTS)
    sub_idx = rng.choice(len(subs), n_events, p=np.array(list(SUB_EVENT_WEIGHTS.values())) / sum(SUB_EVENT_WEIGHTS.values()))
    event_type_of = {sub: etype for etype, ss in ACLED_EVENT_TYPES.items() for sub in ss}
    event_place = zipf_choice(rng, n_places, n_events)
    actor1 = zipf_choice(rng, n_actors, n_events)
    actor2 = (actor1 + 1 + zipf_choice(rng, n_actors - 1, n_events)) % n_actors
    has_actor2 = (rng.random(n_events) < 0.8) | (np.array([event_type_of[s] for s in subs])[sub_idx] == "Battles")  # a battle has an opponent
    has_assoc = rng.random(n_events) < 0.2
    assoc = zipf_choice(rng, n_actors, n_events)
    precision = rng.choice([1, 2, 3, 4, 5], n_events, p=[0.6, 0.15, 0.1, 0.1, 0.05])
    span_days = np.select([precision == 1, precision == 2, precision == 3, precision == 4],
                          [1, rng.integers(2, 7, n_events), 7, rng.integers(8, 32, n_events)], rng.integers(32, 121, n_events))
    lag = rng.integers(0, 4, n_events)
    fatalities = np.where(rng.random(n_events) < 0.6, rng.geometric(0.2, n_events) - 1, -1)

    # Which articles report each event: a0 and distinct later ones.
    offsets = np.argsort(rng.random((n_events, window)), axis=1)[:, :max(0, int(n_reports.max()) - 1)] + 1
    report_article, report_event = [], []
    for k in range(int(n_reports.max())):
        has = n_reports > k
        events_k = np.flatnonzero(has)
        report_event.append(events_k)
        report_article.append(first[has] + (offsets[has, k - 1] if k else 0))
    report_event = np.concatenate(report_event)
    report_article = np.concatenate(report_article)
    order = np.lexsort((report_event, report_article))
    report_event, report_article = report_event[order], report_article[order]
    reports_at = np.searchsorted(report_article, np.arange(n_articles + 1))

    quotes_per_article = rng.multinomial(n_quotes, np.full(n_articles, 1 / n_articles))
    quote_words = zipf_choice(rng, len(WORDS), n_quotes * 12, 0.8)
    vocabulary = WORDS + [f"{s}{t}" for s in SYLLABLES for t in SYLLABLES]
    rare_words = rng.integers(len(WORDS), len(vocabulary), n_quotes * 12)
    use_rare = rng.random(n_quotes * 12) < 0.15
    quote_speaker = zipf_choice(rng, n_actors, n_quotes)

    def event_date(e: int) -> tuple[dt.date, dt.date]:
        end = published[first[e]] - dt.timedelta(days=int(lag[e]))
        return end - dt.timedelta(days=int(span_days[e]) - 1), end

    def actor(i: int) -> tuple:
        return ("actor", f"actor_{i:05d}", actor_names[i])

    def place(i: int) -> tuple:
        return ("place", f"place_{i:05d}", place_names[i])

    # events.csv and event_actors.csv do not depend on the texts: write them first.
    for e in range(n_events):
        start, end = event_date(e)
        sub = subs[sub_idx[e]]
        etype = event_type_of[sub]
        summary = f"{actor_names[actor1[e]]} {VERBS[etype]} {actor_names[actor2[e]] if has_actor2[e] else 'unknown forces'} near {place_names[event_place[e]]}."
        w.row("events", [f"e{e:07d}", start.isoformat(), end.isoformat(), int(precision[e]), etype, sub, f"place_{event_place[e]:05d}",
                         int(rng.integers(1, 4)), summary, int(fatalities[e]) if fatalities[e] >= 0 else None, None])
        w.row("event_actors", [f"e{e:07d}", f"actor_{actor1[e]:05d}", "actor1"])
        if has_actor2[e]:
            w.row("event_actors", [f"e{e:07d}", f"actor_{actor2[e]:05d}", "actor2"])
        if has_assoc[e]:
            w.row("event_actors", [f"e{e:07d}", f"actor_{assoc[e]:05d}", "assoc_actor_1"])

    counts = {"articles": n_articles, "actors": n_actors, "places": n_places, "events": n_events,
              "event_sources": len(report_event), "quotes": n_quotes, "claims": 0, "quote_exclusions": n_articles, "mentions": 0}
    q = 0
    mention_id = claim_id = 0
    for a in range(n_articles):
        art = Article()
        pub = published[a]
        art.add("Synthetic report ", f"#{a}", ": ", place(int(event_place[report_event[reports_at[a]]]) if reports_at[a] < reports_at[a + 1] else 0))
        heading = "“Analysis”"
        (h,) = art.add(heading)
        w.row("quote_exclusions", [f"a{a:06d}", h, h + len(heading), heading, "section heading in quotation marks, not speech"])
        art.add(f"{DATELINES[a % len(DATELINES)] or 'DESERT'}: {pub.day} {pub.strftime('%B %Y')}")

        items = [("report", i) for i in range(reports_at[a], reports_at[a + 1])] + [("quote", q + j) for j in range(quotes_per_article[a])]
        items += [("claim", j) for j in range(PER_ARTICLE["claims"])]
        for kind, i in (items[k] for k in rng.permutation(len(items))):
            if kind == "report":
                e = int(report_event[i])
                end = event_date(e)[1]
                sub = subs[sub_idx[e]]
                when = f"on {WEEKDAYS[end.weekday()]}" if precision[e] == 1 else f"in the days to {end.day} {end.strftime('%B')}"
                other = actor(int(actor2[e])) if has_actor2[e] else "unknown forces"
                pieces = [actor(int(actor1[e])), f" {VERBS[event_type_of[sub]]} ", other, " near ", place(int(event_place[e])), f" {when}"]
                fat = f", killing {fatalities[e]}" if fatalities[e] > 0 else ""
                starts = art.add(*pieces, f"{fat} — {sub.lower()}.", " Sources confirmed the report.")
                ev_start = starts[0]
                evidence = "".join(p if isinstance(p, str) else p[2] for p in pieces) + f"{fat} — {sub.lower()}."
                w.row("event_sources", [f"e{e:07d}", f"a{a:06d}", ev_start, ev_start + len(evidence), evidence, when,
                                        "weekday before publication" if precision[e] == 1 else "range ending on the stated day"])
            elif kind == "quote":
                words = np.where(use_rare[i * 12:(i + 1) * 12], rare_words[i * 12:(i + 1) * 12], quote_words[i * 12:(i + 1) * 12])
                length = 5 + i % 8
                said = " ".join(vocabulary[k] for k in words[:length]).capitalize()
                speaker = int(quote_speaker[i])
                unknown = i % 50 == 0
                who = "a source" if unknown else actor(speaker)
                starts = art.add("“", said, ",” ", who, f" said on {WEEKDAYS[(pub.weekday() - 1) % 7]}.")
                event_id = f"e{report_event[reports_at[a]]:07d}" if i % 3 == 0 and reports_at[a] < reports_at[a + 1] else None
                w.row("quotes", [f"q{i:07d}", f"a{a:06d}", starts[1], starts[1] + len(said), said, "direct" if i % 5 else "partial",
                                 None if unknown else f"actor_{speaker:05d}", "a source" if unknown else actor_names[speaker],
                                 "unknown" if unknown else "named", "said", "statement", (pub - dt.timedelta(days=1)).isoformat(), event_id,
                                 "the article does not name the source" if unknown else None])
            else:
                ref, claimant, km = int(rng.integers(0, n_places)), int(rng.integers(0, n_actors)), int(rng.integers(5, 200))
                claim = f"{km} km east of "
                starts = art.add("The front line lies ", claim, place(ref), ", according to ", actor(claimant), ".")
                text = claim + place_names[ref]
                w.row("claims", [f"c{claim_id:07d}", f"a{a:06d}", starts[1], starts[1] + len(text), text, f"actor_{claimant:05d}",
                                 "front line", None, None, "distance", km, "km", "approximate", f"place_{ref:05d}", "east", None])
                claim_id += 1
        q += quotes_per_article[a]

        for (kind, ident), (start, text) in sorted(art.first_mention.items(), key=lambda kv: kv[1][0])[:MENTIONS_PER_ARTICLE]:
            w.row("mentions", [f"m{mention_id:08d}", f"a{a:06d}", start, start + len(text), text, kind,
                               ident if kind == "actor" else None, ident if kind == "place" else None])
            mention_id += 1

        data = art.text().encode("utf-8")
        (out / "seeds" / f"a{a:06d}.txt").write_bytes(data)
        inferred = a % 20 == 0
        w.row("articles", [f"a{a:06d}", f"seeds/a{a:06d}.txt", hashlib.sha256(data).hexdigest(), PUBLISHERS[publisher[a]],
                           f"Synthetic report {a} from the desert front", None, DATELINES[a % len(DATELINES)] or None, pub.isoformat(),
                           "true" if inferred else "false", "date inferred from the dateline (synthetic)" if inferred else None, None, "en"])
    w.close()
    counts.update(claims=claim_id, mentions=mention_id)
    return counts


def add_article(root: Path, tag: str, seed: int = 1) -> dict[str, int]:
    """Append one new article to an existing corpus, as a contributor's pull request would: its seed,
    its articles row, 50 new events (with actors and reports) and 50 more reports of existing events,
    25 quotes, its mentions. Rows are appended: the bytes already in data/ are unchanged."""
    rng = np.random.default_rng(seed)
    data = root / "data"

    names: dict[str, str] = {}
    ids: dict[str, list[str]] = {}
    for table in ("actors", "places"):
        with (data / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))[1:]
        names.update({row[0]: row[1] for row in rows})
        ids[table] = [row[0] for row in rows]
    actors, places = ids["actors"], ids["places"]
    with (data / "events.csv").open("rb") as fh:
        fh.seek(-(1 << 20), 2) if fh.seek(0, 2) > 1 << 20 else fh.seek(0)
        # the last synthetic event (rows added by earlier pull requests have other ids)
        last_event = [line.split(",")[0] for line in fh.read().decode("utf-8", "replace").splitlines() if re.match(r"e[0-9]+,", line)][-1]
    article, pub = f"{tag}", dt.date(2017, 12, 31)
    files = {t: (data / f"{t}.csv").open("a", encoding="utf-8", newline="") for t in
             ("articles", "events", "event_actors", "event_sources", "quotes", "mentions")}
    writers = {t: csv.writer(fh, lineterminator="\n") for t, fh in files.items()}
    art = Article()
    art.add("Synthetic pull request ", tag)
    new_events = [f"{tag}-e{k:03d}" for k in range(50)]
    old_events = [f"e{int(k):07d}" for k in rng.integers(0, int(last_event[1:]) + 1, 50)]
    for k, event in enumerate(new_events + old_events):
        a1, a2, pl = actors[int(rng.integers(0, len(actors)))], actors[int(rng.integers(0, len(actors)))], places[int(rng.integers(0, len(places)))]
        pieces = [("actor", a1, names[a1]), " clashed with ", ("actor", a2, names[a2]), " near ", ("place", pl, names[pl]), " on Saturday."]
        start = art.add(*pieces)[0]
        evidence = "".join(x if isinstance(x, str) else x[2] for x in pieces)
        writers["event_sources"].writerow([event, article, start, start + len(evidence), evidence, "on Saturday", "weekday before publication"])
        if k < len(new_events):
            writers["events"].writerow([event, "2017-12-30", "2017-12-30", 1, "Battles", "Armed clash", pl, 1,
                                        f"{names[a1]} clashed with {names[a2]} near {names[pl]}.", "", ""])
            writers["event_actors"].writerow([event, a1, "actor1"])
            writers["event_actors"].writerow([event, a2 if a2 != a1 else actors[(actors.index(a1) + 1) % len(actors)], "actor2"])
    for k in range(25):
        speaker = actors[int(rng.integers(0, len(actors)))]
        said = f"We hold the line near the border, number {k}"
        start = art.add("“", said, ",” ", ("actor", speaker, names[speaker]), " said on Saturday.")[1]
        writers["quotes"].writerow([f"{tag}-q{k:02d}", article, start, start + len(said), said, "direct", speaker, names[speaker],
                                    "named", "said", "statement", "2017-12-30", new_events[k], ""])
    for k, ((kind, ident), (start, text)) in enumerate(sorted(art.first_mention.items(), key=lambda kv: kv[1][0])):
        writers["mentions"].writerow([f"{tag}-m{k:03d}", article, start, start + len(text), text, kind,
                                      ident if kind == "actor" else "", ident if kind == "place" else ""])
    body = art.text().encode("utf-8")
    (root / "seeds" / f"{tag}.txt").write_bytes(body)
    writers["articles"].writerow([article, f"seeds/{tag}.txt", hashlib.sha256(body).hexdigest(), "Syria Direct",
                                  f"Synthetic pull request {tag}", "", "", pub.isoformat(), "false", "", "", "en"])
    for fh in files.values():
        fh.close()
    return {"events": len(new_events), "event_sources": len(new_events) + len(old_events), "quotes": 25, "mentions": len(art.first_mention)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("articles", type=int, nargs="?", default=20000, help="number of articles (default 20000: 1M events)")
    p.add_argument("--out", type=Path, default=Path("/tmp/badia-synth"), help="output folder, outside the repository (default /tmp/badia-synth)")
    p.add_argument("--seed", type=int, default=2017)
    p.add_argument("--force", action="store_true", help="replace the output folder if it exists")
    p.add_argument("--add-article", metavar="ID", help="instead: append one new article with this id to the corpus at --out")
    args = p.parse_args(argv)
    if args.add_article:
        print(json.dumps(add_article(args.out, args.add_article, args.seed)))
        return 0
    out = args.out.resolve()
    if out == ROOT or ROOT in out.parents:
        p.error(f"{out} is inside the repository: write the synthetic corpus elsewhere (e.g. /tmp/badia-synth)")
    if args.articles < 1:
        p.error("the number of articles must be at least 1")
    if out.exists():
        if not args.force:
            p.error(f"{out} exists: pass --force to replace it")
        shutil.rmtree(out)
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    counts = generate(staging, args.articles, args.seed)
    staging.rename(out)
    print(json.dumps({"out": str(out), "seed": args.seed, "rows": counts}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
