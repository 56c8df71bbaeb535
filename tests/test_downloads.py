"""The site's reader tables (events_flat, quotes_with_speakers) as downloads: typed Parquet and CSV
in the build (and so in releases), loading as the README says. Expected values from data/*.csv."""

from __future__ import annotations

import csv
import datetime
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from conftest import ROOT


def rows(name: str) -> list[dict]:
    with (ROOT / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_events_flat_loads_typed_as_the_readme_says(built: Path):
    events = {e["event_id"]: e for e in rows("events")}
    schema = pq.read_schema(built / "parquet" / "events_flat.parquet")
    assert schema.field("event_date").type == pa.date32() and schema.field("fatalities").type == pa.int64()
    frame = pd.read_parquet(built / "parquet" / "events_flat.parquet", dtype_backend="pyarrow")  # the README's line
    assert sorted(frame["event_id"]) == sorted(events)
    for row in frame.to_dict("records"):
        event = events[row["event_id"]]
        assert row["event_date"] == datetime.date.fromisoformat(event["date_start"])
        assert (None if pd.isna(row["fatalities"]) else int(row["fatalities"])) == (int(event["fatalities"]) if event["fatalities"] else None)
        assert row["notes"] == event["summary"]
    with (built / "csv" / "events_flat.csv").open(encoding="utf-8", newline="") as fh:
        flat = list(csv.DictReader(fh))
    assert [r["event_id"] for r in flat] == list(frame["event_id"])
    assert all(r["fatalities"] == events[r["event_id"]]["fatalities"] for r in flat)


def test_quotes_with_speakers_downloads_and_every_download_is_described(built: Path):
    quotes = rows("quotes")
    frame = pd.read_parquet(built / "parquet" / "quotes_with_speakers.parquet", dtype_backend="pyarrow")
    assert sorted(frame["quote_id"]) == sorted(q["quote_id"] for q in quotes)
    said = {q["quote_id"]: q["said_date"] for q in quotes}
    assert all((r["said_date"].isoformat() if not pd.isna(r["said_date"]) else "") == said[r["quote_id"]] for r in frame.to_dict("records"))
    described = {r["path"] for r in json.loads((built / "datapackage.json").read_text())["resources"]}
    files = {p.relative_to(built).as_posix() for sub in ("csv", "parquet") for p in (built / sub).iterdir()}
    assert files == described & files and {"csv/events_flat.csv", "parquet/events_flat.parquet", "csv/quotes_with_speakers.csv"} <= files
    assert files >= {f"csv/{r['name']}.csv" for r in json.loads((ROOT / "datapackage.json").read_text())["resources"]}
