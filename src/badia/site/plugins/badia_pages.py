"""Datasette plugin: the pages a reader starts from, built on Datasette's routes and templates.

/ (the story: scope, timeline, map, ways in), /places/<id>, /actors/<id>, /events/<id> and /search
(one search across places, actors, events, quotes and claims, through name variants). What each
page shows is read by badia.site.pages and badia.site.search; this module only routes and renders.
No inline script: the maps are drawn by /-/badia-map.js from a JSON data block, so the pages work
under a strict Content-Security-Policy.
"""

from __future__ import annotations

import json
from pathlib import Path

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup

from badia.site import pages, search
from badia.site.views import DATABASE, STATIC_DIR, TILE_LAYER, TILE_LAYER_OPTIONS, code_label

ID = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,119}"
LEAFLET = "/-/static-plugins/datasette_leaflet/leaflet-v1.7.1"
_home_cache: dict = {}  # the database is immutable: the home page's counts are read once per process


def map_data(datasette, points: list[dict], focus: list | None = None) -> Markup:
    """The map's points and tiles as a JSON data block (not executed, so allowed by a strict CSP);
    '<' escaped so that no name can close the block."""
    data = {"points": points, "tiles": datasette.urls.path(TILE_LAYER), "tile_options": TILE_LAYER_OPTIONS, "focus": focus,
            "leaflet": datasette.urls.path(LEAFLET + ".min.js"), "places": datasette.urls.path("/places/")}
    return Markup(json.dumps(data).replace("<", "\\u003c"))


async def render(datasette, request, template: str, context: dict) -> Response:
    # base: the site's prefix as a plain string, for the hundreds of links a page makes (Datasette's
    # urls.path() returns a str subclass whose every attribute lookup scans dir(str): 1/3 of a page's time).
    context = dict(context, metadata=datasette.metadata(), leaflet=LEAFLET, colours=pages.TYPE_COLOURS, base=datasette.setting("base_url"))
    return Response.html(await datasette.render_template(template, context, request=request))


async def home(datasette, request):
    db = datasette.get_database(DATABASE)
    if db.name not in _home_cache:
        context = await db.execute_fn(pages.home_page)
        # Its hundreds of bars rendered once, not on every request (100k events: 150 -> ~20 ms a page).
        context["timeline_svg"] = Markup(await datasette.render_template("_badia_timeline.html", {"timeline": context["timeline"], "events_flat": str(datasette.urls.table(DATABASE, "events_flat"))}))
        _home_cache[db.name] = context
    context = _home_cache[db.name]
    framed = [p for p in context["places"] if p["place_type"] not in ("country",)]
    return await render(datasette, request, "badia_home.html", dict(
        context, map=map_data(datasette, pages.map_points(context["places"]), focus=bounds(framed)),
        description=datasette.metadata("description") or "", title=datasette.metadata("title") or "badia"))


def bounds(places: list[dict]) -> list | None:
    """The box around the places to frame the map on (country centroids left out: they are far away)."""
    located = [(p["latitude"], p["longitude"]) for p in places if p.get("latitude") is not None and p.get("longitude") is not None]
    if not located:
        return None
    return [[min(a for a, _ in located), min(b for _, b in located)], [max(a for a, _ in located), max(b for _, b in located)]]


async def place(datasette, request):
    place_id = request.url_vars["place_id"]
    month = request.args.get("month")
    found = await datasette.get_database(DATABASE).execute_fn(lambda conn: pages.place_page(conn, place_id, month))
    if found is None:
        raise NotFound(f"no place {place_id}")
    p = found["place"]
    here = {"place_id": p["place_id"], "name": p["name"], "latitude": p["latitude"], "longitude": p["longitude"], "events": p["events"],
            "main_type": p["main_type"]}
    points = pages.map_points([here] + found["nearby"])
    focus = bounds([here] + found["nearby"]) if p["latitude"] is not None else None
    return await render(datasette, request, "badia_place.html", dict(found, map=map_data(datasette, points, focus) if focus else None))


async def _row_page(datasette, request, kind: str, build, template: str):
    """An actor's or an event's page: its rows read in one call on the database's thread."""
    key = request.url_vars[f"{kind}_id"]
    found = await datasette.get_database(DATABASE).execute_fn(lambda conn: build(conn, key))
    if found is None:
        raise NotFound(f"no {kind} {key}")
    return await render(datasette, request, template, found)


async def actor(datasette, request):
    return await _row_page(datasette, request, "actor", pages.actor_page, "badia_actor.html")


async def event(datasette, request):
    return await _row_page(datasette, request, "event", pages.event_page, "badia_event.html")


async def search_page(datasette, request):
    query = (request.args.get("q") or "").strip()[:200]
    kind = request.args.get("kind")
    kinds = [kind] if kind in search.KINDS else None
    try:
        after = max(0, int(request.args.get("after") or 0))
    except ValueError:
        after = 0
    groups = []
    if query:
        groups = await datasette.get_database(DATABASE).execute_fn(
            lambda conn: search.search(conn, query, kinds, limit=100 if kinds else 10, after=after if kinds else 0))
    return await render(datasette, request, "badia_search.html", {
        "q": query, "kind": kinds[0] if kinds else None, "groups": groups, "terms": search.query_terms(query) if query else [],
        "cap": search.COUNT_CAP, "kinds": search.KINDS})


async def figure(datasette, request):
    """The figures `badia build` draws (build/figures/), beside the database the site serves."""
    path = Path(datasette.get_database(DATABASE).path).parent / "figures" / request.url_vars["name"]
    if not path.is_file():
        raise NotFound("no such figure")
    return Response(path.read_bytes(), content_type="image/svg+xml")


async def map_script():
    return Response((STATIC_DIR / "badia-map.js").read_text(encoding="utf-8"), content_type="text/javascript; charset=utf-8")


@hookimpl
def register_routes():
    return [
        (r"^/$", home),
        (rf"^/places/(?P<place_id>{ID})$", place),
        (rf"^/actors/(?P<actor_id>{ID})$", actor),
        (rf"^/events/(?P<event_id>{ID})$", event),
        (r"^/search$", search_page),
        (r"^/-/badia-map\.js$", map_script),
        (r"^/figures/(?P<name>[a-z0-9_-]{1,40}\.svg)$", figure),
    ]


@hookimpl
def extra_template_vars():
    """code_label for templates/_facet_results.html: a code's meaning beside it."""
    return {"code_label": code_label}


@hookimpl
def startup(datasette):
    """Read the databases' schemas into Datasette's internal database before the first request.
    Otherwise the first page's map asks for a dozen tiles at once while the first request fills
    it: datasette-tiles then reads it mid-write ("database table is locked: columns"), and each
    tile fails after seconds holding one of Datasette's few query threads (pages stalled)."""
    async def read_schemas():
        await datasette.refresh_schemas()
    return read_schemas
