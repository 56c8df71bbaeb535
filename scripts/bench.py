#!/usr/bin/env python3
"""Benchmarks of badia at scale, on a corpus made by scripts/synth.py. Every figure is a ratio of two
runs measured in the same session on the same machine, never an absolute promise.

    scripts/bench.py validate /tmp/badia-synth     # badia validate vs frictionless; error sets on a corrupted copy
    scripts/bench.py build /tmp/badia-synth        # badia build vs the pyarrow floor; SQLite separately
    scripts/bench.py datasette /tmp/badia-synth    # p50/p95 of the pages users open, over HTTP on loopback
    scripts/bench.py incremental /tmp/badia-synth  # one added article, validated against the saved state
    scripts/bench.py all /tmp/badia-synth

Each prints one JSON object per figure (and appends it to --results, default BENCH_RESULTS.jsonl
in the corpus folder). Time and peak memory are those of a child process (os.wait4's rusage), so
interpreter start-up and imports count, as a user would feel them.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
BIN = Path(PYTHON).parent


@dataclass
class Run:
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def run(cmd: list[str], cwd: Path | None = None, timeout: float | None = None) -> Run:
    """Run a command to completion; wall time and the child's own peak RSS (from wait4)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env=env)
        deadline = None if timeout is None else start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline and time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(seconds, usage.ru_maxrss / 1024, proc.returncode, out.read(), err.read())


def badia(*args: str) -> list[str]:
    return [PYTHON, "-m", "badia", *args]


def report(results: Path, **figure) -> dict:
    figure = {"machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}", **figure}
    print(json.dumps(figure), flush=True)
    with results.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(figure) + "\n")
    return figure


def rows_in(corpus: Path) -> dict[str, int]:
    counts = {}
    for path in sorted((corpus / "data").glob("*.csv")):
        with path.open("rb") as fh:
            counts[path.stem] = sum(1 for _ in fh) - 1
    return counts


# --- corrupted copies and the errors each validator reports -------------------------------------

def copy_corpus(corpus: Path, dest: Path) -> Path:
    """A copy whose data/ can be edited; seeds and schemas are hard links (they are not edited)."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copytree(corpus / "seeds", dest / "seeds", copy_function=os.link)
    shutil.copytree(corpus / "schemas", dest / "schemas")
    shutil.copytree(corpus / "data", dest / "data")
    shutil.copy2(corpus / "datapackage.json", dest / "datapackage.json")
    return dest


# (table, data row, column, new value): faults that frictionless understands too.
FAULTS = [
    ("events", 10, "date_start", "2017-02-30"),          # not a date
    ("events", 20, "event_type", "Battels"),             # not in the enum
    ("events", 30, "date_precision", "9"),               # above the maximum
    ("event_sources", 40, "char_start", "x12"),          # not an integer
    ("quotes", 50, "kind", ""),                          # required
    ("mentions", 60, "actor_id", "actor_99999"),         # foreign key to nothing
    ("places", 3, "latitude", "95"),                     # above the maximum
    ("actors", 4, "acled_inter", "9"),                   # above the maximum
    ("claims", 5, "value", "-3"),                        # below the minimum
    ("articles", 6, "language", "English"),              # pattern
    ("event_actors", 70, None, "duplicate"),             # the row again: duplicate primary key
    ("event_sources", 80, None, "extra-cell"),           # one cell too many
]


def corrupt(folder: Path) -> list[tuple[str, int, str | None]]:
    """Apply FAULTS to folder/data; returns each fault's (path, line, column)."""
    injected = []
    by_table: dict[str, list] = {}
    for fault in FAULTS:
        by_table.setdefault(fault[0], []).append(fault)
    for table, faults in by_table.items():
        path = folder / "data" / f"{table}.csv"
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        header = rows[0]
        for _, row, column, value in sorted(faults, key=lambda f: -f[1]):
            index = min(row, len(rows) - 2) + 1
            if value == "duplicate":
                rows.insert(index + 1, list(rows[index]))
                injected.append((f"data/{table}.csv", index + 2, None))
            elif value == "extra-cell":
                rows[index] = rows[index] + ["extra"]
                injected.append((f"data/{table}.csv", index + 1, None))
            else:
                rows[index][header.index(column)] = value
                injected.append((f"data/{table}.csv", index + 1, column))
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
    return injected


