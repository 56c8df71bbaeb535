"""The evaluation set (tests/fixtures/eval/, written and annotated by people who had not read the
assistant's rules) is well formed: every split has its articles in at least six styles, and every
annotated string is an exact substring of its text, with ids from the registry. Read here with
json and str.find only, never with the code it measures."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import ROOT

EVAL = ROOT / "tests" / "fixtures" / "eval"


def ids(table: str, column: str) -> set[str]:
    with (ROOT / "data" / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        return {row[column] for row in csv.DictReader(fh)}


@pytest.mark.parametrize("split", ["dev", "test"])
def test_a_split_has_twelve_articles_in_six_styles_with_exact_spans(split):
    folder = EVAL / split
    articles = sorted(folder.glob("*.json"))
    assert len(articles) == 12 and len(list(folder.glob("*.txt"))) == 12
    styles = set()
    actors, places = ids("actors", "actor_id"), ids("places", "place_id")
    for path in articles:
        gold = json.loads(path.read_text(encoding="utf-8"))
        text = path.with_suffix(".txt").read_text(encoding="utf-8")
        assert gold["article_id"] == path.stem and gold["article_id"].startswith(split)
        styles.add(gold["style"])
        strings = [q["text"] for q in gold["quotes"]] + [e["evidence"] for e in gold["events"]] + \
            [a["as_written"] for a in gold["actors"]] + [p["as_written"] for p in gold["places"]] + [d["expression"] for d in gold["dates"]]
        for s in strings:
            assert text.find(s) >= 0, (path.name, s)
        for a in gold["actors"]:
            assert a["actor_id"] in actors or a["actor_id"] is None and a["new_name"], (path.name, a)
        for p in gold["places"]:
            assert p["place_id"] in places or p["place_id"] is None and p["new_name"], (path.name, p)
        assert "(test article)" in gold["publisher"]
    assert len(styles) >= 6, styles
