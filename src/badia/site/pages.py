"""The reader's pages (home, place, actor, event): what each shows, read from the built database.

At build time, the few tables and indexes these pages need so that no request reads more than
the rows it shows (a place's or actor's events come in date order from an index, the timeline and
the map from small tables counted once). At serve time, plain functions on a SQLite connection
(the plugin plugins/badia_pages.py runs them in Datasette's threads and renders the templates).
"""

from __future__ import annotations

import math
import sqlite3
from collections import defaultdict
from datetime import date, timedelta

from badia.dataset.codes import UCDP_DATE_PREC, UCDP_WHERE_PREC

TIMELINE = "site_timeline"  # day, event_type, events
PLACE_COUNTS = "site_place_counts"  # place_id, events, first_day, last_day, main_type, longest_days
ACTOR_EVENTS = "site_actor_events"  # actor_id, role, date_start, event_id: an actor's events in date order
PLACE_ARTICLES = "site_place_articles"  # place_id, article_id, mentions
PLACE_MONTHS = "site_place_months"  # place_id, month, events: the months a place's events overlap
METADATA = {
    TIMELINE: {"hidden": True, "description": "Events per day and type, for the home page's timeline."},
    PLACE_COUNTS: {"hidden": True, "description": "Events per place, for the home page's map and lists."},
    ACTOR_EVENTS: {"hidden": True, "description": "Each actor's events in date order, for the actor pages."},
    PLACE_ARTICLES: {"hidden": True, "description": "The articles that mention each place, for the place pages."},
    PLACE_MONTHS: {"hidden": True, "description": "Events per place and month they overlap, for the place pages' month links."},
}
ROLES = {"actor1": "Actor 1", "assoc_actor_1": "Allied with actor 1", "actor2": "Actor 2", "assoc_actor_2": "Allied with actor 2"}
# One colour per ACLED event type (ColorBrewer Dark2), shared by the timeline and the maps.
TYPE_COLOURS = {"Battles": "#d95f02", "Explosions/Remote violence": "#e7298a", "Violence against civilians": "#7570b3",
                "Protests": "#66a61e", "Riots": "#e6ab02", "Strategic developments": "#1b9e77"}
OTHER_COLOUR = "#666666"
PAGE_EVENTS = 50  # a place's events shown on one page (with their quotes); the rest by month or in the table
ROLE_EVENTS = 25  # an actor's events shown per role (an actor has up to four roles): the rest one link away
ACTOR_QUOTES = 60  # an actor's quotes shown (its own, its members' and its parent's): the rest one link away
NEARBY_KM = 60


def store(conn: sqlite3.Connection) -> None:
    """The pages' tables and indexes, counted once in SQLite (1M events never pass through Python)."""
    # date_end in the index: a month's events at a place are selected and counted from the index alone.
    conn.execute("CREATE INDEX IF NOT EXISTS site_events_place_date ON events (place_id, date_start, date_end, event_id)")
    conn.execute("CREATE INDEX IF NOT EXISTS site_quotes_event ON quotes (event_id)")
    conn.execute("CREATE INDEX IF NOT EXISTS site_quotes_speaker_date ON quotes (speaker_actor_id, said_date, quote_id)")
    conn.execute("CREATE INDEX IF NOT EXISTS site_claims_event ON claims (subject_event_id)")
    conn.execute("CREATE INDEX IF NOT EXISTS site_actors_parent ON actors (parent_actor_id)")
    conn.execute(f"CREATE TABLE [{TIMELINE}] (day TEXT, event_type TEXT, events INTEGER, PRIMARY KEY (day, event_type)) WITHOUT ROWID")
    conn.execute(f"INSERT INTO [{TIMELINE}] SELECT date_start, event_type, count(*) FROM events GROUP BY 1, 2")
    conn.execute(f"CREATE TABLE [{PLACE_COUNTS}] (place_id TEXT PRIMARY KEY, events INTEGER, first_day TEXT, last_day TEXT, "
                 "main_type TEXT, longest_days INTEGER) WITHOUT ROWID")
    # main_type: the place's most frequent event type (ties: the first by name), the colour of its map marker.
    # longest_days: its longest event's span, so that a month's events are read from an index range (place_month_events).
    conn.execute(f"""INSERT INTO [{PLACE_COUNTS}]
        WITH by_type AS (SELECT place_id, event_type, count(*) AS n, min(date_start) AS first_day, max(date_end) AS last_day,
                                max(julianday(coalesce(date_end, date_start)) - julianday(date_start)) AS longest
                         FROM events GROUP BY place_id, event_type)
        SELECT place_id, sum(n), min(first_day), max(last_day),
               (SELECT b2.event_type FROM by_type b2 WHERE b2.place_id = b.place_id ORDER BY b2.n DESC, b2.event_type LIMIT 1),
               CAST(max(longest) AS INTEGER)
        FROM by_type b GROUP BY place_id""")
    conn.execute(f"CREATE TABLE [{PLACE_MONTHS}] (place_id TEXT, month TEXT, events INTEGER, PRIMARY KEY (place_id, month)) WITHOUT ROWID")
    conn.execute(f"""INSERT INTO [{PLACE_MONTHS}]
        WITH RECURSIVE spans(place_id, month, last_month) AS (
            SELECT place_id, substr(date_start, 1, 7), substr(coalesce(date_end, date_start), 1, 7) FROM events
            UNION ALL
            SELECT place_id, strftime('%Y-%m', month || '-01', '+1 month'), last_month FROM spans WHERE month < last_month)
        SELECT place_id, month, count(*) FROM spans GROUP BY place_id, month""")
    conn.execute(f"CREATE TABLE [{ACTOR_EVENTS}] (actor_id TEXT, role TEXT, date_start TEXT, event_id TEXT, "
                 "PRIMARY KEY (actor_id, role, date_start, event_id)) WITHOUT ROWID")
    conn.execute(f"INSERT INTO [{ACTOR_EVENTS}] SELECT ea.actor_id, ea.role, e.date_start, ea.event_id "
                 "FROM event_actors ea JOIN events e USING (event_id)")
    conn.execute(f"CREATE TABLE [{PLACE_ARTICLES}] (place_id TEXT, article_id TEXT, mentions INTEGER, PRIMARY KEY (place_id, article_id)) WITHOUT ROWID")
    conn.execute(f"INSERT INTO [{PLACE_ARTICLES}] SELECT place_id, article_id, count(*) FROM mentions WHERE place_id IS NOT NULL GROUP BY 1, 2")


