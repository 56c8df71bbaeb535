"""The curated content of the seeds: complete quote coverage, no invented coordinates, mentions
and aliases that agree, conflicting claims kept side by side, one event per real-world event."""

from __future__ import annotations

import csv
import re
from collections import Counter

import pytest

from conftest import ROOT

GAZETTEER = ROOT.parent / "shared" / "reference" / "gazetteer.csv"
# A quotation: curly double quotes, straight double quotes, or curly single quotes whose closing
# mark is not an apostrophe inside a word (Syria’s, Shi’ite).
QUOTED = re.compile(r"“([^”]*)”|\"([^\"]*)\"|‘((?:[^’]|’(?=\w))*)’")


def rows(name: str) -> list[dict]:
    with (ROOT / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def seed_texts() -> dict[str, str]:
    return {a["article_id"]: (ROOT / a["seed_path"]).read_bytes().decode("utf-8") for a in rows("articles")}


def test_every_quotation_mark_span_is_a_quote_or_excluded():
    texts = seed_texts()
    covered = {(r["article_id"], int(r["char_start"]), int(r["char_end"])) for r in rows("quotes") + rows("quote_exclusions")}
    missing = []
    for article_id, text in texts.items():
        for m in QUOTED.finditer(text):
            group = next(g for g in range(1, 4) if m.group(g) is not None)
            start, end = m.start(group), m.end(group)
            # The stored span may drop a trailing comma or full stop inside the marks, never words.
            if not any(a == article_id and s == start and end - 2 <= e <= end for a, s, e in covered):
                missing.append((article_id, start, m.group(0)[:60]))
    assert not missing, "quoted spans neither in quotes nor in quote_exclusions: " + repr(missing)
    assert len(covered) >= sum(len(QUOTED.findall(t)) for t in texts.values())


def test_scanner_sees_curly_straight_and_single_quotes_but_not_apostrophes():
    text = "He said “go”, then \"stop\" and ‘A heading’; Syria’s Shi’ite forces."
    assert [m.group(0) for m in QUOTED.finditer(text)] == ["“go”", "\"stop\"", "‘A heading’"]


def test_conflicting_bir_qassab_distances_are_both_kept():
    distances = [c for c in rows("claims") if c["subject_place_id"] == "bir_qassab" and c["property"] == "distance" and c["reference_place_id"] == "damascus"]
    assert sorted(float(c["value"]) for c in distances if c["unit"] == "km") == [50.0, 75.0]
    assert len({c["article_id"] for c in distances}) == 2


@pytest.mark.parametrize("figure", ["100", "55", "40", "80", "110"])
def test_stated_figures_are_claims(figure):
    assert any(c["value"] and float(c["value"]) == float(figure) for c in rows("claims")), figure


@pytest.mark.skipif(not GAZETTEER.exists(), reason="../shared/reference/gazetteer.csv is not beside this checkout")
def test_coordinates_and_ids_come_only_from_the_gazetteer():
    with GAZETTEER.open(encoding="utf-8", newline="") as fh:
        gazetteer = {g["place_id"]: g for g in csv.DictReader(fh)}
    for place in rows("places"):
        ref = gazetteer.get(place["place_id"])
        for column in ("latitude", "longitude", "geonames_id", "wikidata_qid"):
            if place[column]:
                assert ref is not None, f"{place['place_id']} has {column} but is not in the gazetteer"
                assert float(place[column]) == float(ref[column]) if column in ("latitude", "longitude") else place[column] == ref[column], (place["place_id"], column)


def test_every_mention_is_a_known_surface_form_of_its_entity():
    actors = {a["actor_id"]: {a["name"], *a["aliases"].split(";")} for a in rows("actors")}
    places = {p["place_id"]: {p["name"], *p["variants"].split(";")} for p in rows("places")}
    for m in rows("mentions"):
        forms = actors[m["actor_id"]] if m["entity_kind"] == "actor" else places[m["place_id"]]
        assert m["text"] in forms, (m["mention_id"], m["text"])


def test_every_alias_is_seen_in_the_seeds():
    corpus = "\n".join(seed_texts().values())
    for actor in rows("actors"):
        for alias in filter(None, actor["aliases"].split(";")):
            assert alias in corpus, (actor["actor_id"], alias)


def test_every_actor_and_place_is_mentioned_or_used():
    mentioned = Counter((m["entity_kind"], m["actor_id"] or m["place_id"]) for m in rows("mentions"))
    publishers = {a["publisher"] for a in rows("articles")}
    for actor in rows("actors"):
        # A publisher known from the byline, not named in the text, has no mention.
        assert mentioned[("actor", actor["actor_id"])] or actor["name"] in publishers, actor["actor_id"]
    for place in rows("places"):
        # Capitals named only for their governments ("Tehran and Baghdad have provided...") are
        # actor mentions; such place rows must say why they have none.
        assert mentioned[("place", place["place_id"])] or "Has no place mention" in place["note"], place["place_id"]


def test_date_expressions_are_words_of_their_article():
    texts = seed_texts()
    for source in rows("event_sources"):
        if source["date_expression"]:
            assert source["date_expression"] in texts[source["article_id"]], (source["event_id"], source["date_expression"])
            assert source["date_rule"], source["event_id"]


def test_one_real_world_event_is_one_row():
    """Two events with the same dates, type, place and actors would be one event reported twice."""
    actors: dict[str, set] = {}
    for ea in rows("event_actors"):
        actors.setdefault(ea["event_id"], set()).add((ea["actor_id"], ea["role"]))
    keys = Counter((e["date_start"], e["date_end"], e["sub_event_type"], e["place_id"], frozenset(actors.get(e["event_id"], ()))) for e in rows("events"))
    # Unless the article counts them ("for a third time this week"): each counted event has
    # evidence at the count's span, and there are as many of them as the count.
    counted: dict[str, int] = {}
    for c in rows("claims"):
        if c["property"] == "count" and c["value"]:
            for s in rows("event_sources"):
                if s["article_id"] == c["article_id"] and int(s["char_start"]) < int(c["char_end"]) and int(s["char_end"]) > int(c["char_start"]):
                    counted[s["event_id"]] = int(float(c["value"]))
    key_of = {e["event_id"]: (e["date_start"], e["date_end"], e["sub_event_type"], e["place_id"], frozenset(actors.get(e["event_id"], ()))) for e in rows("events")}
    allowed = {k for k, n in keys.items() if all(counted.get(e, 0) >= n for e, ek in key_of.items() if ek == k)}
    assert [k for k, n in keys.items() if n > 1 and k not in allowed] == []
    assert any(n > 1 for n in Counter(s["event_id"] for s in rows("event_sources")).values()), "no event has two reports"


def test_inferred_publication_dates_are_explained():
    notes = (ROOT / "data" / "CURATION_NOTES.md").read_text(encoding="utf-8")
    for article in rows("articles"):
        if article["published_date_inferred"] == "true":
            assert len(article["published_date_note"]) > 40, article["article_id"]
            assert article["article_id"][:3] in notes