def badia_errors(stdout: str) -> set[tuple[str, int | None, str | None]]:
    return {(p["path"], p["line"], p["column"]) for p in json.loads(stdout)["problems"]}


def frictionless_errors(stdout: str) -> set[tuple[str, int | None, str | None]]:
    found = set()
    for task in json.loads(stdout)["tasks"]:
        for e in task["errors"]:
            found.add((task["place"], e.get("rowNumber"), e.get("fieldName") or None))
    return found


def located(errors: set, line: int, column: str | None) -> set:
    return {e for e in errors if e[1] == line and (column is None or e[2] in (column, None))}


# --- validate -------------------------------------------------------------------------------------

def bench_validate(corpus: Path, results: Path, frictionless_timeout: float) -> None:
    rows = rows_in(corpus)
    ours = run(badia("--root", str(corpus), "validate"))
    report(results, figure="badia validate", corpus=str(corpus), rows=sum(rows.values()), seconds=round(ours.seconds, 2),
           peak_rss_mb=round(ours.peak_rss_mb), exit=ours.returncode, command=f"badia --root {corpus} validate")
    stock = run([str(BIN / "frictionless"), "validate", "--json", "datapackage.json"], cwd=corpus, timeout=frictionless_timeout)
    finished = stock.returncode in (0, 1)
    report(results, figure="frictionless validate", corpus=str(corpus), rows=sum(rows.values()), seconds=round(stock.seconds, 2),
           peak_rss_mb=round(stock.peak_rss_mb), exit=stock.returncode, finished=finished,
           command=f"cd {corpus} && frictionless validate --json datapackage.json")
    if finished:
        report(results, figure="validate speed-up (frictionless / badia)", corpus=str(corpus), ratio=round(stock.seconds / ours.seconds, 1), target=">= 10")

    with tempfile.TemporaryDirectory(dir=corpus.parent) as tmp:
        broken = copy_corpus(corpus, Path(tmp) / "corrupted")
        # In a child process: corrupt() holds whole tables (2.4 GB at 1M events), and on Linux a
        # child's peak RSS (wait4) starts from its parent's at fork time, so every figure measured
        # after it would read at least that much.
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            injected = pool.apply(corrupt, (broken,))
        ours = run(badia("--root", str(broken), "validate", "--format", "json"))
        stock = run([str(BIN / "frictionless"), "validate", "--json", "datapackage.json"], cwd=broken, timeout=frictionless_timeout)
        if stock.returncode not in (0, 1):
            report(results, figure="corrupted copy", corpus=str(corpus), note="frictionless did not finish in time", seconds=round(stock.seconds, 2))
            return
        mine, theirs = badia_errors(ours.stdout), frictionless_errors(stock.stdout)
        theirs_located = {(p, line) for p, line, _ in theirs}
        mine_located = {(p, line) for p, line, _ in mine}
        report(results, figure="corrupted copy: errors found", corpus=str(corpus), injected=len(injected),
               found_by_badia=sum(bool(located(mine, line, col)) for _, line, col in injected if True),
               found_by_frictionless=sum(bool(located(theirs, line, col)) for _, line, col in injected),
               frictionless_rows_missed_by_badia=sorted(map(list, theirs_located - mine_located)),
               badia_rows_beyond_frictionless=len(mine_located - theirs_located),
               badia_exit=ours.returncode, frictionless_exit=stock.returncode,
               badia_seconds=round(ours.seconds, 2), frictionless_seconds=round(stock.seconds, 2))


# --- build ----------------------------------------------------------------------------------------

FLOOR = """
import sys, time, json
from pathlib import Path
import pyarrow.csv as pc, pyarrow.parquet as pq
corpus, out = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
for path in sorted((corpus / "data").glob("*.csv")):
    pq.write_table(pc.read_csv(path), out / (path.stem + ".parquet"), compression="zstd")
"""

