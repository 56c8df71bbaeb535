"""Datasette serves every table of a real build, with facets, search and the schemas' descriptions."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from datasette.app import Datasette

from conftest import ROOT

TABLES = [r["name"] for r in json.loads((ROOT / "datapackage.json").read_text())["resources"]]


@pytest.fixture(scope="module")
def immutable(built: Path) -> Datasette:
    from badia.site.serve import datasette_args

    assert "--immutable" in datasette_args(built, "127.0.0.1", 8001)
    return Datasette(immutables=[str(built / "badia.db")], metadata=json.loads((built / "metadata.json").read_text()))


async def get(ds: Datasette, path: str):
    response = await ds.client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.text[:500])
    return response


@pytest.mark.asyncio
async def test_index_and_database_pages(immutable):
    page = await get(immutable, "/")
    assert "Badia 2017" in page.text
    assert "CC-BY-4.0" in page.text
    await get(immutable, "/badia")


@pytest.mark.parametrize("name", TABLES)
@pytest.mark.asyncio
async def test_every_table_html_json_csv(immutable, name):
    html = await get(immutable, f"/badia/{name}")
    schema_description = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text())["description"]
    assert schema_description.split(",")[0].split(":")[0][:40] in html.text.replace("&#39;", "'")
    rows = (await get(immutable, f"/badia/{name}.json?_shape=array&_size=max")).json()
    with (ROOT / "data" / f"{name}.csv").open(encoding="utf-8") as fh:
        assert len(rows) == sum(1 for _ in csv.DictReader(fh))
    csv_text = (await get(immutable, f"/badia/{name}.csv")).text
    assert csv_text.splitlines()[0].split(",")[0].strip('"') == json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text())["fields"][0]["name"]


@pytest.mark.asyncio
async def test_column_descriptions_from_schemas(immutable):
    data = (await get(immutable, "/-/metadata.json")).json()
    columns = data["databases"]["badia"]["tables"]["events"]["columns"]
    assert columns["date_precision"].startswith("UCDP date_prec")


@pytest.mark.asyncio
async def test_facet_and_full_text_search(immutable):
    facets = (await get(immutable, "/badia/events.json?_facet=event_type")).json()
    assert facets["facet_results"]["event_type"]["results"]
    first_word = (await get(immutable, "/badia/quotes.json?_shape=array&_size=1")).json()[0]["text"].split()[0].strip(".,“”\"'")
    found = (await get(immutable, f"/badia/quotes.json?_search={first_word}&_shape=array")).json()
    assert found
    for quote in found:
        searched = " ".join(quote[c] or "" for c in ("text", "speaker_as_written", "attribution")).lower()
        assert first_word.lower()[:4] in searched
