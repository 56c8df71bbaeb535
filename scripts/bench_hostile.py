"""Worst cases of issue 11, timed: heavy single SQL functions with and without the served
connection's limits, the article page's highlighting and fix-offsets at growing numbers of spans.

    .venv/bin/python scripts/bench_hostile.py [sql|highlight|offsets|all] [--unbounded]

Figures are ratios within one run (the machine is shared): a query's time under the limits
against `select 1`'s, and each size's time against the previous size's (2.0 when doubling the
spans doubles the time: linear). --unbounded also runs the heavy queries without the limits (the
"before"; the worst takes ~10 s and 2 GB).
"""

from __future__ import annotations

import csv
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

HEAVY_SQL = {
    "replace(hex(zeroblob(5e8)))": "select length(replace(hex(zeroblob(499999999)),'0','a'))",
    "randomblob(1e9)": "select length(randomblob(999999999))",
    "instr of two long strings": "select instr(replace(hex(zeroblob({half})),'0','a'), replace(hex(zeroblob({quarter})),'0','a') || 'b')",
    "printf('%.*c', 2e9)": "select length(printf('%.*c', 2000000000, 'x'))",
    "group_concat of 1e7 rows": "select length(group_concat(x)) from (with recursive c(x) as (select 1 union all select x + 1 from c limit 10000000) select x from c)",
    "LIKE with a 1000-wildcard pattern": "select replace(hex(zeroblob({half})),'0','a') like '%' || replace(hex(zeroblob(500)),'00','a%') || 'b'",
}


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_sql(unbounded: bool) -> None:
    from badia.site.serve import SQLITE_LIMITS

    limit = SQLITE_LIMITS[sqlite3.SQLITE_LIMIT_LENGTH]
    print(f"heavy SQL (limits: {', '.join(f'{k}={v}' for k, v in SQLITE_LIMITS.items())}; instr and LIKE sized to the limit)")
    for mode in (["limited", "unbounded"] if unbounded else ["limited"]):
        conn = sqlite3.connect(":memory:")
        if mode == "limited":
            for key, value in SQLITE_LIMITS.items():
                conn.setlimit(key, value)
        floor = min(timed(lambda: conn.execute("select 1").fetchall()) for _ in range(20))
        for name, sql in HEAVY_SQL.items():
            sql = sql.format(half=limit // 2 - 1, quarter=limit // 4 - 1)
            outcome = "ran"
            start = time.perf_counter()
            try:
                conn.execute(sql).fetchall()
            except (sqlite3.DataError, sqlite3.OperationalError) as e:
                outcome = f"refused ({e})"
            took = time.perf_counter() - start
            print(f"  {mode:9} {name:36} {took:8.3f} s  ({took / floor:,.0f}x select 1)  {outcome}")


def bench_highlight() -> None:
    from badia.site.views import Span, highlight_html

    print("article page highlighting (mentions every 5 characters, a quote every 50)")
    text = "word " * 100_000
    previous = None
    for n in (10_000, 20_000, 40_000, 80_000):
        spans = [Span(i * 5, i * 5 + 4, "mention", f"m{i}", f"/m/{i}", "t") for i in range(n)]
        spans += [Span(i * 50, i * 50 + 30, "quote", f"q{i}", f"/q/{i}", "t") for i in range(n // 10)]
        took = min(timed(lambda: highlight_html(text, spans)) for _ in range(2))
        ratio = f"{took / previous:.2f}x the previous size" if previous else ""
        print(f"  {len(spans):7,} spans  {took:7.3f} s  {ratio}")
        previous = took


def bench_offsets() -> None:
    """apply_offset_fixes on a copy of the dataset whose mentions.csv holds n rows."""
    from badia.curate.offsets import OffsetFix, apply_offset_fixes

    print("fix-offsets --write (every row of a mentions.csv of n rows rewritten)")
    previous = None
    for n in (20_000, 40_000, 80_000):
        with tempfile.TemporaryDirectory(prefix="bench-offsets-") as tmp:
            root = Path(tmp)
            for part in ("datapackage.json", "schemas", "data", "seeds"):
                (shutil.copytree if (ROOT / part).is_dir() else shutil.copy2)(ROOT / part, root / part)
            path = root / "data" / "mentions.csv"
            with path.open(encoding="utf-8", newline="") as fh:
                rows = list(csv.reader(fh))
            header, body = rows[0], rows[1:]
            with path.open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh, lineterminator="\n")
                writer.writerow(header)
                for i in range(n):
                    row = list(body[i % len(body)])
                    row[0] = f"m{i:07d}"
                    writer.writerow(row)
            fixes = [OffsetFix("data/mentions.csv", line, (0, 1), (line, line + 1)) for line in range(2, n + 2)]
            took = timed(lambda: apply_offset_fixes(root, fixes))
        ratio = f"{took / previous:.2f}x the previous size" if previous else ""
        print(f"  {n:7,} fixes  {took:7.3f} s  {ratio}")
        previous = took


def main(argv: list[str]) -> None:
    what = next((a for a in argv if not a.startswith("--")), "all")
    if what in ("sql", "all"):
        bench_sql("--unbounded" in argv)
    if what in ("highlight", "all"):
        bench_highlight()
    if what in ("offsets", "all"):
        bench_offsets()


if __name__ == "__main__":
    main(sys.argv[1:])