PHASES = """
import sys, time, json
from pathlib import Path
from badia.publish import build as b
from badia.dataset.package import load_package
from badia.dataset.tables import read_tables
from badia.validate.checks import validate
corpus, out = Path(sys.argv[1]), Path(sys.argv[2])
times = {}
t = time.perf_counter(); problems = validate(corpus); times["validate"] = time.perf_counter() - t
assert not problems, problems[:3]
package = load_package(corpus)
t = time.perf_counter(); tables = read_tables(package, []); times["read"] = time.perf_counter() - t
(out / "csv").mkdir(parents=True); (out / "parquet").mkdir()
t = time.perf_counter()
for name, table in tables.items(): b.write_csv(table, out / "csv" / f"{name}.csv")
times["csv"] = time.perf_counter() - t
t = time.perf_counter()
for name, table in tables.items(): b.write_parquet(table, out / "parquet" / f"{name}.parquet")
times["parquet"] = time.perf_counter() - t
t = time.perf_counter(); b.write_sqlite(package, tables, out / "badia.db"); times["sqlite"] = time.perf_counter() - t
from badia.publish import figures
from badia.site import views as site
t = time.perf_counter(); site.add_to_database(package.root, out / "badia.db"); times["sqlite: views and article texts"] = time.perf_counter() - t
t = time.perf_counter(); figures.write_figures(tables, out / "figures"); times["figures"] = time.perf_counter() - t
print(json.dumps({k: round(v, 2) for k, v in times.items()}))
"""


def bench_build(corpus: Path, results: Path, work: Path | None = None) -> Path:
    work = work or corpus.parent / f"{corpus.name}-bench"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    floor = run([PYTHON, "-c", FLOOR, str(corpus), str(work / "floor")])
    report(results, figure="floor: pyarrow read CSV + write Parquet", corpus=str(corpus), seconds=round(floor.seconds, 2),
           peak_rss_mb=round(floor.peak_rss_mb), command="scripts/bench.py build (the FLOOR script)")
    built = run(badia("--root", str(corpus), "build", "--out", str(work / "build")))
    assert built.returncode == 0, built.stderr[-2000:]
    report(results, figure="badia build", corpus=str(corpus), seconds=round(built.seconds, 2), peak_rss_mb=round(built.peak_rss_mb),
           command=f"badia --root {corpus} build --out DIR")
    phases = run([PYTHON, "-c", PHASES, str(corpus), str(work / "phases")])
    assert phases.returncode == 0, phases.stderr[-2000:]
    split = json.loads(phases.stdout)
    report(results, figure="badia build phases (seconds)", corpus=str(corpus), **split)
    sqlite = split["sqlite"] + split["sqlite: views and article texts"]
    report(results, figure="build ratio (badia build without SQLite / floor)", corpus=str(corpus),
           ratio=round((built.seconds - sqlite) / floor.seconds, 2), with_sqlite=round(built.seconds / floor.seconds, 2),
           without_sqlite_and_validation=round((built.seconds - sqlite - split["validate"]) / floor.seconds, 2), target="<= 3")
    shutil.rmtree(work / "floor")
    shutil.rmtree(work / "phases")
    return work / "build"


# --- Datasette ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


MAP_JSON = "_size=max&_labels=on&_extra=count&_extra=next_url&_shape=objects"  # what datasette-cluster-map asks for