def _dicts(cursor: sqlite3.Cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def _one(conn: sqlite3.Connection, sql: str, params=()) -> dict | None:
    rows = _dicts(conn.execute(sql, params))
    return rows[0] if rows else None


def colour(event_type: str | None) -> str:
    return TYPE_COLOURS.get(event_type or "", OTHER_COLOUR)


def date_range(start: str | None, end: str | None) -> str:
    if not start:
        return ""
    return start if not end or end == start else f"{start} to {end}"


# --- the pieces several pages show --------------------------------------------------------------

def events_by_id(conn: sqlite3.Connection, event_ids: list[str]) -> list[dict]:
    """Events with what a reader needs beside them: place, actors by role, reports (each article
    once), and their quotes; in the order of `event_ids`."""
    if not event_ids:
        return []
    marks = ", ".join("?" for _ in event_ids)
    events = {e["event_id"]: e for e in _dicts(conn.execute(f"""
        SELECT e.event_id, e.date_start, e.date_end, e.date_precision, e.event_type, e.sub_event_type, e.summary,
               e.fatalities, e.place_id, p.name AS place FROM events e JOIN places p USING (place_id)
        WHERE e.event_id IN ({marks})""", event_ids))}
    for e in events.values():
        e.update(when=date_range(e["date_start"], e["date_end"]), colour=colour(e["event_type"]), actors=defaultdict(list),
                 sources=[], quotes=[], precision=UCDP_DATE_PREC.get(e["date_precision"], ""))
    for row in conn.execute(f"""SELECT ea.event_id, ea.role, ea.actor_id, a.name FROM event_actors ea JOIN actors a USING (actor_id)
                                WHERE ea.event_id IN ({marks}) ORDER BY a.name""", event_ids):
        events[row[0]]["actors"][row[1]].append({"actor_id": row[2], "name": row[3]})
    for row in _dicts(conn.execute(f"""SELECT es.event_id, es.article_id, min(es.char_start) AS char_start, ar.publisher, ar.published_date
                                       FROM event_sources es JOIN articles ar USING (article_id) WHERE es.event_id IN ({marks})
                                       GROUP BY es.event_id, es.article_id ORDER BY ar.published_date, es.article_id""", event_ids)):
        events[row["event_id"]]["sources"].append(row)
    for row in quotes_where(conn, f"q.event_id IN ({marks})", event_ids):
        events[row["event_id"]]["quotes"].append(row)
    for e in events.values():
        e["roles"] = [(ROLES.get(role, role), e["actors"][role]) for role in ROLES if e["actors"].get(role)]
    return [events[i] for i in event_ids if i in events]


def quotes_where(conn: sqlite3.Connection, where: str, params, limit: int = 500,
                 order: str = "coalesce(q.said_date, ar.published_date), q.quote_id") -> list[dict]:
    return _dicts(conn.execute(f"""
        SELECT q.quote_id, q.text, q.kind, q.said_date, q.event_id, q.article_id, q.char_start, q.speaker_as_written,
               q.speaker_actor_id, a.name AS speaker, ar.publisher, ar.published_date
        FROM quotes q JOIN articles ar USING (article_id) LEFT JOIN actors a ON a.actor_id = q.speaker_actor_id
        WHERE {where} ORDER BY {order} LIMIT {limit}""", params))


def said_by(conn: sqlite3.Connection, speaker: str, limit: int) -> list[dict]:
    """A speaker's first quotes, dated ones in date order then undated ones: both read in order
    from the index (speaker, said_date, quote_id), never every quote of a prolific speaker sorted."""
    dated = quotes_where(conn, "q.speaker_actor_id = ? AND q.said_date IS NOT NULL", [speaker], limit, order="q.said_date, q.quote_id")
    if len(dated) == limit:
        return dated
    return dated + quotes_where(conn, "q.speaker_actor_id = ? AND q.said_date IS NULL", [speaker], limit - len(dated), order="q.quote_id")


def month_label(month: str) -> str:
    """"2017-06" as a reader says it: "June 2017"."""
    return date(int(month[:4]), int(month[5:7]), 1).strftime("%B %Y")


def month_bounds(month: str | None) -> tuple[str, str] | None:
    """A month ("2017-06") as its first and last day, or None when it is not one."""
    if not month or len(month) != 7 or not month[:4].isdigit() or month[4] != "-" or not month[5:].isdigit() or not 1 <= int(month[5:]) <= 12:
        return None
    year, m = int(month[:4]), int(month[5:])
    following = f"{year + 1:04d}-01-01" if m == 12 else f"{year:04d}-{m + 1:02d}-01"
    return f"{month}-01", following


# --- place ----------------------------------------------------------------------------------------

def place_page(conn: sqlite3.Connection, place_id: str, month: str | None = None) -> dict | None:
    place = _one(conn, "SELECT * FROM places WHERE place_id = ?", [place_id])
    if place is None:
        return None
    place["variant_list"] = [v for v in (place.get("variants") or "").split(";") if v]
    place["where_prec"] = UCDP_WHERE_PREC.get(place.get("geo_precision"), "")
    place.update(_one(conn, f"SELECT events, main_type, longest_days FROM [{PLACE_COUNTS}] WHERE place_id = ?", [place_id])
                 or {"events": 0, "main_type": None, "longest_days": 0})
    bounds = month_bounds(month)
    # An event belongs to a month it overlaps: it starts before the month ends and ends after it
    # begins. It starts at most the place's longest span before the month: an index range, not
    # every earlier event of the place.
    period = " AND date_start >= :earliest AND date_start < :until AND coalesce(date_end, date_start) >= :since" if bounds else ""
    params = {"place": place_id, "since": "", "until": "", "earliest": ""}
    if bounds:
        earliest = date.fromisoformat(bounds[0]) - timedelta(days=place.get("longest_days") or 0)
        params.update(since=bounds[0], until=bounds[1], earliest=earliest.isoformat())
    total = conn.execute(f"SELECT count(*) FROM events WHERE place_id = :place{period}", params).fetchone()[0]
    ids = [r[0] for r in conn.execute(f"SELECT event_id FROM events WHERE place_id = :place{period} "
                                      f"ORDER BY date_start, event_id LIMIT {PAGE_EVENTS}", params)]
    articles = _dicts(conn.execute(f"""SELECT pa.article_id, pa.mentions, ar.title, ar.publisher, ar.published_date
        FROM [{PLACE_ARTICLES}] pa JOIN articles ar USING (article_id) WHERE pa.place_id = ?
        ORDER BY ar.published_date, pa.article_id LIMIT 200""", [place_id]))
    return {
        "place": place, "month": month if bounds else None, "total": total, "events": events_by_id(conn, ids),
        "months": [(m, month_label(m), n) for m, n in conn.execute(f"SELECT month, events FROM [{PLACE_MONTHS}] WHERE place_id = ? ORDER BY month",
                                                                      [place_id])],
        "month_label": month_label(month) if bounds else None,
        "articles": articles, "nearby": nearby(conn, place), "claims": _dicts(conn.execute(
            "SELECT claim_id, text, property, article_id, char_start FROM claims WHERE subject_place_id = ? ORDER BY claim_id LIMIT 100", [place_id])),
    }


def nearby(conn: sqlite3.Connection, place: dict, km: float = NEARBY_KM) -> list[dict]:
    """Places within `km` of this one (same point first), read through a bounding box."""
    lat, lon = place.get("latitude"), place.get("longitude")
    if lat is None or lon is None:
        return []
    dlat, dlon = km / 111.0, km / (111.0 * max(0.1, math.cos(math.radians(lat))))
    found = _dicts(conn.execute(f"""SELECT p.place_id, p.name, p.place_type, p.latitude, p.longitude, coalesce(c.events, 0) AS events, c.main_type
        FROM places p LEFT JOIN [{PLACE_COUNTS}] c USING (place_id)
        WHERE p.latitude BETWEEN ? AND ? AND p.longitude BETWEEN ? AND ? AND p.place_id != ?""",
                                    [lat - dlat, lat + dlat, lon - dlon, lon + dlon, place["place_id"]]))
    for p in found:
        p["km"] = round(distance_km(lat, lon, p["latitude"], p["longitude"]))
    return sorted((p for p in found if p["km"] <= km), key=lambda p: (p["km"], p["name"]))


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), enough for 'near': a few lines, no library needed."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


