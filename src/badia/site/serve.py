"""Serve: the built database in Datasette, read-only, with metadata generated from the schemas."""

from __future__ import annotations

import ipaddress
import os
import re
import sqlite3
import sys
import threading
from pathlib import Path

from badia.site import facet_counts
from badia.dataset.package import SAFE_URL, Package
from badia.site.views import PLUGINS_DIR, TEMPLATES_DIR, add_metadata

DEFAULT_FACETS = {
    "events": ["event_type", "sub_event_type", "date_precision", "place_id"],
    "actors": ["actor_kind", "side", "acled_inter"],
    "places": ["place_type", "country_iso2", "admin1"],
    # Not article_id (20,000 values at scale, the costliest facet of a quote search, and little to
    # read at that size): one click away with ?_facet=article_id. See docs/performance.md.
    "quotes": ["kind", "speaker_actor_id", "speaker_resolution"],
    "articles": ["publisher", "published_date_inferred"],
    "event_actors": ["role", "actor_id"],
    "event_sources": ["article_id"],
    "claims": ["property", "article_id"],
    "mentions": ["entity_kind", "article_id"],
}
# Limits on every served connection (plugins/badia_guard.py), measured in scripts/bench_hostile.py:
# the slowest single call found, instr() of two strings of the maximum length, takes L^2/16 byte
# comparisons (1.8 s at 256 KiB idle, 7.5 s at 512 KiB), and Datasette's time limit cannot stop
# it. 256 KiB holds the longest value the database keeps (an article's text: add-article refuses
# texts over corpus.MAX_ARTICLE_BYTES; FTS5 pages are ~4 KB). A LIKE or GLOB pattern is a search
# term, not a text; a statement is typed or linked, not uploaded.
SQLITE_LIMITS = {
    sqlite3.SQLITE_LIMIT_LENGTH: 256 * 1024,
    sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 1000,
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: 100_000,
}
# A printf() conversion's width or precision (digits or '*' taken from the arguments).
PRINTF_CONVERSION = re.compile(r"%[-+ #0,!]*(\*|[0-9]+)?(?:\.(\*|[0-9]+))?(?:ll|l)?(.)", re.S)
_printf_connections = threading.local()


def bounded_printf(fmt, *args):
    """SQLite's printf()/format(), refusing a width or precision over the length limit.

    SQLite 3.40's printf('%.*c', 2000000000, 'x') gives NULL at the length limit but only after
    looping 2e9 times (12 s): the limit does not bound it. So printf is replaced on every served
    connection by this check, which then asks SQLite's own printf on a private connection."""
    if not isinstance(fmt, str):
        return None if fmt is None else bounded_printf(str(fmt) if not isinstance(fmt, bytes) else fmt.decode("utf-8", "replace"), *args)
    limit, taken = SQLITE_LIMITS[sqlite3.SQLITE_LIMIT_LENGTH], 0
    for conversion in PRINTF_CONVERSION.finditer(fmt):
        for size in conversion.group(1, 2):
            if size == "*":
                size = args[taken] if taken < len(args) else 0
                taken += 1
            if size is not None and _as_int(size) is not None and abs(_as_int(size)) > limit:
                raise ValueError(f"printf width or precision over {limit}")
        taken += conversion.group(3) != "%"
    conn = getattr(_printf_connections, "conn", None)
    if conn is None:
        conn = _printf_connections.conn = sqlite3.connect(":memory:")
        for key, value in SQLITE_LIMITS.items():
            conn.setlimit(key, value)
    return conn.execute(f"select printf({', '.join(['?'] * (len(args) + 1))})", (fmt, *args)).fetchone()[0]


def _as_int(value) -> int | None:
    try:
        return int(float(value)) if not isinstance(value, bytes) else None
    except (TypeError, ValueError, OverflowError):
        return None


# Nothing is loaded from, sent to, or framed by another origin; scripts stay inline-capable because
# Datasette's pages and the map plugin write inline scripts.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                           "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def host_names(extra: str = "") -> set[str]:
    """The host names the site answers to: loopback, plus a comma-separated list (BADIA_ALLOWED_HOSTS)."""
    return {*LOOPBACK_NAMES, *(name.strip().lower().strip("[]") for name in extra.split(",") if name.strip())}


