"""Stored facet counts (badia.facet_counts + the badia_speed plugin) give exactly what Datasette's
own facet code counts live, and are used where they apply: on a real build of the curated data.

The live answer for the same rows is forced with `_where=1=1`, a filter that keeps every row but
that the plugin does not recognise as a stored view."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from datasette.app import Datasette

from badia import facet_counts
from badia.serve import DEFAULT_FACETS
from badia.site import PLUGINS_DIR, TEMPLATES_DIR

LIVE = "_where=1%3D1"


@pytest.fixture(scope="module")
def every_view_stored(built: Path, tmp_path_factory) -> Path:
    """A copy of the build whose counts are stored for every one-value filter (min_rows=1), so
    that the filtered path is tested on the small curated data too."""
    db = tmp_path_factory.mktemp("facets") / "badia.db"
    shutil.copy(built / "badia.db", db)
    with sqlite3.connect(db) as conn:
        conn.execute(f"DROP TABLE {facet_counts.TABLE}")
        facet_counts.store(conn, DEFAULT_FACETS, min_rows=1)
    return db


def site(db: Path, built: Path) -> Datasette:
    return Datasette(immutables=[str(db)], metadata=json.loads((built / "metadata.json").read_text()),
                     plugins_dir=str(PLUGINS_DIR), template_dir=str(TEMPLATES_DIR), settings={"trace_debug": True})


async def facets(ds: Datasette, path: str) -> tuple[dict, list[str]]:
    """The facet results of a JSON page, with the toggle URLs as they would be without `_where`,
    and the SQL that Datasette ran for it."""
    sep = "&" if "?" in path else "?"
    response = await ds.client.get(f"{path}{sep}_trace=1")
    assert response.status_code == 200, (path, response.text[:500])
    data = response.json()

    def without_where(url: str) -> str:
        parts = urlsplit(url)
        return parts._replace(query=urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("_where", "_trace")])).geturl()

    results = data["facet_results"]
    for facet in results.values():
        facet["toggle_url"] = without_where(facet["toggle_url"])
        for value in facet["results"]:
            value["toggle_url"] = without_where(value["toggle_url"])
    return results, [t["sql"] for t in data["_trace"]["traces"] if t.get("sql")]


def live_facet_sql(sqls: list[str]) -> list[str]:
    """The SQL of Datasette's column facets among the SQL run for a page."""
    return [sql for sql in sqls if "count(*) as count from (" in sql and "group by" in sql]


def counted_live(sqls: list[str]) -> bool:
    return bool(live_facet_sql(sqls))


def views(db: Path) -> list[str]:
    """The whole table and every one-value filter on a default facet column, of every table."""
    paths = []
    with sqlite3.connect(db) as conn:
        for table, columns in DEFAULT_FACETS.items():
            paths.append(f"/badia/{table}.json?_facet_size=max")
            for column in columns:
                for (value,) in conn.execute(f"SELECT DISTINCT CAST([{column}] AS TEXT) FROM [{table}] WHERE [{column}] IS NOT NULL"):
                    paths.append(f"/badia/{table}.json?{urlencode({column: value})}")
    return paths


@pytest.mark.asyncio
async def test_stored_counts_are_the_live_counts(every_view_stored: Path, built: Path):
    ds = site(every_view_stored, built)
    paths = views(every_view_stored)
    assert len(paths) > 100
    for path in paths:
        stored, stored_sql = await facets(ds, path)
        live, live_sql = await facets(ds, f"{path}&{LIVE}")
        assert stored == live, path
        assert stored and not counted_live(stored_sql), (path, stored_sql)
        assert counted_live(live_sql)


@pytest.mark.asyncio
async def test_other_views_are_counted_live_in_order(every_view_stored: Path, built: Path):
    ds = site(every_view_stored, built)
    # A facet without stored counts is counted live beside the stored ones, in the same order.
    mixed, sqls = await facets(ds, "/badia/events.json?_facet=date_start&_facet=event_type")
    live, _ = await facets(ds, f"/badia/events.json?_facet=date_start&_facet=event_type&{LIVE}")
    assert list(mixed) == list(live) == [*DEFAULT_FACETS["events"], "date_start", "event_type_2"]
    assert mixed == live
    assert live_facet_sql(sqls) and all("date_start as value" in sql for sql in live_facet_sql(sqls))
    # Two filters, a search, or a value that is not a stored value's text: counted live, correctly.
    with sqlite3.connect(every_view_stored) as conn:
        etype, sub = conn.execute("SELECT event_type, sub_event_type FROM events LIMIT 1").fetchone()
        word = conn.execute("SELECT text FROM quotes LIMIT 1").fetchone()[0].split()[0].strip(".,“”\"'")
    for path in (f"/badia/events.json?{urlencode({'event_type': etype, 'sub_event_type': sub})}",
                 f"/badia/quotes.json?{urlencode({'_search': word})}", "/badia/events.json?date_precision=01"):
        found, sqls = await facets(ds, path)
        assert counted_live(sqls), path
        assert found == (await facets(ds, f"{path}&{LIVE}"))[0]


@pytest.mark.asyncio
async def test_the_build_stores_the_unfiltered_counts(built: Path):
    """The real build: the whole tables' facets are stored (the curated data is too small for a
    filtered view to reach MIN_ROWS), and an HTML page shows them."""
    ds = site(built / "badia.db", built)
    for table in DEFAULT_FACETS:
        found, sqls = await facets(ds, f"/badia/{table}.json")
        assert list(found) == DEFAULT_FACETS[table] and not counted_live(sqls)
    page = await ds.client.get("/badia/events")
    assert page.status_code == 200 and 'data-column="event_type"' in page.text
