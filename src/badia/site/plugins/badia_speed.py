"""Datasette plugin: what keeps the site fast on a million events (docs/performance.md).

Column and date facets give what Datasette's own ColumnFacet and DateFacet give
(tests/test_facet_counts.py compares them), counted in less time:
- read from the counts that `badia build` stored (badia.site.facet_counts) when a request's rows are a
  whole table, or a table filtered on one facet column;
- otherwise (a search, several filters, ...) counted by one query for all the page's facets,
  which finds and reads the matching rows once, instead of one query per facet, each of which
  finds and reads every matching row again (measured in docs/performance-history.md);
  a date facet without stored counts is counted by Datasette's DateFacet.
"""

from __future__ import annotations

import re

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import ColumnFacet, DateFacet
from datasette.tracer import trace
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from badia.site import facet_counts


@hookimpl(wrapper=True)
def register_facet_classes():
    """Datasette's column and date facets, replaced by FastColumnFacet and FastDateFacet (a pluggy
    hook wrapper: the other facet types, and those of other plugins, are kept as they are)."""
    groups = yield
    faster = {ColumnFacet: FastColumnFacet, DateFacet: FastDateFacet}
    return [[faster.get(cls, cls) for cls in group] for group in groups]


def facet_column(config: dict) -> str:
    return config["config"].get("column") or config["config"]["simple"]


def stored_view(facet) -> tuple[str, str] | None:
    """(column, value) when a facet's rows are the table filtered on column = value,
    (NO_FILTER, NO_FILTER) when they are the whole table, None otherwise. Read from the SQL
    that Datasette built, so that any other filter, search or page is counted live."""
    if not facet.table or not facet.sql.startswith("select "):
        return None
    table_from = f" from {escape_sqlite(facet.table)} "
    if table_from not in facet.sql:
        return None
    where = facet.sql.rsplit(table_from, 1)[1]
    if where == "" and not facet.params:
        return facet_counts.NO_FILTER, facet_counts.NO_FILTER
    match = re.fullmatch(r'where (?:"([^"]+)"|\[([^\]]+)\]) = :p0 ', where)
    if match and list(facet.params) == ["p0"] and isinstance(facet.params["p0"], str):
        return match[1] or match[2], facet.params["p0"]
    return None


async def stored_counts(facet, columns: list[str], limit: int) -> dict[str, list[tuple]]:
    """The stored top `limit` (value, count) of those of `columns` whose counts are stored for
    this facet's rows ({} when its rows are not a stored view)."""
    view = stored_view(facet)
    if view is None:
        return {}
    with trace("sql", database=facet.database, sql=f"-- stored facet counts of {columns} from {facet_counts.TABLE}", params=list(view)):
        return await facet.ds.get_database(facet.database).execute_fn(
            lambda conn: facet_counts.lookup(conn, facet.table, *view, columns, limit)) or {}


class FastColumnFacet(ColumnFacet):
    """A column facet answered from stored counts, or else counted by one query for all columns."""

    async def facet_results(self):
        configs = self.get_configs()
        if not configs:
            return [], []
        columns = sorted({facet_column(config) for config in configs})
        limit = self.get_facet_size() + 1
        counted = await stored_counts(self, columns, limit)
        live = [column for column in columns if column not in counted]
        timed_out = []
        if live:
            found = await self.count_live(live, limit)
            if found is None:
                timed_out = live
            else:
                counted.update(found)
        results = [await self.facet_info(facet_column(config), config["source"], counted[facet_column(config)])
                   for config in configs if facet_column(config) in counted]
        return results, timed_out

    async def count_live(self, columns: list[str], limit: int) -> dict[str, list[tuple]] | None:
        """The top `limit` (value, count) of each column over this facet's rows, by Datasette's
        own facet SQL run on the rows read once (a materialised CTE) instead of once per facet;
        None when that takes longer than Datasette would let the same facets take one by one."""
        names = [escape_sqlite(c) for c in columns]
        counts = " union all ".join(
            f"select * from (select {i} as facet, {name} as value, count(*) as count from facet_rows "
            f"where {name} is not null group by {name} order by count desc, value limit {limit})" for i, name in enumerate(names))
        sql = f"with facet_rows as materialized (select {', '.join(names)} from ({self.sql})) {counts}"
        try:
            rows = await self.ds.execute(self.database, sql, self.params, truncate=False,
                                         custom_time_limit=self.ds.setting("facet_time_limit_ms") * len(columns))
        except QueryInterrupted:
            return None
        found = {column: [] for column in columns}
        for facet, value, count in rows.rows:
            found[columns[facet]].append((value, count))
        return found

    async def facet_info(self, column: str, source: str, rows: list[tuple]) -> dict:
        """One facet's entry, built as Datasette's ColumnFacet.facet_results builds it."""
        facet_size = self.get_facet_size()
        qs_pairs = self.get_querystring_pairs()
        shown = rows[:facet_size]
        expanded = await self.ds.expand_foreign_keys(self.database, self.table, column, [value for value, _ in shown]) if self.table else {}
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


class FastDateFacet(DateFacet):
    """A date facet answered from stored counts when its rows are a stored view, else Datasette's."""

    async def facet_results(self):
        configs = self.get_configs()
        names = {facet_column(config): facet_counts.facet_name({"date": facet_column(config)}) for config in configs}
        facet_size = self.get_facet_size()
        counted = await stored_counts(self, sorted(set(names.values())), facet_size + 1) if configs else {}
        if not counted or any(name not in counted for name in names.values()):
            return await super().facet_results()
        args = dict(self.get_querystring_pairs())
        results = []
        for config in configs:
            column, rows = facet_column(config), counted[names[facet_column(config)]]
            values = []
            for value, count in rows[:facet_size]:
                selected = str(args.get(f"{column}__date")) == str(value)
                toggle = (path_with_removed_args(self.request, {f"{column}__date": str(value)}) if selected
                          else path_with_added_args(self.request, {f"{column}__date": value}))
                values.append({"value": value, "label": value, "count": count,
                               "toggle_url": self.ds.absolute_url(self.request, toggle), "selected": selected})
            results.append({"name": column, "type": self.type, "results": values, "hideable": config["source"] != "metadata",
                            "toggle_url": path_with_removed_args(self.request, {"_facet_date": column}),
                            "truncated": len(rows) > facet_size})
        return results, []