def allowed_host(header: str, allowed: set[str]) -> bool:
    """Whether a Host header ('name', 'name:port', '[v6]:port') names one of `allowed`; '*'
    allows any (an explicit choice of whoever serves)."""
    if "*" in allowed:
        return True
    name = header.strip().lower()
    if name.startswith("["):
        name = name[1:name.find("]")] if "]" in name else ""
    elif name.count(":") == 1:
        name = name.split(":")[0]
    return bool(name) and name in allowed


def safe_url(url: str | None) -> str | None:
    """`url` if it is an http(s) address that may become a link on a page, else None."""
    return url if isinstance(url, str) and SAFE_URL.fullmatch(url) else None


LABEL_COLUMNS = {"actors": "name", "places": "name", "articles": "title", "events": "summary", "quotes": "text"}


def datasette_metadata(package: Package) -> dict:
    """Datasette metadata: title, description, license, sources, and every table's and column's
    description, taken from datapackage.json and the Table Schemas."""
    desc = package.descriptor
    licence = (desc.get("licenses") or [{}])[0]
    sources = "; ".join(s.get("title", "") for s in desc.get("sources", []))
    tables = {}
    for name, res in package.resources.items():
        entry = {
            "description": res.description,
            "columns": {f.name: f.description for f in res.fields},
        }
        if name in DEFAULT_FACETS:
            entry["facets"] = DEFAULT_FACETS[name]
        if name in LABEL_COLUMNS:
            entry["label_column"] = LABEL_COLUMNS[name]
        tables[name] = entry
    tables[facet_counts.TABLE] = facet_counts.METADATA
    tables["dataset_info"] = {"description": f"Which dataset and version this database is (badia {package.version}).",
                              "columns": {"key": "name, title or version", "value": "its value"}}
    return add_metadata({
        "title": desc.get("title", "badia"),
        "description": desc.get("description", ""),
        "license": licence.get("name", ""),
        "license_url": licence.get("path", ""),
        "source": sources,
        "about": f"badia {package.version}",
        "databases": {"badia": {"tables": tables}},
    }, package)


def served_hosts(host: str) -> str:
    """BADIA_ALLOWED_HOSTS for `badia serve --host HOST`: HOST itself when it is a name or a
    specific address; a wildcard bind (0.0.0.0, ::) adds nothing: say which names with the variable."""
    try:
        if ipaddress.ip_address(host).is_unspecified:
            return os.environ.get("BADIA_ALLOWED_HOSTS", "")
    except ValueError:
        pass
    return ",".join(n for n in (os.environ.get("BADIA_ALLOWED_HOSTS", ""), host) if n)


def datasette_args(build_dir: Path, host: str, port: int) -> list[str]:
    return [
        "serve", "--immutable", str(build_dir / "badia.db"),
        "--metadata", str(build_dir / "metadata.json"),
        "--host", host, "--port", str(port),
        "--setting", "sql_time_limit_ms", "3000",
        "--setting", "default_page_size", "50",
        "--setting", "allow_download", "off",
        "--plugins-dir", str(PLUGINS_DIR), "--template-dir", str(TEMPLATES_DIR),
        # Suggesting facets runs a query per column on every table page: seconds on 1M events.
        "--setting", "suggest_facets", "off",
        # SQLite's default page cache (2 MB a connection) halves the speed of a search's row lookups.
        "--setting", "cache_size_kb", "262144",
    ]


def serve(root: Path | str, host: str = "127.0.0.1", port: int = 8001, build_dir: Path | None = None) -> int:
    """Run Datasette on the build (in this process's place, so Ctrl-C stops it cleanly)."""
    build_dir = Path(build_dir) if build_dir else Path(root) / "build"
    if not (build_dir / "badia.db").exists():
        print(f"no build at {build_dir}: run `badia build` first (or `make serve`)", file=sys.stderr)
        return 2
    print(f"serving {build_dir / 'badia.db'} on http://{host}:{port}/", flush=True)
    os.environ["BADIA_ALLOWED_HOSTS"] = served_hosts(host)
    os.execv(sys.executable, [sys.executable, "-m", "datasette", *datasette_args(build_dir, host, port)])
