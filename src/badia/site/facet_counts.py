"""Facet counts stored in the built database, so that Datasette's default facets on a large table
are read from a small table instead of counted by a GROUP BY over every row on every request.

The database Datasette serves is immutable, so `badia build` can count once, in SQLite itself (the
same values, types and NULL handling as Datasette's own facet SQL):
- each default facet column over the whole table (the table's front page);
- each default facet column under a one-column filter `other_facet_column = value` (the view a
  reader reaches by clicking a facet value), for the values that keep at least MIN_ROWS rows:
  smaller views are counted live through the column's index in a few milliseconds.

A facet is a column name or, as in Datasette's metadata, {"date": column}: a date facet, counted
as Datasette's DateFacet counts it (by date(column)) and stored under the name "date(column)".

The plugin datasette_plugins/badia_speed.py answers from these counts when a request's rows are
exactly one of those views, and lets Datasette count live otherwise.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from itertools import combinations

TABLE = "badia_facet_counts"
MIN_ROWS = 5000  # below this a filtered view is counted live: ~1 microsecond a row for each facet
METADATA = {"hidden": True, "description": "Counts of the default facets, stored by `badia build` so that Datasette's "
                                           "facets on large tables answer at once (see docs/performance.md)."}
NO_FILTER = ""


def facet_name(facet: str | dict) -> str:
    """The name a facet's counts are stored under: its column, or "date(column)" for a date facet."""
    return facet if isinstance(facet, str) else f"date({facet['date']})"


def facet_sql(facet: str | dict) -> str:
    return f"[{facet}]" if isinstance(facet, str) else f"date([{facet['date']}])"


def index_columns(column: str, order: list[str], facets: list[str]) -> list[str]:
    """The columns of a facet column's index: (column, the order the rows are shown in, the other
    facet columns). A view filtered on a value of `column` is then read in order without sorting
    every matching row, and counted and faceted from the index alone."""
    return list(dict.fromkeys([column, *order, *facets]))


def store(conn: sqlite3.Connection, facets: dict[str, list[str | dict]], min_rows: int = MIN_ROWS) -> None:
    """Count the facets of every table or view in `facets` ({table: [facet, ...]}) into TABLE
    (created at the first call, added to by later ones).

    One GROUP BY over all of a table's facet columns gives every single and pairwise count, added
    up here: a GROUP BY per pair costs a sort of the whole table each (10 s on 1M events). Only a
    column facet is stored as a filter (a click on a date facet's value filters on date(column))."""
    conn.execute(f"CREATE TABLE IF NOT EXISTS [{TABLE}] ([table_name] TEXT NOT NULL, [filter_column] TEXT NOT NULL, [filter_value] TEXT, "
                 "[facet_column] TEXT NOT NULL, [value], [count] INTEGER NOT NULL)")
    for table, table_facets in facets.items():
        columns = [facet_name(f) for f in table_facets]
        filters = [isinstance(f, str) for f in table_facets]
        names = ", ".join(facet_sql(f) for f in table_facets)
        single = [Counter() for _ in columns]
        pairs = {(i, j): Counter() for i, j in combinations(range(len(columns)), 2)}
        for *values, n in conn.execute(f"SELECT {names}, count(*) FROM [{table}] GROUP BY {names}"):
            for i, value in enumerate(values):
                if value is not None:
                    single[i][value] += n
            for (i, j), counter in pairs.items():
                if values[i] is not None and values[j] is not None:
                    counter[values[i], values[j]] += n
        rows = []
        for i, column in enumerate(columns):
            rows.extend((table, NO_FILTER, NO_FILTER, column, value, n) for value, n in single[i].items())
            # Filtered by its own column: the view shows that one value.
            if filters[i]:
                rows.extend((table, column, value, column, value, n) for value, n in single[i].items() if n >= min_rows)
        for (i, j), counter in pairs.items():
            for (a, b), n in counter.items():
                if filters[i] and single[i][a] >= min_rows:
                    rows.append((table, columns[i], a, columns[j], b, n))
                if filters[j] and single[j][b] >= min_rows:
                    rows.append((table, columns[j], b, columns[i], a, n))
        # filter_value is kept as SQLite's text of the value: a request's filter is text from its URL.
        conn.executemany(f"INSERT INTO [{TABLE}] VALUES (?, ?, CAST(? AS TEXT), ?, ?, ?)", rows)
    conn.execute(f"CREATE INDEX IF NOT EXISTS [idx_{TABLE}] ON [{TABLE}] ([table_name], [filter_column], [filter_value], [facet_column], [count] DESC, [value])")


def lookup(conn: sqlite3.Connection, table: str, filter_column: str, filter_value: str,
           columns: list[str], limit: int) -> dict[str, list[tuple]] | None:
    """The top `limit` (value, count) of each of `columns` whose counts are stored, most frequent
    first then by value (the order of Datasette's facet SQL), for the rows of `table` where
    filter_column = filter_value (NO_FILTER: all rows); None when that view is not stored."""
    def rows(facet_column: str, view: tuple[str, str], count_limit: int) -> list[tuple]:
        return conn.execute(f"SELECT value, count FROM [{TABLE}] WHERE table_name = ? AND filter_column = ? AND filter_value = ? "
                            "AND facet_column = ? ORDER BY count DESC, value LIMIT ?", [table, *view, facet_column, count_limit]).fetchall()

    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [TABLE]).fetchone():
        return None  # a database built before the counts were stored, or not built by badia
    view = (filter_column, filter_value if filter_column != NO_FILTER else NO_FILTER)
    # A stored view always holds its own column's count: its absence means the view is not stored.
    if filter_column != NO_FILTER and not rows(filter_column, view, 1):
        return None
    return {column: rows(column, view, limit) for column in columns if rows(column, (NO_FILTER, NO_FILTER), 1)}