# --- actor ----------------------------------------------------------------------------------------

def actor_page(conn: sqlite3.Connection, actor_id: str) -> dict | None:
    actor = _one(conn, "SELECT * FROM actors WHERE actor_id = ?", [actor_id])
    if actor is None:
        return None
    actor["alias_list"] = [a for a in (actor.get("aliases") or "").split(";") if a and a != actor["name"]]
    parent = _one(conn, "SELECT actor_id, name FROM actors WHERE actor_id = ?", [actor.get("parent_actor_id")]) if actor.get("parent_actor_id") else None
    members = _dicts(conn.execute("SELECT actor_id, name FROM actors WHERE parent_actor_id = ? ORDER BY name LIMIT 500", [actor_id]))
    roles = []
    for role, label in ROLES.items():
        count = conn.execute(f"SELECT count(*) FROM [{ACTOR_EVENTS}] WHERE actor_id = ? AND role = ?", [actor_id, role]).fetchone()[0]
        if count:
            ids = [r[0] for r in conn.execute(f"SELECT event_id FROM [{ACTOR_EVENTS}] WHERE actor_id = ? AND role = ? "
                                              f"ORDER BY date_start, event_id LIMIT {ROLE_EVENTS}", [actor_id, role])]
            roles.append({"role": role, "label": label, "count": count, "events": events_by_id(conn, ids)})
    speakers = [actor_id] + [m["actor_id"] for m in members] + ([parent["actor_id"]] if parent else [])
    quotes = []
    for speaker in speakers:  # each speaker's first quotes, then merged: no sort of all of them
        quotes.extend(said_by(conn, speaker, ACTOR_QUOTES + 1))
    quotes.sort(key=lambda q: (q["said_date"] is None, q["said_date"] or "", q["quote_id"]))
    # Not "actor": Datasette's templates already have one (the signed-in actor).
    return {"actor_row": actor, "parent": parent, "members": members, "roles": roles, "quotes": quotes[:ACTOR_QUOTES],
            "more_quotes": len(quotes) > ACTOR_QUOTES}


