"""The badia_speed plugin's facets (stored counts from badia.site.facet_counts, or one query for all
facets) give exactly what Datasette's own ColumnFacet gives, on a real build of the curated data,
and each takes the path it should. "Stock" answers come from the same Datasette with the plugin
unregistered for the request."""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import pytest
from datasette.app import Datasette
from datasette.plugins import pm

from badia.site import facet_counts
from badia.site.serve import DEFAULT_FACETS
from badia.site.views import FACETS, PLUGINS_DIR, TEMPLATES_DIR

PLUGIN = "badia_speed.py"  # Datasette registers a plugins-dir module under its file name
# The curated tables' facets, and those of the site's tables (materialised) and views.
ALL_FACETS = {**DEFAULT_FACETS, **FACETS}


@pytest.fixture(scope="module")
def every_view_stored(built: Path, tmp_path_factory) -> Path:
    """A copy of the build whose counts are stored for every one-value filter (min_rows=1), so
    that the filtered path is tested on the small curated data too."""
    db = tmp_path_factory.mktemp("facets") / "badia.db"
    shutil.copy(built / "badia.db", db)
    with sqlite3.connect(db) as conn:
        conn.execute(f"DROP TABLE {facet_counts.TABLE}")
        facet_counts.store(conn, ALL_FACETS, min_rows=1)
    return db


def site(db: Path, built: Path) -> Datasette:
    return Datasette(immutables=[str(db)], metadata=json.loads((built / "metadata.json").read_text()),
                     plugins_dir=str(PLUGINS_DIR), template_dir=str(TEMPLATES_DIR), settings={"trace_debug": True, "suggest_facets": False})


@contextlib.contextmanager
def stock_datasette():
    plugin = pm.unregister(name=PLUGIN)
    try:
        yield
    finally:
        pm.register(plugin, name=PLUGIN)


async def facets(ds: Datasette, path: str) -> tuple[dict, list[str]]:
    """The facet results of a JSON page and the SQL that was run for it."""
    sep = "&" if "?" in path else "?"
    response = await ds.client.get(f"{path}{sep}_trace=1")
    assert response.status_code == 200, (path, response.text[:500])
    data = response.json()
    results = data["facet_results"]
    for facet in [*results.values(), *(v for f in results.values() for v in f["results"])]:
        facet["toggle_url"] = facet["toggle_url"].replace("&_trace=1", "").replace("?_trace=1&", "?").replace("?_trace=1", "")
    return results, [t["sql"] for t in data["_trace"]["traces"] if t.get("database") == "badia"]


async def same_as_stock(ds: Datasette, path: str) -> list[str]:
    """Assert that the plugin's facets equal stock Datasette's; the SQL the plugin ran."""
    ours, sqls = await facets(ds, path)
    with stock_datasette():
        stock, stock_sqls = await facets(ds, path)
    assert ours == stock, path
    assert any("count(*) as count from (" in sql for sql in stock_sqls) or not stock
    return sqls


def stored(sqls: list[str]) -> bool:
    return any(sql.startswith("-- stored facet counts") for sql in sqls)


def counted_by_datasette(sqls: list[str]) -> bool:
    """Whether Datasette's own DateFacet counted a date facet."""
    return any("select date(" in sql for sql in sqls)


def counted_live(sqls: list[str]) -> bool:
    """Whether the plugin read the rows to count them (its one query for all facets)."""
    return any(sql.startswith("with facet_rows as materialized (select ") for sql in sqls)


def one_value_views(db: Path) -> list[str]:
    """Every one-value filter on a default facet column, of every table and site table or view."""
    paths = []
    with sqlite3.connect(db) as conn:
        for table, facets in ALL_FACETS.items():
            for column in (f for f in facets if isinstance(f, str)):
                for (value,) in conn.execute(f"SELECT DISTINCT CAST([{column}] AS TEXT) FROM [{table}] WHERE [{column}] IS NOT NULL"):
                    paths.append(f"/badia/{table}.json?{urlencode({column: value})}")
    return paths


