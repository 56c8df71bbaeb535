"""A real `badia serve` on a real build, driven by headless Chromium: what a reader sees.

Screenshots go to build/screenshots/. Without Chromium (Debian's `chromium`) or the playwright
package the tests skip and say why, except in CI (CI=true), where they fail instead.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.e2e  # a real server and a real browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = ROOT / "build" / "screenshots"


def missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    if not Path(CHROMIUM).is_file():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="session", autouse=True)
def require_browser():
    """Session-scoped so that it runs before the session's build: a skip costs nothing."""
    reason = missing_browser()
    if reason and os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run in CI: {reason}")
    if reason:
        pytest.skip(reason)


def rows(name: str) -> list[dict]:
    with (ROOT / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(built: Path):
    """`badia serve` (Datasette) on a free loopback port, stopped after the module's tests."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    log = (built.parent / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "badia", "--root", str(ROOT), "serve", "--build", str(built), "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):  # wait for it to listen: at most 300 tries of 0.2 s
        if proc.poll() is not None:
            break
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=2)
            break
        except OSError:
            time.sleep(0.2)
    if proc.poll() is not None:
        pytest.fail("badia serve exited: " + (built.parent / "serve.log").read_text()[-2000:])
    yield base
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    """A fresh page whose script errors fail the test."""
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert not errors, errors


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_index_shows_title_licence_and_tables(page):
    page.goto("/")
    shot(page, "index")
    assert "Badia 2017" in page.title()
    body = page.inner_text("body")
    assert "CC-BY-4.0" in body
    page.goto("/badia")
    shot(page, "database")
    body = page.inner_text("body")
    for name in ("events", "quotes", "events_flat", "quotes_with_speakers", "event_reports", "events_map"):
        assert page.locator(f'a[href="/badia/{name}"]').count() >= 1, name
    for query in ("events_involving_actor", "said_by_speaker", "reports_of_event", "conflicting_claims"):
        assert page.locator(f'a[href="/badia/{query}"]').count() == 1, query
    assert "article_texts" not in body


def test_events_flat_with_facets(page):
    page.goto("/badia/events_flat")
    page.wait_for_selector(".leaflet-marker-icon", timeout=30_000)
    shot(page, "events_flat")
    facets = [page.locator(".facet-info").nth(i).get_attribute("data-column") for i in range(page.locator(".facet-info").count())]
    assert {"event_type", "sub_event_type", "actor1", "source", "event_date"} <= set(facets)
    event_types = {r["event_type"] for r in rows("events")}
    shown = set(page.locator('.facet-info[data-column="event_type"] li a').all_inner_texts())
    assert all(any(t in s for s in shown) for t in event_types), (event_types, shown)
    header = page.locator("table.rows-and-columns th").all_inner_texts()
    for column in ("event_date", "actor1", "assoc_actor_1", "actor2", "interaction", "location", "latitude", "fatalities"):
        assert any(h.strip().startswith(column) for h in header), column
    assert f"{len(rows('events'))} rows" in page.inner_text("body")


def test_quote_search(page):
    quotes = rows("quotes")
    word = max((w for w in re.findall(r"[A-Za-z]{5,}", quotes[0]["text"])), key=len)
    page.goto(f"/badia/quotes_with_speakers?_search={word}")
    shot(page, "quote_search")
    found = page.locator("table.rows-and-columns tbody tr")
    expected = [q for q in quotes if word.lower() in (q["text"] + q["speaker_as_written"] + q["attribution"]).lower()]
    assert found.count() >= len(expected) >= 1
    assert word.lower() in found.first.inner_text().lower()


def test_maps_show_markers(page):
    with_coords = {p["place_id"] for p in rows("places") if p["latitude"] and p["longitude"]}
    mapped = [e for e in rows("events") if e["place_id"] in with_coords]
    for path, expected in (("/badia/events_map", len(mapped)), ("/badia/places", len(with_coords))):
        page.goto(path)
        page.wait_for_selector(".leaflet-marker-icon", timeout=30_000)
        # A selector, not a JavaScript predicate: the site's Content-Security-Policy forbids eval().
        page.wait_for_selector(".leaflet-tile-loaded", state="attached", timeout=30_000)
        shot(page, path.rsplit("/", 1)[-1] + "_map")
        # Clustered markers carry their count; single markers count one each.
        counts = page.locator(".marker-cluster span").all_inner_texts()
        singles = page.locator(".leaflet-marker-icon:not(.marker-cluster)").count()
        assert sum(int(c) for c in counts) + singles == expected, (path, counts, singles)


def test_article_page_highlights_and_links_every_span(page):
    article = rows("articles")[0]
    aid = article["article_id"]
    quotes = [q for q in rows("quotes") if q["article_id"] == aid]
    mentions = [m for m in rows("mentions") if m["article_id"] == aid]
    page.goto(f"/articles/{aid}")
    shot(page, "article")
    assert article["title"] in page.inner_text("h1")
    assert page.locator(".article-text").count() == 1
    assert page.locator(".article-text [id^='quote-']").count() == len(quotes)
    assert page.locator(".article-text [id^='mention-']").count() == len(mentions)
    # The highlights add no character: the page's text is the seed's text, character for character.
    seed = (ROOT / article["seed_path"]).read_bytes().decode("utf-8")
    assert page.locator(".article-text").evaluate("el => el.textContent") == seed.replace("\r\n", "\n").replace("\r", "\n")
    # One click from a mention to its row.
    mention = mentions[0]
    page.click(f"#mention-{mention['mention_id']}")
    page.wait_for_url(re.compile(rf"/badia/mentions/{re.escape(mention['mention_id'])}$"))
    assert mention["text"] in page.inner_text("body")


def test_from_a_quote_row_to_its_place_in_the_article(page):
    quote = rows("quotes")[0]
    page.goto(f"/badia/quotes/{quote['quote_id']}")
    page.click(f'a[href$="#quote-{quote["quote_id"]}"]')
    page.wait_for_url(re.compile(rf"/articles/{quote['article_id']}#quote-"))
    target = page.locator(f"#quote-{quote['quote_id']}")
    assert target.is_visible()
    assert quote["text"] in target.inner_text()
    shot(page, "quote_in_article")
