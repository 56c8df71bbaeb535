"""The Datasette site of a real build: views, canned queries, descriptions, article pages, safety.

Expectations are computed here from the curated CSVs, independently of the SQL under test."""

from __future__ import annotations

import csv
import html.parser
import json
import sqlite3
from collections import defaultdict
from pathlib import Path

import pytest
from datasette.app import Datasette
from hypothesis import given, settings
from hypothesis import strategies as st

from badia.site.views import PLUGINS_DIR, TEMPLATES_DIR, VIEWS, Span, highlight_html
from conftest import ROOT


def rows(name: str) -> list[dict]:
    with (ROOT / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def site(built: Path) -> Datasette:
    from badia.site.serve import datasette_args

    args = datasette_args(built, "127.0.0.1", 8001)
    assert "--immutable" in args and "--plugins-dir" in args and "--template-dir" in args
    settings = {args[i + 1]: args[i + 2] for i, arg in enumerate(args) if arg == "--setting"}  # --setting NAME VALUE
    return Datasette(immutables=[str(built / "badia.db")], metadata=json.loads((built / "metadata.json").read_text()),
                     plugins_dir=str(PLUGINS_DIR), template_dir=str(TEMPLATES_DIR),
                     settings={"sql_time_limit_ms": int(settings["sql_time_limit_ms"]), "allow_download": settings["allow_download"] == "on"})


async def get(ds: Datasette, path: str, status: int = 200):
    response = await ds.client.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:500])
    return response


async def json_rows(ds: Datasette, path: str) -> list[dict]:
    sep = "&" if "?" in path else "?"
    return (await get(ds, f"{path}{sep}_shape=array&_size=max")).json()


@pytest.mark.asyncio
async def test_every_table_view_and_column_is_described(site, built):
    metadata = json.loads((built / "metadata.json").read_text())["databases"]["badia"]["tables"]
    with sqlite3.connect(built / "badia.db") as conn:
        objects = conn.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE '%_fts%' AND name NOT LIKE 'sqlite_%'").fetchall()
        for name, kind in objects:
            assert metadata.get(name, {}).get("description"), f"{kind} {name} has no description"
            if metadata[name].get("hidden"):
                continue
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info([{name}])")]
            described = metadata[name].get("columns", {})
            assert [c for c in columns if not described.get(c)] == [], f"{name}: undescribed columns"
    assert {v.name for v in VIEWS if v.materialised} <= {name for name, kind in objects if kind == "table"}
    assert {v.name for v in VIEWS if not v.materialised} <= {name for name, kind in objects if kind == "view"}


@pytest.mark.asyncio
async def test_events_flat_speaks_acled(site):
    events = {e["event_id"]: e for e in rows("events")}
    places = {p["place_id"]: p for p in rows("places")}
    actors = {a["actor_id"]: a for a in rows("actors")}
    roles = defaultdict(lambda: defaultdict(list))
    for ea in rows("event_actors"):
        roles[ea["event_id"]][ea["role"]].append(ea["actor_id"])
    flat = await json_rows(site, "/badia/events_flat.json")
    assert sorted(r["event_id"] for r in flat) == sorted(events)
    for r in flat:
        event, place = events[r["event_id"]], places[events[r["event_id"]]["place_id"]]
        assert r["event_date"] == event["date_start"] and r["notes"] == event["summary"]
        for role in ("actor1", "assoc_actor_1", "actor2", "assoc_actor_2"):
            expected = sorted(actors[a]["name"] for a in roles[r["event_id"]][role])
            assert (r[role] or "") == "; ".join(expected), (r["event_id"], role)
        assert r["location"] == place["name"]
        assert r["latitude"] == (float(place["latitude"]) if place["latitude"] else None)
        inter = [min((int(actors[a]["acled_inter"]) for a in roles[r["event_id"]][role] if actors[a]["acled_inter"]), default=None)
                 for role in ("actor1", "actor2")]
        if inter[0] is None:
            assert r["interaction"] is None
        elif inter[1] is None:
            assert r["interaction"] == inter[0] * 10
        else:
            assert r["interaction"] == min(inter) * 10 + max(inter)
        assert r["fatalities"] == (int(event["fatalities"]) if event["fatalities"] else None)