def page_urls(build: Path) -> dict[str, str]:
    """The pages users open, with ids, a facet value and a search word taken from the built database."""
    import sqlite3

    with sqlite3.connect(build / "badia.db") as conn:
        event = conn.execute("SELECT event_id FROM events ORDER BY rowid LIMIT 1 OFFSET (SELECT count(*) / 2 FROM events)").fetchone()[0]
        word = conn.execute("SELECT text FROM quotes ORDER BY rowid LIMIT 1 OFFSET 1000").fetchone()[0].split()[1].strip(".,“”")
        place, etype = conn.execute("SELECT place_id, event_type FROM events GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1").fetchone()
        event_word = conn.execute("SELECT summary FROM events ORDER BY rowid LIMIT 1 OFFSET 1000").fetchone()[0].split()[1].strip(".,")
        rare_place = conn.execute("SELECT place_id FROM events GROUP BY 1 ORDER BY count(*), place_id LIMIT 1 "
                                  "OFFSET min(1000, (SELECT count(DISTINCT place_id) / 2 FROM events))").fetchone()[0]
        place_name, month = conn.execute("SELECT p.name, substr(max(e.date_start), 1, 7) FROM places p JOIN events e USING (place_id) "
                                         "WHERE p.place_id = ?", [place]).fetchone()
        actor = conn.execute("SELECT actor_id FROM event_actors GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    return {
        # The reader's pages (badia.site.pages, badia.site.search), on their largest cases
        "home page": "/",
        "the largest place's page": f"/places/{place}",
        "the largest place's page, one month": f"/places/{place}?month={month}",
        "a small place's page": f"/places/{rare_place}",
        "the busiest actor's page": f"/actors/{actor}",
        "an event's page": f"/events/{event}",
        "site search for the largest place": f"/search?q={urllib.parse.quote(place_name)}",
        "site search for a common word": f"/search?q={urllib.parse.quote(event_word)}",
        "site search, next page of events": f"/search?q={urllib.parse.quote(place_name)}&kind=event&after=1000",
        "events table with facets": "/badia/events",
        "events JSON with facets": "/badia/events.json",
        "events JSON, facets asked for again in the URL": "/badia/events.json?_facet=event_type&_facet=sub_event_type&_facet=date_precision&_facet=place_id",
        "events filtered on the largest place": f"/badia/events?place_id={place}",
        "events filtered on a place and a type": f"/badia/events?place_id={place}&event_type={urllib.parse.quote(etype)}",
        "events filtered on a small place and a type": f"/badia/events?place_id={rare_place}&event_type={urllib.parse.quote(etype)}",
        "quote full-text search": f"/badia/quotes?_search={word}",
        "quote search in quotes_with_speakers": f"/badia/quotes_with_speakers?_search={word}",
        "one event's page": f"/badia/events/{event}",
        "the event's sources": f"/badia/event_sources?event_id={event}",
        "the map's JSON (places)": f"/badia/places.json?{MAP_JSON}",
        # The site's tables (materialised at build time) and its one view
        "events_flat with its facets": "/badia/events_flat",
        "events_flat filtered on a type": f"/badia/events_flat?event_type={urllib.parse.quote(etype)}",
        "events_flat's map JSON (first 1,000 rows)": f"/badia/events_flat.json?{MAP_JSON}",
        "events_flat searched": f"/badia/events_flat?_search={event_word}",
        "events_map with its facets": "/badia/events_map",
        "quotes_with_speakers with its facets": "/badia/quotes_with_speakers",
        "event_reports with its facets": "/badia/event_reports",
        "event_reports filtered on a type": f"/badia/event_reports?event_type={urllib.parse.quote(etype)}",
    }


def bench_datasette(build: Path, results: Path, only: str | None = None, requests: int = 40, budget_seconds: float = 120) -> None:
    from badia.site.serve import datasette_args

    port = free_port()
    server = subprocess.Popen([PYTHON, "-m", "datasette", *datasette_args(build, "127.0.0.1", port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=str(ROOT / "src")))
    try:
        base = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        while True:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=5).read()
                break
            except OSError:
                if server.poll() is not None or time.perf_counter() - started > 120:
                    raise RuntimeError("datasette did not start: " + server.stderr.read().decode()[-2000:])
                time.sleep(0.2)
        report(results, figure="datasette start-up", seconds=round(time.perf_counter() - started, 2))
        for label, path in page_urls(build).items():
            if only and only not in label:
                continue
            latencies, status = [], None
            deadline = time.perf_counter() + budget_seconds
            for i in range(requests + 3):
                t = time.perf_counter()
                with urllib.request.urlopen(base + path, timeout=60) as response:
                    body = response.read()
                    status = response.status
                if i >= 3:  # the first requests warm SQLite's page cache
                    latencies.append((time.perf_counter() - t) * 1000)
                if time.perf_counter() > deadline:
                    break
            latencies.sort()
            p95 = latencies[max(0, int(round(0.95 * len(latencies))) - 1)]
            report(results, figure=f"datasette: {label}", path=path, status=status, bytes=len(body), requests=len(latencies),
                   p50_ms=round(statistics.median(latencies), 1), p95_ms=round(p95, 1), target="p95 < 150 ms")
    finally:
        server.terminate()
        server.wait(timeout=30)