# --- event ----------------------------------------------------------------------------------------

def event_page(conn: sqlite3.Connection, event_id: str) -> dict | None:
    found = events_by_id(conn, [event_id])
    if not found:
        return None
    event = found[0]
    event.update(_one(conn, "SELECT note, geo_precision FROM events WHERE event_id = ?", [event_id]))
    event["where_prec"] = UCDP_WHERE_PREC.get(event["geo_precision"], "")
    reports = _dicts(conn.execute("""SELECT es.article_id, es.evidence, es.date_expression, es.date_rule, es.char_start,
               ar.title, ar.publisher, ar.published_date
        FROM event_sources es JOIN articles ar USING (article_id) WHERE es.event_id = ? ORDER BY ar.published_date, es.article_id, es.char_start""",
                                  [event_id]))
    claims = _dicts(conn.execute("SELECT claim_id, text, property, article_id, char_start FROM claims WHERE subject_event_id = ? ORDER BY claim_id",
                                 [event_id]))
    return {"event": event, "reports": reports, "claims": claims}


# --- home -----------------------------------------------------------------------------------------

def home_page(conn: sqlite3.Connection) -> dict:
    counts = {name: conn.execute(f"SELECT count(*) FROM [{name}]").fetchone()[0]
              for name in ("articles", "events", "quotes", "places", "actors", "claims")}
    first, last = conn.execute("SELECT min(date_start), max(date_end) FROM events").fetchone()
    published = conn.execute("SELECT min(published_date), max(published_date) FROM articles").fetchone()
    places = _dicts(conn.execute(f"""SELECT c.place_id, p.name, p.place_type, p.latitude, p.longitude, c.events, c.first_day, c.last_day, c.main_type
        FROM [{PLACE_COUNTS}] c JOIN places p USING (place_id) ORDER BY c.events DESC, p.name LIMIT 500"""))
    actors = _dicts(conn.execute(f"""SELECT ae.actor_id, a.name, a.side, count(*) AS events FROM [{ACTOR_EVENTS}] ae JOIN actors a USING (actor_id)
        WHERE ae.actor_id IN (SELECT actor_id FROM actors) GROUP BY ae.actor_id ORDER BY events DESC, a.name LIMIT 12"""))
    articles = _dicts(conn.execute("SELECT article_id, title, publisher, published_date FROM articles ORDER BY published_date, article_id LIMIT 20"))
    types = [r[0] for r in conn.execute(f"SELECT event_type FROM [{TIMELINE}] GROUP BY event_type ORDER BY sum(events) DESC")]
    return {"counts": counts, "first": first, "last": last, "published": published, "places": places,
            "actors": actors, "articles": articles, "more_articles": counts["articles"] > len(articles),
            "legend": [(t, colour(t)) for t in types], "timeline": timeline(conn)}