@pytest.mark.asyncio
async def test_quote_event_and_map_views(site):
    actors = {a["actor_id"]: a["name"] for a in rows("actors")}
    quotes = await json_rows(site, "/badia/quotes_with_speakers.json")
    assert len(quotes) == len(rows("quotes"))
    for q in quotes:
        assert q["speaker"] == actors.get(q["speaker_actor_id"])
    reports = await json_rows(site, "/badia/event_reports.json")
    assert sorted((r["event_id"], r["article_id"], r["char_start"]) for r in reports) == sorted(
        (s["event_id"], s["article_id"], int(s["char_start"])) for s in rows("event_sources"))
    with_coords = {p["place_id"] for p in rows("places") if p["latitude"]}
    mapped = await json_rows(site, "/badia/events_map.json")
    assert sorted(r["event_id"] for r in mapped) == sorted(e["event_id"] for e in rows("events") if e["place_id"] in with_coords)
    word = next(w for w in rows("quotes")[0]["text"].split() if len(w) > 4).strip(".,“”\"'’‘")
    found = await json_rows(site, f"/badia/quotes_with_speakers.json?_search={word}")
    assert found and all(word.lower()[:4] in (q["text"] + (q["speaker_as_written"] or "") + (q["attribution"] or "")).lower() for q in found)


@pytest.mark.asyncio
async def test_site_tables_read_in_order_and_are_searched_through_their_base_tables_index(site):
    """The materialised site tables are shown in their reading order (the `sort` metadata), and
    their search (the base table's FTS index, through the rowids they keep) finds the same rows."""
    for table, sort in (("events_flat", "event_date"), ("quotes_with_speakers", "day"), ("events_map", "event_date")):
        shown = [r[sort] for r in await json_rows(site, f"/badia/{table}.json")]
        assert len(shown) > 1 and shown == sorted(shown, key=lambda v: (v is not None, v or "")), table
        assert f"sorted by {sort}" in (await get(site, f"/badia/{table}")).text, table
    for table, base, key in (("events_flat", "events", "event_id"), ("quotes_with_speakers", "quotes", "quote_id")):
        for text in [r["summary" if base == "events" else "text"] for r in rows(base)[:3]]:
            word = max(text.split(), key=len).strip(".,“”\"'’‘()")
            found = {r[key] for r in await json_rows(site, f"/badia/{table}.json?_search={word}")}
            assert found and found == {r[key] for r in await json_rows(site, f"/badia/{base}.json?_search={word}")}, (table, word)


@pytest.mark.asyncio
async def test_canned_queries(site):
    event_actors = rows("event_actors")
    actor = max({ea["actor_id"] for ea in event_actors}, key=lambda a: sum(ea["actor_id"] == a for ea in event_actors))
    found = await json_rows(site, f"/badia/events_involving_actor.json?actor={actor}")
    assert {r["event_id"] for r in found} >= {ea["event_id"] for ea in event_actors if ea["actor_id"] == actor}

    speaker = rows("quotes")[0]["speaker_actor_id"]
    said = await json_rows(site, f"/badia/said_by_speaker.json?speaker={speaker}")
    assert {r["quote_id"] for r in said} >= {q["quote_id"] for q in rows("quotes") if q["speaker_actor_id"] == speaker}

    event = rows("event_sources")[0]["event_id"]
    reports = await json_rows(site, f"/badia/reports_of_event.json?event_id={event}")
    assert len(reports) == sum(s["event_id"] == event for s in rows("event_sources"))

    claims = rows("claims")
    expected = set()
    for a in claims:
        for b in claims:
            about_a = a["subject_place_id"] or a["subject_event_id"] or a["subject"]
            about_b = b["subject_place_id"] or b["subject_event_id"] or b["subject"]
            same_measure = a["property"] == b["property"] and about_a == about_b and all(a[k] == b[k] for k in ("unit", "reference_place_id"))
            differs = (a["value"] and b["value"] and float(a["value"]) != float(b["value"])) or (
                a["direction"] and b["direction"] and a["direction"] != b["direction"])
            noted = f"CONFLICTS with {b['claim_id']}" in a["note"] or f"CONFLICTS with {a['claim_id']}" in b["note"]
            if a["claim_id"] < b["claim_id"] and ((same_measure and differs) or noted):
                expected.add((a["claim_id"], b["claim_id"]))
    conflicts = await json_rows(site, "/badia/conflicting_claims.json")
    assert {(r["claim_a"], r["claim_b"]) for r in conflicts} == expected
    flagged = {c["claim_id"] for c in claims if "CONFLICTS with" in c["note"]}
    assert flagged <= {claim for pair in expected for claim in pair}, "a conflict the curators noted is missing"