# --- incremental validation -------------------------------------------------------------------------

def bench_incremental(corpus: Path, results: Path) -> None:
    with tempfile.TemporaryDirectory(dir=corpus.parent) as tmp:
        copy = copy_corpus(corpus, Path(tmp) / "pr")
        state = Path(tmp) / "state"
        full = run(badia("--root", str(copy), "validate", "--state", str(state)))
        report(results, figure="validate, saving the state", seconds=round(full.seconds, 2), peak_rss_mb=round(full.peak_rss_mb), exit=full.returncode)
        added = run([PYTHON, str(ROOT / "scripts" / "synth.py"), "--out", str(copy), "--add-article", "pr-000001"])
        assert added.returncode == 0, added.stderr
        inc = run(badia("--root", str(copy), "validate", "--state", str(state)))
        report(results, figure="incremental validate: one added article", seconds=round(inc.seconds, 2), peak_rss_mb=round(inc.peak_rss_mb),
               exit=inc.returncode, output=inc.stdout.strip()[-300:], target="< 5 s", command="badia validate --state DIR")
        # A CI run: the state restored beside a fresh checkout, whose seeds are new files (new
        # inodes and times), so every seed is read and hashed again.
        shutil.copytree(copy / "seeds", Path(tmp) / "seeds-fresh")
        shutil.rmtree(copy / "seeds")
        (Path(tmp) / "seeds-fresh").rename(copy / "seeds")
        added = run([PYTHON, str(ROOT / "scripts" / "synth.py"), "--out", str(copy), "--add-article", "pr-000002"])
        assert added.returncode == 0, added.stderr
        fresh = run(badia("--root", str(copy), "validate", "--state", str(state)))
        report(results, figure="incremental validate: one added article, fresh checkout (every seed hashed)", seconds=round(fresh.seconds, 2),
               peak_rss_mb=round(fresh.peak_rss_mb), exit=fresh.returncode, output=fresh.stdout.strip()[-300:], target="< 5 s")
        broken = copy / "data" / "quotes.csv"
        with broken.open("a", encoding="utf-8") as fh:
            fh.write("pr-000002-q99,pr-000002,0,5,Wrong,direct,,,named,,,,,\n")
        bad = run(badia("--root", str(copy), "validate", "--state", str(state)))
        report(results, figure="incremental validate: a bad row in the added article", seconds=round(bad.seconds, 2), exit=bad.returncode,
               output=bad.stdout.strip()[-400:])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("what", choices=["validate", "build", "datasette", "incremental", "all"])
    p.add_argument("corpus", type=Path, help="a corpus made by scripts/synth.py")
    p.add_argument("--results", type=Path, help="JSON lines file to append to (default CORPUS/../<name>-results.jsonl)")
    p.add_argument("--frictionless-timeout", type=float, default=3600, help="seconds before stock frictionless is stopped")
    p.add_argument("--build", type=Path, help="an existing build to serve (datasette only; default: build one)")
    p.add_argument("--work", type=Path, help="build: folder for the builds, emptied first (default CORPUS/../<name>-bench)")
    p.add_argument("--only", help="datasette: measure only the pages whose label contains this text")
    args = p.parse_args(argv)
    corpus = args.corpus.resolve()
    results = args.results or corpus.parent / f"{corpus.name}-results.jsonl"
    report(results, figure="corpus", corpus=str(corpus), rows=rows_in(corpus))
    if args.what in ("validate", "all"):
        bench_validate(corpus, results, args.frictionless_timeout)
    build = args.build
    if args.what in ("build", "all") or (args.what == "datasette" and build is None):
        build = bench_build(corpus, results, args.work)
    if args.what in ("datasette", "all"):
        bench_datasette(build, results, args.only)
    if args.what in ("incremental", "all"):
        bench_incremental(corpus, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