def timeline(conn: sqlite3.Connection, width: int = 1100, height: int = 160) -> dict:
    """Events per time bin and type as stacked bars: a day each for a season, a week or a month
    for longer spans (so the bars stay a few pixels wide), each bar part a link to its events."""
    rows = conn.execute(f"SELECT day, event_type, events FROM [{TIMELINE}] ORDER BY day").fetchall()
    if not rows:
        return {"bars": [], "width": width, "height": height, "ticks": []}
    first, last = date.fromisoformat(rows[0][0]), date.fromisoformat(rows[-1][0])
    span = (last - first).days + 1
    step = 1 if span <= 240 else 7 if span <= 5 * 365 else 30
    bins: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, event_type, events in rows:
        bins[(date.fromisoformat(day) - first).days // step][event_type] += events
    n_bins = (span - 1) // step + 1
    top = max(sum(b.values()) for b in bins.values())
    bar_w, plot_h = width / n_bins, height - 24
    bars = []
    for i, by_type in sorted(bins.items()):
        since = first + timedelta(days=i * step)
        until = since + timedelta(days=step - 1)
        y = plot_h
        for event_type in sorted(by_type, key=lambda t: list(TYPE_COLOURS).index(t) if t in TYPE_COLOURS else 99):
            h = by_type[event_type] / top * (plot_h - 4)
            y -= h
            bars.append({"x": round(i * bar_w, 2), "y": round(y, 2), "w": round(max(bar_w - 1, 1), 2), "h": round(max(h, 1), 2),
                         "colour": colour(event_type), "since": since.isoformat(), "until": until.isoformat(),
                         "event_type": event_type, "events": by_type[event_type]})
    ticks, month = [], date(first.year, first.month, 1)
    while month <= last:
        if month >= first:
            ticks.append({"x": round((month - first).days / step * bar_w, 2), "label": month.strftime("%b %Y")})
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    if len(ticks) > 14:
        ticks = ticks[:: math.ceil(len(ticks) / 14)]
    return {"bars": bars, "width": width, "height": height, "plot_height": plot_h, "ticks": ticks, "top": top,
            "step": {1: "day", 7: "week", 30: "30 days"}[step]}


def map_points(places: list[dict]) -> list[dict]:
    """Places with coordinates as map points; places at one point become one point listing them all,
    coloured by the event type most frequent at its busiest place."""
    at: dict[tuple, list[dict]] = defaultdict(list)
    for p in places:
        if p.get("latitude") is not None and p.get("longitude") is not None:
            at[(p["latitude"], p["longitude"])].append(p)
    points = []
    for (lat, lon), group in at.items():
        group.sort(key=lambda p: (-(p.get("events") or 0), p["name"]))
        points.append({"lat": lat, "lon": lon, "events": sum(p.get("events") or 0 for p in group), "colour": colour(group[0].get("main_type")),
                       "places": [{"id": p["place_id"], "name": p["name"], "events": p.get("events") or 0} for p in group]})
    return points
