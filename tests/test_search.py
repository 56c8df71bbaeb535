"""The site's one search (badia.site.search) on a real build: every spelling of a name that the
curated tables record finds its row, and the transliterations of one name find the same rows.
Expected values from data/*.csv; the search read from the built SQLite database."""

from __future__ import annotations

import csv
import re
import sqlite3
from pathlib import Path

import pytest
from datasette.app import Datasette

from badia.site import search
from badia.site.views import PLUGINS_DIR, TEMPLATES_DIR
from conftest import ROOT


def rows(name: str) -> list[dict]:
    with (ROOT / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def db(built: Path):
    conn = sqlite3.connect(f"file:{built / 'badia.db'}?mode=ro", uri=True)
    yield conn
    conn.close()


def found(conn, query: str, kind: str) -> set[str]:
    groups = search.search(conn, query, [kind], limit=10_000)
    return {r["item_id"] for g in groups for r in g.rows}


def test_every_recorded_spelling_finds_its_place_and_actor(db):
    for place in rows("places"):
        for spelling in [place["name"], *filter(None, place["variants"].split(";"))]:
            assert place["place_id"] in found(db, spelling, "place"), (place["place_id"], spelling)
    for actor in rows("actors"):
        for spelling in [actor["name"], *filter(None, actor["aliases"].split(";"))]:
            assert actor["actor_id"] in found(db, spelling, "actor"), (actor["actor_id"], spelling)


def test_transliterations_of_tanf_find_the_same_rows(db):
    spelled = {q["quote_id"] for q in rows("quotes") if re.search(r"\ba-Tanf\b", q["text"])}
    assert spelled
    results = {spelling: {kind: found(db, spelling, kind) for kind in search.KINDS} for spelling in ("al-Tanf", "a-Tanf", "At Tanf", "Tanf")}
    assert all(r == results["Tanf"] for r in results.values())
    assert spelled <= results["al-Tanf"]["quote"]
    # Every event at a place that is spelled Tanf is found, whether or not its summary names it.
    tanf_places = {p["place_id"] for p in rows("places") if re.search(r"\bTanf\b", p["name"] + ";" + p["variants"])}
    at_tanf = {e["event_id"] for e in rows("events") if e["place_id"] in tanf_places}
    assert at_tanf and at_tanf <= results["Tanf"]["event"]


def test_acronyms_keep_their_case(db):
    """"IS" (the Islamic State) is not the word "is": it finds the events whose summary, actors or
    place write IS in capitals, and no other."""
    acronym = re.compile(r"\bIS\b")
    actors = {a["actor_id"]: a["name"] + ";" + a["aliases"] for a in rows("actors")}
    places = {p["place_id"]: p["name"] + ";" + p["variants"] for p in rows("places")}
    roles: dict[str, list[str]] = {}
    for ea in rows("event_actors"):
        roles.setdefault(ea["event_id"], []).append(ea["actor_id"])
    expected = {e["event_id"] for e in rows("events")
                if acronym.search(e["summary"]) or acronym.search(places[e["place_id"]])
                or any(acronym.search(actors[a]) for a in roles.get(e["event_id"], []))}
    assert expected and found(db, "IS", "event") == expected


@pytest.mark.asyncio
async def test_search_page_groups_by_kind_and_pages(built: Path):
    import json

    ds = Datasette(immutables=[str(built / "badia.db")], metadata=json.loads((built / "metadata.json").read_text()),
                   plugins_dir=str(PLUGINS_DIR), template_dir=str(TEMPLATES_DIR))
    page = (await ds.client.get("/search?q=al-Tanf")).text
    sections = re.findall(r'<section class="results" id="(\w+)"', page)
    assert "quote" in sections and sections == sorted(sections, key=list(search.KINDS).index)
    empty = await ds.client.get("/search?q=%22%29%28*")  # FTS syntax in a query is words, not an error
    assert empty.status_code == 200
    assert (await ds.client.get("/places/no_such_place")).status_code == 404
    assert (await ds.client.get("/search?q=Tanf&kind=event&after=not-a-number")).status_code == 200