@pytest.mark.asyncio
async def test_stored_counts_are_stock_counts(every_view_stored: Path, built: Path):
    ds = site(every_view_stored, built)
    paths = [f"/badia/{table}.json{size}" for table in ALL_FACETS for size in ("", "?_facet_size=2", "?_facet_size=max")]
    paths += one_value_views(every_view_stored)
    assert len(paths) > 100 and {path.split(".json")[0].rsplit("/", 1)[1] for path in paths} == set(ALL_FACETS)
    for path in paths:
        sqls = await same_as_stock(ds, path)
        assert stored(sqls) and not counted_live(sqls) and not counted_by_datasette(sqls), (path, sqls)


@pytest.mark.asyncio
async def test_other_views_are_counted_in_one_pass_as_stock_counts_them(every_view_stored: Path, built: Path):
    ds = site(every_view_stored, built)
    with sqlite3.connect(every_view_stored) as conn:
        etype, sub = conn.execute("SELECT event_type, sub_event_type FROM events LIMIT 1").fetchone()
        words = [t.split()[0].strip(".,“”\"'") for (t,) in conn.execute("SELECT text FROM quotes LIMIT 5")]
    views = [f"/badia/events.json?{urlencode({'event_type': etype, 'sub_event_type': sub})}",
             "/badia/events.json?date_precision=01", "/badia/events.json?date_precision__gte=2&_facet_size=1",
             "/badia/quote_exclusions.json?_facet=reason&_facet=article_id",
             # numbers sort as numbers, NULLs are not counted
             "/badia/quotes.json?kind__not=x&_facet=char_start&_facet=speaker_actor_id&_facet=said_date",
             "/badia/claims.json?property__not=x&_facet=value&_facet=unit&_facet=subject_place_id",
             *(f"/badia/quotes.json?{urlencode({'_search': word})}" for word in words),
             *(f"/badia/quotes_with_speakers.json?{urlencode({'_search': word})}" for word in words),
             *(f"/badia/events_flat.json?{urlencode({'_search': word})}" for word in words),
             "/badia/events_flat.json?_facet=year", f"/badia/events_map.json?{urlencode({'event_type': etype, 'sub_event_type': sub})}",
             f"/badia/event_reports.json?{urlencode({'event_type': etype, 'sub_event_type': sub})}"]
    for path in views:
        sqls = await same_as_stock(ds, path)
        assert counted_live(sqls), (path, sqls)  # (date_precision=01 looks for stored counts first: not there)
        # events_flat's date facet, stored for the whole table, is counted by Datasette under a search
        assert counted_by_datasette(sqls) == path.startswith("/badia/events_flat.json?_search"), (path, sqls)
    # A facet without stored counts is counted live beside the stored ones, in Datasette's order.
    sqls = await same_as_stock(ds, "/badia/events.json?_facet=date_start&_facet=event_type")
    assert stored(sqls) and [sql.split(" from (select ")[0] for sql in sqls if counted_live([sql])] == [
        "with facet_rows as materialized (select date_start"]
    ours, _ = await facets(ds, "/badia/events.json?_facet=date_start&_facet=event_type")
    assert list(ours) == [*DEFAULT_FACETS["events"], "date_start", "event_type_2"]


@pytest.mark.asyncio
async def test_the_build_stores_the_unfiltered_counts(built: Path):
    """The real build: the whole tables' facets are stored (the curated data is too small for a
    filtered view to reach MIN_ROWS), and an HTML page shows them."""
    ds = site(built / "badia.db", built)
    for table, table_facets in ALL_FACETS.items():
        found, sqls = await facets(ds, f"/badia/{table}.json")
        assert list(found) == [facet_counts.facet_name(f).removeprefix("date(").removesuffix(")") for f in table_facets], table
        assert stored(sqls) and not counted_live(sqls) and not counted_by_datasette(sqls), table
    page = await ds.client.get("/badia/events")
    assert page.status_code == 200 and 'data-column="event_type"' in page.text
