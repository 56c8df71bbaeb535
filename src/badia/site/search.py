"""One search across places, actors, events, quotes and claims that finds a name through its
variants and transliterations (a-Tanf, al-Tanf, At Tanf and Tanf all find each other).

At build time every searchable row's words are folded with the shared name folding
(badia.dataset.names) and indexed by SQLite's FTS5: the folding runs once per row there, never per
request. An event is indexed with its place's and actors' names and variants, so that a search for
a place finds the events at it even where their summaries do not name it. A request folds its own
words the same way and reads, per kind, the first matching rows in the index's order (kind, then
date): no request scores or sorts every match.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from badia.dataset.names import ARABIC_ARTICLES, name_key

TABLE = "site_search"  # rowid, kind, item_id, title, detail, day, article_id: what a result shows
FTS = "site_search_fts"  # the folded words of each row, by the same rowid
KINDS_TABLE = "site_search_kinds"  # each kind's rowid range
# In the order results are shown; rowids are given in this order, so a kind is a range of rowids.
KINDS = {"place": "Places", "actor": "Actors", "event": "Events", "quote": "Quotes", "claim": "Claims"}
METADATA = {
    TABLE: {"hidden": True, "description": "What the site's search shows of each place, actor, event, quote and claim."},
    FTS: {"hidden": True, "description": "The folded names and words of site_search's rows (see badia.site.search)."},
    KINDS_TABLE: {"hidden": True, "description": "The rowid range of each kind in site_search."},
}
COUNT_CAP = 1000  # a count above this is shown as "more than 1000": counting every match of a common word costs


def index_token(token: str) -> str:
    """A folded token as FTS5 stores it: a token whose case the folding kept (an acronym, "IS")
    is marked with "_" so that FTS5's lower-casing does not make it the word "is"."""
    return token if token == token.lower() else token.lower() + "_"


def folded(*texts: str | None) -> str:
    """The words of texts as the index holds them. A word that can be an Arabic article standing
    alone ("At Tanf", "Dayr az Zawr") is left out, in the index as in queries: it is part of one
    spelling of a name, not of the name (and the English "a", "an", "at", "as" find nothing)."""
    return " ".join(token for text in texts if text for t in name_key(text) if (token := index_token(t)) not in ARABIC_ARTICLES)


def query_terms(query: str) -> list[str]:
    """The words of a query as the index holds them (see folded)."""
    return folded(query).split()


def fts_query(terms: list[str], prefix: bool = False) -> str:
    """An FTS5 phrase of the terms, its last word also as a prefix if asked."""
    return '"' + " ".join(t.replace('"', '""') for t in terms) + '"' + ("*" if prefix else "")


# --- build time -------------------------------------------------------------------------------

def store(conn: sqlite3.Connection) -> None:
    """Fill the search tables from the curated tables of a freshly built database."""
    conn.execute(f"CREATE TABLE [{TABLE}] (rowid INTEGER PRIMARY KEY, kind TEXT NOT NULL, item_id TEXT NOT NULL, "
                 "title TEXT, detail TEXT, day TEXT, article_id TEXT)")
    conn.execute(f"CREATE VIRTUAL TABLE [{FTS}] USING fts5(words, content='', tokenize=\"unicode61 remove_diacritics 2 tokenchars '_'\")")
    conn.execute(f"CREATE TABLE [{KINDS_TABLE}] (kind TEXT PRIMARY KEY, first_rowid INTEGER, last_rowid INTEGER)")
    places = {pid: (name, folded(name, variants)) for pid, name, variants in conn.execute("SELECT place_id, name, variants FROM places")}
    actors = {aid: (name, folded(name, aliases)) for aid, name, aliases in conn.execute("SELECT actor_id, name, aliases FROM actors")}
    sources = {
        "place": ("SELECT place_id, name, variants, place_type, admin1 FROM places ORDER BY name, place_id",
                  lambda r: (r[0], r[1], " · ".join(filter(None, [r[3], r[4]])), None, None, places[r[0]][1])),
        "actor": ("SELECT actor_id, name, actor_kind, side, description FROM actors ORDER BY name, actor_id",
                  lambda r: (r[0], r[1], " · ".join(filter(None, [r[2], r[3]])), None, None, actors[r[0]][1])),
        "event": ("""SELECT event_id, summary, date_start, event_type, place_id,
                            (SELECT group_concat(actor_id, ' ') FROM event_actors ea WHERE ea.event_id = e.event_id)
                     FROM events e ORDER BY date_start, event_id""",
                  lambda r: (r[0], r[1], f"{r[2]} · {r[3]} · {places[r[4]][0]}", r[2], None,
                             " ".join([folded(r[1]), places[r[4]][1], *(actors[a][1] for a in (r[5] or "").split())]))),
        "quote": ("""SELECT quote_id, text, said_date, speaker_actor_id, speaker_as_written, attribution,
                            (SELECT published_date FROM articles ar WHERE ar.article_id = q.article_id), article_id
                     FROM quotes q ORDER BY coalesce(said_date, (SELECT published_date FROM articles ar WHERE ar.article_id = q.article_id)), quote_id""",
                  lambda r: (r[0], r[1], " · ".join(filter(None, [actors[r[3]][0] if r[3] else r[4], r[2] or f"published {r[6]}"])), r[2] or r[6], r[7],
                             " ".join([folded(r[1], r[4], r[5]), actors[r[3]][1] if r[3] else ""]))),
        "claim": ("SELECT claim_id, text, subject, property, subject_place_id, article_id FROM claims ORDER BY claim_id",
                  lambda r: (r[0], r[1], " · ".join(filter(None, [r[3], r[2]])), None, r[5],
                             " ".join([folded(r[1], r[2]), places[r[4]][1] if r[4] else ""]))),
    }
    rowid = 0
    for kind, (sql, describe) in sources.items():
        first = rowid + 1
        rows, words = [], []
        for record in conn.execute(sql):
            rowid += 1
            *row, text = describe(record)
            rows.append((rowid, kind, *row))
            words.append((rowid, text))
            if len(rows) >= 10_000:  # in batches: the large corpus's rows never held at once
                _insert(conn, rows, words)
        _insert(conn, rows, words)
        conn.execute(f"INSERT INTO [{KINDS_TABLE}] VALUES (?, ?, ?)", (kind, first, rowid))
    conn.execute(f"INSERT INTO [{FTS}]([{FTS}]) VALUES ('optimize')")


