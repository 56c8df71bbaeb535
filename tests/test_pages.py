"""The reader's pages (home, place, actor, event) on a real build in Datasette, for every place,
actor and event of the data: each page lists exactly the rows the CSVs say it should. The browser
tests (test_reader_pages.py) click through them; these check every page's content."""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
from datasette.app import Datasette

from badia.site.views import PLUGINS_DIR, TEMPLATES_DIR
from conftest import ROOT


def rows(name: str) -> list[dict]:
    with (ROOT / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def site(built: Path) -> Datasette:
    return Datasette(immutables=[str(built / "badia.db")], metadata=json.loads((built / "metadata.json").read_text()),
                     plugins_dir=str(PLUGINS_DIR), template_dir=str(TEMPLATES_DIR))


async def html(site: Datasette, path: str) -> str:
    response = await site.client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return response.text


def shown_events(page: str) -> list[str]:
    return re.findall(r'<article class="event" id="event-([^"]+)"', page)


@pytest.mark.asyncio
async def test_home_page_states_the_scope_from_the_data(site):
    events, articles = rows("events"), rows("articles")
    page = await html(site, "/")
    assert f"{len(events):,} events" in page and f"{len(articles):,} articles" in page
    assert f"from {min(e['date_start'] for e in events)} to {max(e['date_end'] for e in events)}" in page
    # Every bar of the timeline links to a slice of events_flat; their counts add up to all events.
    counts = [int(n) for n in re.findall(r"<title>[^<]*: (\d+) [^<]*</title></rect>", page)]
    assert sum(counts) == len(events)
    assert all(f'href="/articles/{a["article_id"]}"' in page for a in articles)


@pytest.mark.asyncio
async def test_every_place_page_lists_its_events_in_date_order_with_their_quotes(site):
    events = rows("events")
    quotes_of = defaultdict(list)
    for q in rows("quotes"):
        quotes_of[q["event_id"]].append(q["quote_id"])
    mentioned = defaultdict(set)
    for m in rows("mentions"):
        if m["place_id"]:
            mentioned[m["place_id"]].add(m["article_id"])
    for place in rows("places"):
        page = await html(site, f"/places/{place['place_id']}")
        here = sorted((e for e in events if e["place_id"] == place["place_id"]), key=lambda e: (e["date_start"], e["event_id"]))
        assert shown_events(page) == [e["event_id"] for e in here], place["place_id"]
        for e in here:
            assert all(f"#quote-{q}" in page for q in quotes_of[e["event_id"]])
        listed = set(re.findall(r'<li><a href="/articles/([^"#]+)">', page.split("Articles that mention", 1)[1]))
        assert listed == mentioned[place["place_id"]], place["place_id"]


@pytest.mark.asyncio
async def test_place_page_for_one_month_lists_the_events_that_overlap_it(site):
    events = rows("events")
    for place_id in sorted({e["place_id"] for e in events}):
        page = await html(site, f"/places/{place_id}?month=2017-05")
        expected = sorted((e for e in events if e["place_id"] == place_id and e["date_start"] <= "2017-05-31" and e["date_end"] >= "2017-05-01"),
                          key=lambda e: (e["date_start"], e["event_id"]))
        assert shown_events(page) == [e["event_id"] for e in expected], place_id


@pytest.mark.asyncio
async def test_every_actor_page_lists_its_events_by_role_and_its_quotes(site):
    actors = rows("actors")
    roles = defaultdict(list)
    for ea in rows("event_actors"):
        roles[ea["actor_id"]].append(ea["event_id"])
    members = defaultdict(set)
    for a in actors:
        if a["parent_actor_id"]:
            members[a["parent_actor_id"]].add(a["actor_id"])
    parent = {a["actor_id"]: a["parent_actor_id"] for a in actors}
    for actor in actors:
        aid = actor["actor_id"]
        page = await html(site, f"/actors/{aid}")
        assert sorted(shown_events(page)) == sorted(roles[aid]), aid
        speakers = {aid} | members[aid] | ({parent[aid]} if parent[aid] else set())
        expected = {q["quote_id"] for q in rows("quotes") if q["speaker_actor_id"] in speakers}
        said = page.split('id="quotes"', 1)[1]
        assert set(re.findall(r"#quote-([^\"]+)\"", said)) == expected, aid


@pytest.mark.asyncio
async def test_every_event_page_shows_all_its_reports_quotes_and_claims(site):
    sources = defaultdict(list)
    for s in rows("event_sources"):
        sources[s["event_id"]].append(s)
    for event in rows("events"):
        page = await html(site, f"/events/{event['event_id']}")
        assert page.count('<blockquote class="evidence">') == len(sources[event["event_id"]])
        for s in sources[event["event_id"]]:
            assert f'#evidence-{event["event_id"]}-{s["char_start"]}"' in page
        assert {q["quote_id"] for q in rows("quotes") if q["event_id"] == event["event_id"]} == set(re.findall(r"#quote-([^\"]+)\"", page))
        assert {c["claim_id"] for c in rows("claims") if c["subject_event_id"] == event["event_id"]} == set(re.findall(r"#claim-([^\"]+)\"", page))
    assert (await site.client.get("/events/no_such_event")).status_code == 404


@pytest.mark.asyncio
async def test_table_pages_read_well(site):
    from badia.dataset.codes import UCDP_DATE_PREC

    events = rows("events")
    flat = await html(site, "/badia/events_flat")
    facet = flat.split('data-column="event_date"', 1)[1].split("</ul>", 1)[0]
    days = re.findall(r">(\d{4}-\d{2}-\d{2})</a>", facet)
    assert days and days == sorted(days) and set(days) <= {e["date_start"] for e in events}
    table = await html(site, "/badia/events")
    facet = table.split('data-column="date_precision"', 1)[1].split("</ul>", 1)[0]
    for code in {int(e["date_precision"]) for e in events}:
        assert f">{code}: {UCDP_DATE_PREC[code]}</a>" in facet
    # Row pages: labels and values, an event's id linked to its page.
    event = events[0]
    row = await html(site, f"/badia/events/{event['event_id']}")
    assert '<dl class="row-fields">' in row and f'href="/events/{event["event_id"]}"' in row and f'href="/places/{event["place_id"]}"' in row
