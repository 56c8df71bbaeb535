"""Names as the world spells them, beyond the registry's aliases: a new transliteration of a known
name (al-Tanef, Issam al-Rayyes), a state named by its adjective ("Russian jets") or by its capital
("Washington's support"), and the language model's named entities that no alias covers.

A name close to a known alias (rapidfuzz's ratio over the folded names of badia.dataset.names) is
drafted as a mention of the known actor or place, with the new spelling proposed as an alias; it is
not proposed as a new actor. The adjective and capital tables are the project's own: they encode
how this campaign's reporting names states, which no general model knows as actor ids.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from badia.curate.knowledge import Entity, Knowledge
from badia.dataset.names import name_key

FUZZY_CUTOFF = 86  # rapidfuzz ratio (0-100) between folded names: 'tanif' and 'tanf' meet, 'homs' and 'hama' do not
STATE_ADJECTIVES = {"Russian": "Russia", "American": "United States", "Iranian": "Iran", "Jordanian": "Jordan",
                    "Turkish": "Turkey", "Israeli": "Israel", "British": "United Kingdom", "French": "France"}
CAPITALS = {"Washington": "United States", "Moscow": "Russia", "Tehran": "Iran", "Damascus": "Syria", "Amman": "Jordan",
            "Ankara": "Turkey", "Baghdad": "Iraq"}
# The model's entity labels that never name an actor or a place of the story: aircraft and ship
# names (PRODUCT), times, dates, numbers, languages, titles of works.
NOT_NAMES = {"PRODUCT", "DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT", "LANGUAGE", "WORK_OF_ART", "LAW"}
NAME_LABELS = {"PERSON": "actor", "ORG": "actor", "NORP": "actor", "GPE": "place", "LOC": "place", "FAC": "place"}


def _choices(k: Knowledge) -> dict[str, tuple[str, Entity]]:
    cached = getattr(k, "_fuzzy_choices", None)
    if cached is None:
        cached = {}
        for key, entries in k.forms.items():
            if len(" ".join(key)) >= 4:
                cached[" ".join(key)] = entries[0]
        k._fuzzy_choices = cached
    return cached


def closest(name: str, k: Knowledge, kind: str | None = None) -> tuple[Entity, str, float] | None:
    """The known actor or place whose alias is closest to `name`, if close enough: (entity, the
    alias, score 0-100)."""
    key = " ".join(name_key(name))
    if len(key) < 4:
        return None
    choices = _choices(k)
    for found, score, _ in process.extract(key, list(choices), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=3):
        form, entity = choices[found]
        if kind is None or entity.kind == kind:
            return entity, form, score
    return None


def state_actor(country: str, k: Knowledge) -> Entity | None:
    """The actor that stands for a state: the state itself, or its government."""
    for entity in k.entities.values():
        if entity.kind == "actor" and entity.actor_kind == "state" and entity.name == country:
            return entity
    for entity in k.entities.values():
        if entity.kind == "actor" and entity.actor_kind == "government" and re.fullmatch(rf"Government of {re.escape(country)}", entity.name):
            return entity
    return None


# How reporters vary a group's description: the same group is 'pro-government fighters' and
# 'pro-regime forces', 'Iran-backed militias' and 'Iranian-backed militias'. A description is
# tried with each head noun and with these modifiers, against the registry's aliases.
HEAD_NOUNS = ("forces", "fighters", "militias", "groups", "soldiers", "troops", "units", "militiamen", "factions", "paramilitaries")
MODIFIER_VARIANTS = [(re.compile(r"\bpro-government\b", re.IGNORECASE), "pro-regime"), (re.compile(r"\bIran-backed\b"), "Iranian-backed"),
                     (re.compile(r"\bU\.S\.-backed\b"), "US-backed"), (re.compile(r"\bIraqi\b"), "Iraqi Shi’ite")]
DESCRIPTION = re.compile(r"(?<![\w-])((?:\w[\w’'.-]*[ \t]){0,2}?\w[\w’'.-]*)[ \t](" + "|".join(HEAD_NOUNS) + r")\b", re.IGNORECASE)


def description_variants(words: str, head: str) -> list[str]:
    variants = [words]
    for pattern, replacement in MODIFIER_VARIANTS:
        variants += [pattern.sub(replacement, v) for v in variants if pattern.search(v)]
    return [f"{v} {h}" for v in dict.fromkeys(variants) for h in dict.fromkeys((head.lower(),) + HEAD_NOUNS)]


def describe(words: str, head: str, k: Knowledge) -> tuple[Entity, str] | None:
    """The actor a description names ('pro-government fighters' -> pro-regime forces), if one of its
    variants is an alias; (entity, the alias)."""
    for variant in description_variants(words, head):
        entries = k.forms.get(name_key(variant))
        if entries and entries[0][1].kind == "actor":
            return entries[0][1], entries[0][0]
    return None
