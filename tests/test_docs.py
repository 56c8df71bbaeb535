"""The generated docs (data dictionary, figures) are committed up to date, and say what they must."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from conftest import ROOT, run_badia

PACKAGE = json.loads((ROOT / "datapackage.json").read_text())
GENERATED = ["data-dictionary.md", "figures/timeline.svg", "figures/map.svg"]


def rows(name: str) -> list[dict]:
    with (ROOT / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docs")
    result = run_badia("docs", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.mark.parametrize("name", GENERATED)
def test_committed_docs_are_up_to_date(fresh, name):
    committed = ROOT / "docs" / name
    assert committed.is_file(), f"docs/{name} is missing: run `make docs` and commit it"
    assert committed.read_bytes() == (fresh / name).read_bytes(), f"docs/{name} is stale: run `make docs` and commit it"


def test_dictionary_has_every_table_and_field(fresh):
    text = (fresh / "data-dictionary.md").read_text(encoding="utf-8")
    for res in PACKAGE["resources"]:
        schema = json.loads((ROOT / res["schema"]).read_text())
        section = text.split(f"\n## {res['name']}\n", 1)[1].split("\n## ", 1)[0]
        assert f"{len(rows(res['name']))} rows" in section
        for field in schema["fields"]:
            line = next(l for l in section.splitlines() if l.startswith(f"| `{field['name']}` |"))
            assert f"| {field.get('type', 'string')} |" in line
            assert field["description"].replace("|", "\\|")[:50] in line
            values = [r[field["name"]] for r in rows(res["name"]) if r[field["name"]]]
            if values:
                example = values[0][:40].replace("`", "'").replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
                assert f"`{example}" in line.replace("\\|", "|"), (res["name"], field["name"])


def test_figures_show_the_data(fresh):
    timeline = (fresh / "figures" / "timeline.svg").read_text(encoding="utf-8")
    actors = {a["actor_id"]: a["side"] for a in rows("actors")}
    for side in {actors[ea["actor_id"]] for ea in rows("event_actors")}:
        assert f">{side}<" in timeline, side
    assert f"({len({ea['event_id'] for ea in rows('event_actors')})} events)" in timeline
    places = (fresh / "figures" / "map.svg").read_text(encoding="utf-8")
    for place in rows("places"):
        if place["latitude"] and place["place_type"] != "country":
            assert place["name"].replace("&", "&amp;") in places, place["name"]


def test_readme_shows_the_figures_and_the_dictionary():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in GENERATED:
        assert f"docs/{name}" in readme


def test_a_crowded_timeline_stays_small(monkeypatch):
    """Past the thresholds (set to 0 here, as if every lane were as crowded as a million events'),
    the bars and dots become one embedded image per lane and the dots lose their numbers, so the
    SVG stays small; under them (the seed data) every mark is a vector shape."""
    import io

    import matplotlib

    from badia.publish import figures
    from badia.validate.checks import validate

    tables = {}
    assert validate(ROOT, keep=tables) == []

    def draw() -> str:
        out = io.StringIO()
        with matplotlib.rc_context(figures.STYLE):
            figures.timeline(tables).savefig(out, **figures.SAVE)
        return out.getvalue()

    normal = draw()
    assert "<image" not in normal and "(number: more than one)" in normal
    monkeypatch.setattr(figures, "RASTER_MARKS_ABOVE", 0)
    monkeypatch.setattr(figures, "DAY_NUMBERS_UP_TO", 0)
    crowded = draw()
    assert crowded.count("<image") >= 2 and "(bigger: more)" in crowded and "(number: more than one)" not in crowded
    assert len(crowded) < len(normal)