def _insert(conn: sqlite3.Connection, rows: list, words: list) -> None:
    conn.executemany(f"INSERT INTO [{TABLE}] VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    conn.executemany(f"INSERT INTO [{FTS}] (rowid, words) VALUES (?, ?)", words)
    rows.clear()
    words.clear()


# --- serve time -------------------------------------------------------------------------------

@dataclass
class Group:
    kind: str
    label: str
    count: int  # capped at COUNT_CAP + 1
    rows: list[dict]
    next_rowid: int | None  # where the next page of this kind starts, if there is one


def search(conn: sqlite3.Connection, query: str, kinds: list[str] | None = None, limit: int = 20, after: int = 0) -> list[Group]:
    """The first `limit` rows of each kind matching `query` (after rowid `after`), in the index's
    order, with how many match (up to COUNT_CAP + 1)."""
    terms = query_terms(query)
    if not terms:
        return []
    groups = matching(conn, fts_query(terms), kinds, limit, after)
    if not groups and len(terms[-1]) >= 3:
        # Nothing has these words: perhaps the last is only begun ("Palmy"). A prefix is asked only
        # then: it merges the rows of every word it begins (100k events: ~1 ms exact, ~160 ms prefix).
        groups = matching(conn, fts_query(terms, prefix=True), kinds, limit, after)
    return groups


def matching(conn: sqlite3.Connection, match: str, kinds: list[str] | None, limit: int, after: int) -> list[Group]:
    ranges = {kind: (first, last) for kind, first, last in conn.execute(f"SELECT kind, first_rowid, last_rowid FROM [{KINDS_TABLE}]")}
    groups = []
    for kind in kinds or list(KINDS):
        if kind not in ranges:
            continue
        first, last = ranges[kind]
        within = f"[{FTS}] MATCH :match AND rowid BETWEEN :first AND :last"
        params = {"match": match, "first": max(first, after + 1), "last": last, "limit": limit + 1}
        count = conn.execute(f"SELECT count(*) FROM (SELECT rowid FROM [{FTS}] WHERE {within} LIMIT {COUNT_CAP + 1})",
                             dict(params, first=first)).fetchone()[0]
        if not count:
            continue
        found = conn.execute(f"""SELECT s.rowid, s.item_id, s.title, s.detail, s.day, s.article_id FROM [{TABLE}] s
            WHERE s.rowid IN (SELECT rowid FROM [{FTS}] WHERE {within} ORDER BY rowid LIMIT :limit) ORDER BY s.rowid""", params).fetchall()
        rows = [dict(zip(("rowid", "item_id", "title", "detail", "day", "article_id"), r)) for r in found]
        groups.append(Group(kind, KINDS[kind], count, rows[:limit], rows[limit - 1]["rowid"] if len(rows) > limit else None))
    return groups
