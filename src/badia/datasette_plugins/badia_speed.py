"""Datasette plugin: what keeps the site fast on a million events (measured in docs/performance.md).

- Column facets are read from the counts that `badia build` stored (badia.facet_counts) when a
  request shows a whole table, or a table filtered on one facet column; any other view is counted
  live by Datasette's own facet code, unchanged.
- Each SQLite connection gets a page cache large enough for the tables a request reads (SQLite's
  default is 2 MB), which halves the time of a full-text search's row lookups.
"""

from __future__ import annotations

import re

from datasette import hookimpl
from datasette.facets import ColumnFacet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from badia import facet_counts

PAGE_CACHE_KIB = 256 * 1024  # per connection; Datasette opens one per SQL thread (3 by default)


@hookimpl
def prepare_connection(conn):
    conn.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")


@hookimpl(wrapper=True)
def register_facet_classes():
    """Datasette's column facet, replaced by StoredColumnFacet (a pluggy hook wrapper: the other
    facet types, and those of other plugins, are kept as they are)."""
    groups = yield
    return [[StoredColumnFacet if cls is ColumnFacet else cls for cls in group] for group in groups]


def facet_column(config: dict) -> str:
    return config["config"].get("column") or config["config"]["simple"]


class StoredColumnFacet(ColumnFacet):
    """A column facet answered from stored counts where the rows are a stored view."""

    async def facet_results(self):
        view = self.stored_view()
        configs = self.get_configs()
        answered = None
        if view is not None and configs:
            columns = sorted({facet_column(config) for config in configs})
            answered = await self.ds.get_database(self.database).execute_fn(
                lambda conn: facet_counts.lookup(conn, self.table, *view, columns, self.get_facet_size() + 1))
        if not answered:
            return await super().facet_results()
        live = [config for config in configs if facet_column(config) not in answered]
        live_results, timed_out = await LiveColumnFacet(self, live).facet_results() if live else ([], [])
        results = []
        for config in configs:  # in the order Datasette would give them
            column = facet_column(config)
            if column in answered:
                results.append(await self.facet_info(column, config["source"], answered[column]))
            elif live_results and live_results[0]["name"] == column:
                results.append(live_results.pop(0))
        return results, timed_out

    def stored_view(self) -> tuple[str, str] | None:
        """(column, value) when this facet's rows are the table filtered on column = value,
        (NO_FILTER, NO_FILTER) when they are the whole table, None otherwise. Read from the SQL
        that Datasette built, so that any other filter, search or page is counted live."""
        if not self.table or not self.sql.startswith("select "):
            return None
        table_from = f" from {escape_sqlite(self.table)} "
        if table_from not in self.sql:
            return None
        where = self.sql.rsplit(table_from, 1)[1]
        if where == "" and not self.params:
            return facet_counts.NO_FILTER, facet_counts.NO_FILTER
        match = re.fullmatch(r'where (?:"([^"]+)"|\[([^\]]+)\]) = :p0 ', where)
        if match and list(self.params) == ["p0"] and isinstance(self.params["p0"], str):
            return match[1] or match[2], self.params["p0"]
        return None

    async def facet_info(self, column: str, source: str, rows: list[tuple]) -> dict:
        """One facet's entry, built as Datasette's ColumnFacet.facet_results builds it."""
        facet_size = self.get_facet_size()
        qs_pairs = self.get_querystring_pairs()
        shown = rows[:facet_size]
        expanded = await self.ds.expand_foreign_keys(self.database, self.table, column, [value for value, _ in shown])
        column_qs = f"{column}__exact" if column.startswith("_") else column
        values = []
        for value, count in shown:
            selected = (column_qs, str(value)) in qs_pairs
            toggle = (path_with_removed_args(self.request, {column_qs: str(value)}) if selected
                      else path_with_added_args(self.request, {column_qs: value}))
            values.append({"value": value, "label": expanded.get((column, value), value), "count": count,
                           "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(toggle)), "selected": selected})
        return {"name": column, "type": self.type, "hideable": source != "metadata",
                "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {"_facet": column})),
                "results": values, "truncated": len(rows) > facet_size}


class LiveColumnFacet(ColumnFacet):
    """Datasette's own column facet, over some of another facet's configurations."""

    def __init__(self, facet: ColumnFacet, configs: list[dict]):
        super().__init__(facet.ds, facet.request, facet.database, sql=facet.sql, table=facet.table, params=facet.params,
                         metadata=facet.metadata, row_count=facet.row_count)
        self.configs = configs

    def get_configs(self):
        return self.configs
