"""What the assistant knows before it reads a new article, all taken from the curated tables at run
time: actor aliases, place variants, how earlier speakers were written and resolved, earlier quotes
and the events they belong to. Nothing here is keyed to a particular article's strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from badia.dataset.names import HYPHENS, name_key, tokenize
from badia.dataset.rows import read_rows


def split_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(";") if v.strip()]


@dataclass(eq=False)
class Entity:
    kind: str  # actor | place
    id: str
    name: str
    forms: list[str]
    actor_kind: str = ""
    parent: str = ""
    side: str = ""
    place_type: str = ""


@dataclass
class KnownQuote:
    article_id: str
    text: str
    speaker: str
    said_date: str
    event_id: str


@dataclass
class Knowledge:
    """The curated dataset's knowledge, indexed for matching."""

    entities: dict[tuple[str, str], Entity] = field(default_factory=dict)
    forms: dict[tuple[str, ...], list[tuple[str, Entity]]] = field(default_factory=dict)
    lengths: dict[str, tuple[int, ...]] = field(default_factory=dict)  # first token -> key lengths, longest first
    speaker_descriptions: dict[tuple[str, ...], str] = field(default_factory=dict)
    quotes: list[KnownQuote] = field(default_factory=list)
    events: dict[str, dict] = field(default_factory=dict)
    articles: dict[str, dict] = field(default_factory=dict)
    actor_ids: set[str] = field(default_factory=set)
    place_ids: set[str] = field(default_factory=set)
    event_actors: dict[str, list[str]] = field(default_factory=dict)  # event id -> its actors, actor1 first
    place_points: dict[str, tuple[float, float]] = field(default_factory=dict)

    def actor(self, actor_id: str) -> Entity | None:
        return self.entities.get(("actor", actor_id))

    def place(self, place_id: str) -> Entity | None:
        return self.entities.get(("place", place_id))

    def ancestors(self, actor_id: str) -> set[str]:
        seen, node = set(), self.actor(actor_id)
        while node is not None and node.parent and node.parent not in seen:
            seen.add(node.parent)
            node = self.actor(node.parent)
        return seen

    def add(self, entity: Entity) -> None:
        self.entities[(entity.kind, entity.id)] = entity
        for form in entity.forms:
            key = name_key(form)
            if not key:
                continue
            entries = self.forms.setdefault(key, [])
            if not any(f == form and e is entity for f, e in entries):
                entries.append((form, entity))
            self.lengths[key[0]] = tuple(sorted(set(self.lengths.get(key[0], ())) | {len(key)}, reverse=True))


def _name_forms(name: str) -> list[str]:
    """A canonical name and, for 'Abu Kamal (al-Bukamal)', each part of it that is itself a name
    (every word capitalised: not '(unnamed)' or '(Raqqa offensive)')."""
    inner = [p for p in re.findall(r"\(([^)]*)\)", name)
             if all(w[:1].isupper() or re.match(r"(?:al|a|as|ad|ar|az|el)-[A-Z]", w) for w in p.split())]
    outer = re.sub(r"\s*\([^)]*\)", "", name).strip()
    return [f for f in [name, outer, *inner] if f]


def description_key(phrase: str) -> tuple[str, ...]:
    """A speaker description without its determiners and vague adjectives, for look-up."""
    drop = {"a", "an", "the", "unnamed", "local", "anonymous", "senior"}
    return tuple(t.lower() for t, _, _ in tokenize(phrase) if t.lower() not in drop and t not in HYPHENS)


def load_knowledge(root: Path | str, exclude_article: str | None = None) -> Knowledge:
    """Everything the assistant may use, read from the tables of the dataset at `root`. `exclude_article` leaves out that
    article's own quotes and events, so that an evaluation does not read its own answers."""
    k = Knowledge()
    for row in read_rows(root, "actors"):
        forms = split_list(row.get("aliases")) + _name_forms(row.get("name", ""))
        k.add(Entity("actor", row["actor_id"], row.get("name", ""), forms, row.get("actor_kind", ""),
                     row.get("parent_actor_id", ""), row.get("side", "")))
        k.actor_ids.add(row["actor_id"])
    for row in read_rows(root, "places"):
        forms = split_list(row.get("variants")) + _name_forms(row.get("name", ""))
        k.add(Entity("place", row["place_id"], row.get("name", ""), forms, place_type=row.get("place_type", "")))
        k.place_ids.add(row["place_id"])
        try:
            k.place_points[row["place_id"]] = (float(row["latitude"]), float(row["longitude"]))
        except (KeyError, TypeError, ValueError):
            pass  # a place without coordinates is compared by its id only
    for row in read_rows(root, "articles"):
        k.articles[row["article_id"]] = row
    own_events = set()
    if exclude_article:
        own_events = {r["event_id"] for r in read_rows(root, "event_sources") if r["article_id"] == exclude_article}
        other_events = {r["event_id"] for r in read_rows(root, "event_sources") if r["article_id"] != exclude_article}
        own_events -= other_events
    for row in read_rows(root, "events"):
        if row["event_id"] not in own_events:
            k.events[row["event_id"]] = row
    for row in sorted(read_rows(root, "event_actors"), key=lambda r: r["role"] != "actor1"):
        if row["event_id"] in k.events:
            k.event_actors.setdefault(row["event_id"], []).append(row["actor_id"])
    for row in read_rows(root, "quotes"):
        if row["article_id"] == exclude_article:
            continue
        k.quotes.append(KnownQuote(row["article_id"], row["text"], row.get("speaker_actor_id", ""), row.get("said_date", ""),
                                   row.get("event_id", "") if row.get("event_id", "") in k.events else ""))
        if row.get("speaker_resolution") in ("named", "organisation") and row.get("speaker_actor_id") and row.get("speaker_as_written"):
            k.speaker_descriptions[description_key(row["speaker_as_written"])] = row["speaker_actor_id"]
    return k


def published(k: Knowledge, article_id: str) -> date:
    return date.fromisoformat(k.articles[article_id]["published_date"])
