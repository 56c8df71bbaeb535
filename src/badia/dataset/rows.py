"""The curated tables as rows of strings, exactly as written: what the assistant and the draft
checks compare text with. Typed, checked tables are `dataset.tables`; both find each table at the
path datapackage.json gives it."""

from __future__ import annotations

import csv
import json
from pathlib import Path


def table_paths(root: Path | str) -> dict[str, Path]:
    """Each table's file, by name, as datapackage.json lists them (read as plain JSON: checking the
    package is `validate`'s job, and reading rows must not need its schemas); empty for a folder
    without datapackage.json (read_rows then looks for data/<name>.csv)."""
    root = Path(root)
    if not (root / "datapackage.json").is_file():
        return {}
    descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    return {r["name"]: root / r["path"] for r in descriptor.get("resources", []) if isinstance(r, dict) and "name" in r and "path" in r}


def read_rows(root: Path | str, name: str) -> list[dict[str, str]]:
    """The table `name` as dicts of strings; an absent file is an empty table. A bare folder of
    tables (no datapackage.json, as an evaluation's copy of data/) has them at data/<name>.csv."""
    path = table_paths(root).get(name, Path(root) / "data" / f"{name}.csv")
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))