@pytest.mark.asyncio
async def test_article_page_links_every_span_and_back(site):
    article = rows("articles")[0]
    page = (await get(site, f"/articles/{article['article_id']}")).text
    for q in (q for q in rows("quotes") if q["article_id"] == article["article_id"]):
        assert f'id="quote-{q["quote_id"]}"' in page
        assert f'href="/badia/quotes/{q["quote_id"]}"' in page
    for m in (m for m in rows("mentions") if m["article_id"] == article["article_id"]):
        assert f'id="mention-{m["mention_id"]}"' in page
    quote = rows("quotes")[0]
    row_page = (await get(site, f"/badia/quotes/{quote['quote_id']}")).text
    assert f'href="/articles/{quote["article_id"]}#quote-{quote["quote_id"]}"' in row_page
    index = (await get(site, "/articles")).text
    assert all(f'href="/articles/{a["article_id"]}"' in index for a in rows("articles"))
    await get(site, "/articles/no_such_article", status=404)


@pytest.mark.asyncio
async def test_served_safely(site, built):
    from badia.cli import parser

    args = parser().parse_args(["serve"])
    assert args.host == "127.0.0.1"
    before = (built / "badia.db").read_bytes()
    response = await site.client.get("/badia.json?sql=DELETE+FROM+events")
    assert response.status_code >= 400
    response = await site.client.post("/badia/events_involving_actor", data={"actor": "x"})
    assert response.status_code >= 400
    assert (await site.client.get("/badia.db")).status_code in (403, 404)
    assert (built / "badia.db").read_bytes() == before
    settings = (await get(site, "/-/settings.json")).json()
    assert settings["sql_time_limit_ms"] <= 5000 and settings["allow_download"] is False


@pytest.mark.asyncio
async def test_offline_base_map_tiles(site, built):
    metadata = json.loads((built / "metadata.json").read_text())
    layer = metadata["databases"]["badia"]["tables"]["places"]["plugins"]["datasette-cluster-map"]["tile_layer"]
    assert not layer.startswith("http")
    tile = await get(site, layer.format(z=6, x=38, y=25))
    assert tile.headers["content-type"] == "image/png" and tile.content[:8] == b"\x89PNG\r\n\x1a\n"


# --- highlight_html on any text and any spans ----------------------------------------------------

class Parsed(html.parser.HTMLParser):
    """Collects text, open/close balance, ids and which ids cover each character."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.stack, self.ids, self.cover = [], [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        assert not (tag == "a" and any(t == "a" for t, _, _ in self.stack)), "a link inside a link"
        self.stack.append((tag, attrs.get("class", ""), attrs.get("title")))
        if "id" in attrs:
            self.ids.append(attrs["id"])

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1][0] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data):
        assert not any("tag" in cls.split() for _, cls, _ in self.stack), "text inside a tag link"
        titles = frozenset(t for _, cls, t in self.stack if "hl" in cls.split())
        for ch in data:
            self.text.append(ch)
            self.cover.append(titles)


@st.composite
def text_and_spans(draw):
    text = draw(st.text(alphabet="ab <&>\"\n’", min_size=1, max_size=40))
    spans = []
    for i in range(draw(st.integers(0, 8))):
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start + 1, len(text)))
        kind = draw(st.sampled_from(["evidence", "claim", "quote", "excluded", "mention"]))
        spans.append(Span(start, end, kind, f"{kind}-{i}", f"/row/{i}", f"span {i}"))
    return text, spans


@settings(max_examples=300, deadline=None)
@given(text_and_spans())
def test_highlight_keeps_text_nests_elements_and_covers_exactly_the_spans(case):
    text, spans = case
    parser = Parsed()
    parser.feed(highlight_html(text, spans))
    parser.close()
    assert parser.stack == []
    assert "".join(parser.text) == text
    assert sorted(parser.ids) == sorted(s.anchor for s in spans)
    for i in range(len(text)):
        assert parser.cover[i] == frozenset(s.title for s in spans if s.start <= i < s.end)
