"""Serve: the built database in Datasette, read-only, with metadata generated from the schemas."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from badia.site import facet_counts
from badia.dataset.package import Package
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
    os.execv(sys.executable, [sys.executable, "-m", "datasette", *datasette_args(build_dir, host, port)])
