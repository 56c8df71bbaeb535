"""The assistant: reads one article and drafts its rows (quotes and their speakers, mentions,
date expressions, candidate events) for a curator to judge.

Each finder is a small rule over the text and what `knowledge` holds from the curated tables; each
draft row carries a `draft_note` that says which rule produced it and how sure it is. Writing,
applying and checking the draft files is `drafts`; measuring the drafts is `evaluate`.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from datetime import date

from badia.curate.dates import MONTHS, WEEKDAYS, DateMention, find_dates, resolve_again
from badia.curate.knowledge import Entity, Knowledge, description_key
from badia.dataset.corpus import find_all
from badia.curate.links import link_events
from badia.curate.nlp import parse
from badia.curate.spellings import CAPITALS, DESCRIPTION, NAME_LABELS, NOT_NAMES, STATE_ADJECTIVES, closest, describe, state_actor
from badia.dataset.names import ALWAYS_ARTICLES, ARABIC_ARTICLES, normal_tokens, tokenize

# ---------------------------------------------------------------- quotation marks

DOUBLE_OPEN, DOUBLE_CLOSE, SINGLE_OPEN, SINGLE_CLOSE = "“„", "”", "‘", "’"
OPENING_CONTEXT = set(" \t\n([{—–-:/")
QUOTE_CHARACTERS = re.compile("[“„”‘’\"'\n]")


@dataclass
class QuoteSpan:
    start: int  # first character inside the marks
    end: int  # the closing mark (exclusive end of the quoted text)
    closed: bool = True


def _paragraph_end(text: str, pos: int) -> int:
    nl = text.find("\n", pos)
    return len(text) if nl < 0 else nl


def find_quote_spans(text: str) -> list[QuoteSpan]:
    """Top-level quotation-mark spans: curly or straight double quotes (a quote may run over a line
    break; a new paragraph opening with a mark continues an unclosed quote, as wire copy does), and
    single quotes outside them. An apostrophe inside or after a word (Syria’s, Saba’ Biyar) closes
    nothing unless a single quote is open; single quotes inside double quotes are part of the text."""
    spans: list[QuoteSpan] = []
    double_at: int | None = None
    single_at: int | None = None
    n = len(text)
    for mark in QUOTE_CHARACTERS.finditer(text):  # only the marks and line breaks: a loop over every character is slow
        i, ch = mark.start(), mark.group(0)
        prev = text[i - 1] if i else "\n"
        nxt = text[i + 1] if i + 1 < n else "\n"
        if ch in DOUBLE_OPEN or (ch == '"' and double_at is None and prev in OPENING_CONTEXT and not nxt.isspace()):
            if double_at is not None and "\n" in text[double_at:i]:
                spans.append(QuoteSpan(double_at, _paragraph_end(text, double_at), closed=False))
            double_at, single_at = i + 1, None
        elif ch in DOUBLE_CLOSE or ch == '"':
            if double_at is not None and (ch != '"' or not prev.isspace()):
                spans.append(QuoteSpan(double_at, i))
                double_at = None
        elif double_at is None and ch == SINGLE_OPEN and not nxt.isspace():
            single_at = i + 1
        elif double_at is None and ch == "'" and single_at is None and prev in OPENING_CONTEXT and nxt.isalpha():
            single_at = i + 1
        elif double_at is None and single_at is not None and ch in (SINGLE_CLOSE, "'") and not nxt.isalnum() and not prev.isspace():
            spans.append(QuoteSpan(single_at, i))
            single_at = None
        elif ch == "\n" and single_at is not None:
            single_at = None  # an unclosed single mark was an apostrophe
    if double_at is not None:
        spans.append(QuoteSpan(double_at, _paragraph_end(text, double_at), closed=False))
    spans.sort(key=lambda s: s.start)
    return [s for s in spans if s.end > s.start and text[s.start:s.end].strip()]


# ---------------------------------------------------------------- paragraphs and sentences

@dataclass
class Sentence:
    start: int
    end: int
    paragraph: int


def split_sentences(text: str, quotes: list[QuoteSpan], starts: set[int] | None = None) -> list[Sentence]:
    """Sentences that never break inside a quotation. A paragraph is a line, joined with the next
    line when a quotation runs over the break or the next line goes on in lower case; a sentence
    ends at . ! ? (and a closing mark) before a capital or an opening mark, where the language
    model (whose sentence `starts` are given) agrees: it knows that "U.S.", "Col." and "H.W." end
    no sentence."""
    inside = bytearray(len(text) + 1)
    for q in quotes:
        inside[q.start:q.end] = b"\x01" * (q.end - q.start)
    breaks = [m.start() for m in re.finditer(r"\n", text)
              if not inside[m.start()] and not re.match(r"\n[ \t]*[a-z]", text[m.start():m.start() + 40])]
    sentences: list[Sentence] = []
    start = 0
    for paragraph, end in enumerate(breaks + [len(text)]):
        segment_start = start
        for m in re.finditer(r"[.!?]+[”’\"']?(?=\s+[A-Z“‘\"'(\[])", text[segment_start:end]):
            stop = segment_start + m.end()
            if inside[stop - 1] and text[stop - 1] not in "”’\"'":
                continue
            if any(q.start < stop - 1 < q.end for q in quotes):
                continue
            if starts is not None and _skip_space(text, stop) not in starts:
                continue
            _add_sentence(text, sentences, start, stop, paragraph)
            start = stop
        _add_sentence(text, sentences, start, end, paragraph)
        start = end + 1
    return sentences


def _add_sentence(text: str, sentences: list[Sentence], start: int, end: int, paragraph: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        sentences.append(Sentence(start, end, paragraph))


# ---------------------------------------------------------------- mentions

@dataclass
class Mention:
    start: int
    end: int
    text: str
    entity: Entity
    exact: bool
    alternatives: list[Entity] = field(default_factory=list)
    rule: str = ""


# Words after a name that make it the state acting rather than the place ("Damascus has ...").
ACTING_AFTER = {"is", "was", "has", "have", "had", "will", "would", "said", "says", "say", "warned", "warns", "announced", "attempted",
                "opens", "opened", "accused", "backs", "backed", "supports", "supported", "provided", "provides", "sent", "sends",
                "denied", "did", "does", "wants", "wanted", "can", "could", "may", "might", "must", "should", "accepted", "accepts",
                "agreed", "rejected", "claimed", "confirmed", "condemned", "insists", "urged", "called", "told", "controlled",
                "controls", "are", "were", "launched", "struck", "bombed", "sought", "seeks", "hopes", "fears", "also"}
ACTING_BEFORE = {"by", "alarmed", "warned", "urged", "told", "asked", "accused", "persuaded", "pressured", "allies", "ally"}
LOCATIVE_BEFORE = {"in", "to", "from", "near", "with", "into", "toward", "towards", "across", "via", "at", "of", "between", "through", "inside", "outside", "within"}


def find_mentions(text: str, k: Knowledge, quotes: list[QuoteSpan] = ()) -> list[Mention]:
    """Every occurrence of a known alias or variant: tokens compared without case (acronyms keep
    theirs), hyphens, apostrophes and Arabic articles, longest match first, never overlapping."""
    tokens = tokenize(text)
    kept = normal_tokens(tokens)
    keys = [t for t, _ in kept]
    candidates = []
    for a in range(len(kept)):
        for length in k.lengths.get(keys[a], ()):
            entries = k.forms.get(tuple(keys[a:a + length])) if a + length <= len(kept) else None
            if entries:
                start, end = _name_span(text, tokens, kept[a][1], kept[a + length - 1][1])
                candidates.append((start, end, entries))
                break
    candidates.sort(key=lambda c: (-(c[1] - c[0]), not any(f == text[c[0]:c[1]] for f, _ in c[2]), c[0]))
    taken = bytearray(len(text))
    mentions = []
    for start, end, entries in candidates:
        surface = text[start:end]
        exact = any(f == surface for f, _ in entries)
        if any(taken[start:end]) or _glued_common_noun(text, start, surface) or not exact and not _plausible_variant(text, start, surface, entries):
            continue
        if _inside_longer_name(text, end, quotes):
            continue
        taken[start:end] = b"\x01" * (end - start)
        entities = list(dict.fromkeys(e for _, e in sorted(entries, key=lambda fe: fe[0] != surface)))
        chosen, rule = _choose(text, start, end, entities)
        mentions.append(Mention(start, end, surface, chosen, exact, [e for e in entities if e is not chosen],
                                rule or ("alias as written" if exact else f"variant of '{entries[0][0]}'")))
    mentions += _surname_mentions(text, mentions, taken, k)
    mentions.sort(key=lambda m: m.start)
    return mentions


def _surname_mentions(text: str, mentions: list[Mention], taken: bytearray, k: Knowledge) -> list[Mention]:
    """After a person is named in full, the surname alone names them too ('Seif added',
    'al-Haj added'), with an Arabic article written before it."""
    found = []
    for m in [m for m in mentions if m.entity.kind == "actor" and m.entity.actor_kind == "person"]:
        words = re.split(r"[\s-]+", m.text)
        if len(words) < 2 or not words[-1][:1].isupper():
            continue
        pattern = re.compile(rf"(?:(?<![\w-])(?:al|Al|el)[- ]|(?<![\w-])){re.escape(words[-1])}(?![\w-])")
        for hit in pattern.finditer(text, m.end):
            start, end = hit.span()
            if any(taken[start:end]):
                continue
            taken[start:end] = b"\x01" * (end - start)
            found.append(Mention(start, end, hit.group(0), m.entity, False, [], f"surname of {m.entity.name}, named in full before"))
    return found


def _name_span(text: str, tokens: list[tuple[str, int, int]], first: int, last: int) -> tuple[int, int]:
    """The characters of a matched name, taking in an Arabic article written before it
    ('a-Tanf', 'as-Suwayda', 'al Reis', 'Al Bab')."""
    start, end = tokens[first][1], tokens[last][2]
    if first >= 2 and tokens[first - 1][0] == "-" and tokens[first - 2][0].lower() in ARABIC_ARTICLES \
            and tokens[first - 2][2] == tokens[first - 1][1] and tokens[first - 1][2] == start:
        return tokens[first - 2][1], end
    if first >= 1 and tokens[first - 1][0].lower() in ALWAYS_ARTICLES and text[tokens[first - 1][2]:start] == " ":
        return tokens[first - 1][1], end
    return start, end


def _glued_common_noun(text: str, start: int, surface: str) -> bool:
    """A common noun at the end of a hyphenated modifier ('pro-regime') is not the actor; a name
    there is ('anti-Islamic State', 'US' in 'US-backed')."""
    return surface[:1].islower() and start >= 2 and text[start - 1] == "-" and text[start - 2].isalpha()


def _plausible_variant(text: str, start: int, surface: str, entries) -> bool:
    """A variant may differ in case from its alias where the alias is a name, or where the words
    open a sentence or a quotation ('Regime forces took ...'); 'Army' inside a name is not 'army'."""
    def initial(words: str) -> str:
        return re.sub(r"^(?:al|a|as|at|ad|ar|az|an|el|e)[- ](?=\w)", "", words, flags=re.IGNORECASE)[:1]
    before = text[:start].rstrip(" \t")
    opening = not before or before[-1] in "\n.!?:“‘\"'"
    return opening or any(initial(f).isupper() == initial(surface).isupper() or initial(f).isupper() for f, _ in entries)


def _inside_longer_name(text: str, end: int, quotes) -> bool:
    """Inside quotation marks a name followed by another capitalised word is part of a longer name
    ('Badia Volcano' is a campaign, not the Badia)."""
    if not any(q.start <= end <= q.end for q in quotes):
        return False
    return bool(re.match(r" [A-Z][a-z]", text[end:end + 3]))


def _choose(text: str, start: int, end: int, entities: list[Entity]) -> tuple[Entity, str]:
    """Where the same words name an actor and a place (Damascus, Jordan, Iran), read the context."""
    kinds = {e.kind for e in entities}
    if len(kinds) < 2:
        return entities[0], ""
    before = re.findall(r"[\w’']+", text[max(0, start - 30):start])
    after = re.findall(r"[\w’']+", text[end:end + 40])
    prev_word = before[-1].lower() if before else ""
    next_word = after[0].lower() if after else ""
    actor = next(e for e in entities if e.kind == "actor")
    place = next(e for e in entities if e.kind == "place")
    possessive = text[end:end + 2] in ("’s", "'s")
    verb_next = next_word in ACTING_AFTER or next_word.endswith("ly") and len(after) > 1 and (after[1].lower() in ACTING_AFTER or after[1].lower().endswith(("ing", "ed")))
    if verb_next and not possessive:
        return actor, "actor: the name is the subject of a verb"
    if prev_word in ACTING_BEFORE:
        return actor, f"actor: after '{prev_word}'"
    if next_word in ("and", "or") and prev_word not in LOCATIVE_BEFORE and len(after) > 2 and after[2].lower() in ACTING_AFTER:
        return actor, "actor: joined to another subject of a verb"
    return place, "place: the name is not acting" + (f" (after '{prev_word}')" if prev_word in LOCATIVE_BEFORE else "")


# ---------------------------------------------------------------- spellings the aliases do not cover

def recognise(doc, text: str, mentions: list[Mention], candidates: list[Candidate], k: Knowledge) -> tuple[list[Mention], list[Candidate]]:
    """Mentions and candidates read again with the language model's entities: candidates that the
    model calls an aircraft, a time or a number are dropped; a candidate or an uncovered entity
    close to a known alias becomes a mention of it (its spelling proposed as an alias); a state's
    adjective or acting capital names the state."""
    taken = bytearray(len(text) + 1)
    for m in mentions:
        taken[m.start:m.end] = b"\x01" * (m.end - m.start)
    labels = bytearray(len(text) + 1)  # 1: a name the model knows, 2: a non-name
    for ent in doc.ents:
        labels[ent.start_char:ent.end_char] = (b"\x02" if ent.label_ in NOT_NAMES else b"\x01") * (ent.end_char - ent.start_char)
    found: list[Mention] = []
    kept: list[Candidate] = []
    for c in candidates:
        if 2 in labels[c.start:c.end] and 1 not in labels[c.start:c.end] or NOT_A_CANDIDATE.search(c.text):
            continue  # 'F/A-18E Super Hornet', 'USS George H.W. Bush', 'Last Thursday'
        match = closest(c.text, k, None)
        if match is not None:
            entity, form, score = match
            found.append(Mention(c.start, c.end, c.text, entity, False, [], f"fuzzy: close to the alias '{form}' ({score:.0f}/100); add '{c.text}' to its {'aliases' if entity.kind == 'actor' else 'variants'}"))
            taken[c.start:c.end] = b"\x01" * (c.end - c.start)
        elif 1 in labels[c.start:c.end] or c.actor_kind:
            kept.append(c)
    for ent in doc.ents:
        if ent.label_ not in NAME_LABELS or any(taken[ent.start_char:ent.end_char]):
            continue
        words = ent.text
        start = ent.start_char
        if ent.label_ == "NORP" and words == "Syrian" and MILITARY_NOUN.match(text, ent.end_char):
            entity = state_actor("Syria", k)  # 'Syrian soldiers': the government's forces, below
            if entity is not None:
                found.append(Mention(start, ent.end_char, words, entity, True, [], "the adjective of Syria"))
                taken[start:ent.end_char] = b"\x01" * (ent.end_char - start)
            continue
        if ent.label_ == "NORP" and words in STATE_ADJECTIVES:
            entity = state_actor(STATE_ADJECTIVES[words], k)
            if entity is not None:
                found.append(Mention(start, ent.end_char, words, entity, True, [], f"the adjective of {entity.name}"))
                taken[start:ent.end_char] = b"\x01" * (ent.end_char - start)
            continue
        if ent.label_ == "NORP":
            continue  # 'Syrian' is not Syria the place: an adjective names a state only as above
        match = closest(words, k, None if ent.label_ == "GPE" else NAME_LABELS[ent.label_])
        if match is not None and not any(c.start < ent.end_char and start < c.end for c in kept):
            entity, form, score = match
            found.append(Mention(start, ent.end_char, words, entity, False, [], f"fuzzy: close to the alias '{form}' ({score:.0f}/100); add '{words}' to its {'aliases' if entity.kind == 'actor' else 'variants'}"))
            taken[start:ent.end_char] = b"\x01" * (ent.end_char - start)
    found += _descriptions(text, mentions + found, k)
    covered = [(m.start, m.end) for m in found if m.rule.startswith("description")]
    mentions = [m for m in mentions if not any(a <= m.start and m.end <= b for a, b in covered)]
    out = []
    for m in mentions + found:
        if m.entity.kind == "place" and m.text in CAPITALS and _acting(text, m):
            state = state_actor(CAPITALS[m.text], k)
            if state is not None:
                m = Mention(m.start, m.end, m.text, state, m.exact, [m.entity], f"the capital acting for {state.name}")
        noun = MILITARY_NOUN.match(text, m.end)
        if noun and m.entity.kind == "actor" and m.entity.actor_kind == "government":
            forces = next((e for e in k.entities.values() if e.kind == "actor" and e.parent == m.entity.id and e.actor_kind == "armed_force"), None)
            if forces is not None:  # 'government troops', 'Syrian soldiers', 'Government warplanes': the government's armed forces
                m = Mention(m.start, noun.end(), text[m.start:noun.end()], forces, False, [m.entity], f"{m.entity.name}'s {noun.group(1)}: its armed forces")
        out.append(m)
    out.sort(key=lambda m: m.start)
    return out, kept


# Words that make a capitalised run a page's furniture or a weapon's designation, not a name.
NOT_A_CANDIDATE = re.compile(r"\b(?:Facebook|Twitter|Email|WhatsApp|Newsletter|Release No|Photo|Share)\b|\b[A-Z]{1,3}/?[A-Z]?-\d+[A-Z]?\b")
def _descriptions(text: str, mentions: list[Mention], k: Knowledge) -> list[Mention]:
    """Groups named by a description that varies an alias ('pro-government fighters', 'Iran-backed
    militias', 'rebel units'), where no longer known name covers the words."""
    found = []
    for hit in DESCRIPTION.finditer(text):
        start, end = hit.span()
        words = re.sub(r"^(?:the|a|an|its|their|his|her|of|and|with|by|some|many|other)\s+", "", hit.group(1), flags=re.IGNORECASE)
        start = end - len(words) - 1 - len(hit.group(2))
        inside = [m for m in mentions if m.start < end and start < m.end]
        if any(m.start <= start and end <= m.end for m in inside) or any(m.end - m.start > (end - start) // 2 and m.entity.actor_kind not in ("state", "government") for m in inside):
            continue
        match = describe(words, hit.group(2), k)
        if match is not None:
            entity, alias = match
            found.append(Mention(start, end, text[start:end], entity, False, [], f"description: read as the alias '{alias}'"))
    return found


def _publisher(text: str, publisher: str, mentions: list[Mention], candidates: list[Candidate]) -> list[Candidate]:
    """The outlet that published the article, where its text names it (a byline, a dateline's
    '(Sahra Wire Service)'), as a candidate media actor: the longest run of its name's first words."""
    words = re.sub(r"\s*\([^)]*\)", "", publisher).split()
    taken = [(m.start, m.end) for m in mentions] + [(c.start, c.end) for c in candidates]
    found: list[Candidate] = []
    for n in range(len(words), 1, -1):
        name = " ".join(words[:n])
        for at in find_all(text, name):
            end = at + len(name)
            if not any(a < end and at < b for a, b in taken):
                found.append(Candidate(at, end, name, "actor", "media", "the article's publisher"))
                taken.append((at, end))
    return found


MILITARY_NOUN = re.compile(r" (troops|soldiers|forces|army|warplanes|jets|aircraft|planes|artillery|units)\b")


def _acting(text: str, m: Mention) -> bool:
    """A capital that acts: the subject of a verb, a possessive, or after 'by'."""
    after = re.findall(r"[\w’']+", text[m.end:m.end + 30])
    before = re.findall(r"[\w’']+", text[max(0, m.start - 20):m.start])
    return text[m.end:m.end + 2] in ("’s", "'s") or bool(after) and after[0].lower() in ACTING_AFTER or bool(before) and before[-1].lower() in ACTING_BEFORE


# ---------------------------------------------------------------- candidate new entities

CANDIDATE_STOP = {"the", "a", "an", "but", "however", "he", "she", "they", "it", "we", "our", "their", "his", "her", "this", "that",
                  "these", "those", "if", "as", "while", "despite", "for", "in", "on", "at", "of", "and", "or", "with", "from", "by",
                  "to", "also", "meanwhile", "after", "before", "since", "when", "where", "read", "share", "photo", "courtesy",
                  "min", "sources", "source", "there", "some", "many", "undeterred", "members", "member", "foreign", "president",
                  "major", "captain", "colonel", "general", "minister", "brigadier", "lieutenant", "sheikh", "commander", "spokesman"}
CANDIDATE_NAME = re.compile(r"(?:\b(?:al|a|as|ad|ar|az|at|an|el|ash)-)?[A-Z][\w’'‘-]*(?:[ \t]+(?:(?:of|of the|al|bin|ibn)[ \t]+)?(?:[A-Z][\w’'‘-]*|al-\w+|a-\w+))*")
ACTOR_WORDS = re.compile(r"\b(Brigades?|Forces|Army|Front|Group|Movement|Council|Ministry|Party|Militias?|Battalions?|Regiment|Division|Corps|Command|Agency|News|Media|Centre|Center|Guards?|Units?|Jaish|Liwa|Harakat|Jabhat|Faylaq|Ahrar)\b")
PLACE_CUES = re.compile(r"\b(?:in|near|at|from|to|towards?|outside|village of|town of|city of|area of|province of|around|between|reached|entered|captured|seized)\s+$")
PERSON_TITLES = re.compile(r"\b(?:Major|Captain|Colonel|General|Brigadier|Lieutenant|Sheikh|President|Minister|Commander|spokes(?:man|woman|person))\s+$")
ROLE_AFTER = re.compile(r",\s+(?:a|an|the)\s+(?:\w+\s+){0,3}(?:spokes\w+|commander|head|leader|official|minister|chief)\b")
PLACE_WORDS = re.compile(r"\b(Dam|Mountains?|Airport|Air Base|Base|Crossing|River|Valley|Desert|Highway|Road|Province|Governorate|Village|Town|City|District|Camp|Well|Oasis|Hills?|Mount|Jabal|Tal|Tell|Wadi)\b")


@dataclass
class Candidate:
    start: int
    end: int
    text: str
    kind: str  # actor | place
    actor_kind: str
    reason: str
    alias_of: str = ""  # a known actor or place this spelling is close to: proposed as its alias


def find_candidates(text: str, mentions: list[Mention], sentences: list[Sentence]) -> list[Candidate]:
    """Capitalised names that match no known alias or variant: proposed new actors or places."""
    taken = bytearray(len(text))
    for m in mentions:
        taken[m.start:m.end] = b"\x01" * (m.end - m.start)
    starts = {s.start for s in sentences}
    found = []
    for m in CANDIDATE_NAME.finditer(text):
        start, name = _trim_name(m.start(), m.group(0))
        end = start + len(name)
        words = name.split()
        if not words or len(name) < 3 or any(taken[start:end]) or start in starts and len(words) == 1 or _is_date_word(words[0]):
            continue
        before = text[max(0, start - 25):start]
        if ACTOR_WORDS.search(name):
            media = re.search(r"News|Media|Agency|Cent(?:re|er)", name)
            found.append(Candidate(start, end, name, "actor", "media" if media else "armed_group", "capitalised name with an organisation word"))
        elif PERSON_TITLES.search(before) or ROLE_AFTER.match(text, end):
            found.append(Candidate(start, end, name, "actor", "person", "name after a title or before a role"))
        elif PLACE_WORDS.search(name) or PLACE_CUES.search(before):
            found.append(Candidate(start, end, name, "place", "", "capitalised name after a place word (in, near, town of, ...)"))
        elif len(words) >= 2:
            found.append(Candidate(start, end, name, "actor", "", "capitalised name matching no alias: actor or place?"))
        else:
            continue
        taken[start:end] = b"\x01" * (end - start)
    return found


def _trim_name(start: int, name: str) -> tuple[int, str]:
    """A capitalised run without the sentence words around it ('However', 'The') and without
    connectors or apostrophes at its ends."""
    words = name.split(" ")
    while words and words[0].lower() in CANDIDATE_STOP:
        start += len(words[0]) + 1
        words = words[1:]
    while words and words[-1] in ("of", "of the", "al", "bin", "ibn", "the"):
        words = words[:-1]
    return start, " ".join(words).rstrip("’'‘-")


def _is_date_word(word: str) -> bool:
    return word.lower() in MONTHS + WEEKDAYS


# ---------------------------------------------------------------- quotes and speakers

SPEECH = re.compile(r"\b(said|says|say|saying|told|tells|tell|telling|added|adds|announced|announces|announcing|stated|states|warned|warns|wrote|writes|"
                    r"claimed|claims|explained|noted|insisted|reported|reports|continued|declared|confirmed|denied|argued|asserted|according to|quoted)\b")
PRONOUNS = {"he", "she", "they", "it", "we", "him", "her", "them"}
ROLE_NOUNS = (r"spokes(?:man|woman|person)|commander|head|leader|member|official|minister|chief|director|officer|source|envoy|"
              r"representative|analyst|resident|statement|report|communiqu[eé]")
CONNECTOR = re.compile(r"^(?:(?:however|but|and|still|yet|meanwhile|instead|indeed|also|moreover|in fact|nonetheless|again)\s*,?\s*)?$", re.IGNORECASE)
NAMING_WORDS = {"dubbed", "called", "named", "so-called", "termed", "labelled", "labeled", "branded", "codenamed"}
MODIFIERS = {"a", "an", "the", "armed", "new"}
NOT_A_NOUN = {"into", "to", "of", "in", "on", "for", "from", "with", "at", "by", "and", "or", "that", "which", "who", "the", "a", "an",
              "is", "was", "are", "were"}


@dataclass
class Speaker:
    actor_id: str
    as_written: str
    resolution: str
    start: int
    note: str = ""
    new_name: str = ""  # a name matching no known actor: proposed as a new actor


@dataclass
class DraftQuote:
    span: QuoteSpan
    text: str
    kind: str
    speaker: Speaker | None
    attribution: str
    channel: str
    said_date: date | None
    event_id: str = ""
    notes: list[str] = field(default_factory=list)
    heading: bool = False


def _is_heading(text: str, q: QuoteSpan) -> bool:
    """A line that is nothing but a short quotation without sentence punctuation is a heading."""
    line_start = text.rfind("\n", 0, q.start) + 1
    line_end = _paragraph_end(text, q.end)
    outside = (text[line_start:q.start - 1] + text[q.end + 1:line_end]).strip()
    inner = text[q.start:q.end].strip()
    return not outside and not re.search(r"[.!?,;:]$", inner) and len(inner.split()) <= 8


def _kind(text: str, q: QuoteSpan, sentence: Sentence) -> str:
    """term: a short name or label ('dubbed “Badia Volcano”', 'an armed “pro-Syrian regime” drone');
    direct: the quotation opens its sentence, after at most a connector ('However, “...”');
    partial: words woven into the reporter's own sentence."""
    inner = text[q.start:q.end]
    words = inner.split()
    before = text[sentence.start:q.start - 1]
    prev = (re.findall(r"[\w-]+", before) or [""])[-1].lower()
    nxt = (re.findall(r"[\w-]+", text[q.end + 1:q.end + 30]) or [""])[0]
    if len(words) <= 4 and not re.search(r"[.!?;:]", inner.rstrip(",. ")):
        capitalised = all(w[:1].isupper() for w in words if w[:1].isalpha())
        modifies_noun = text[q.end + 1:q.end + 2] == " " and nxt[:1].islower() and nxt not in NOT_A_NOUN and prev in MODIFIERS
        if prev in NAMING_WORDS or capitalised and prev in MODIFIERS | {"announced"} or modifies_noun:
            return "term"
    return "direct" if CONNECTOR.match(before.strip()) else "partial"


def _clauses(text: str, sentence: Sentence, quotes: list[QuoteSpan]) -> list[tuple[int, int]]:
    """The stretches of a sentence outside its quotations, in order."""
    out, pos = [], sentence.start
    for q in _quotes_in(sentence, quotes):
        if q.start - 1 > pos:
            out.append((pos, q.start - 1))
        pos = q.end + 1
    if pos < sentence.end:
        out.append((pos, sentence.end))
    return out


def _quotes_in(sentence: Sentence, quotes: list[QuoteSpan]) -> list[QuoteSpan]:
    return [q for q in quotes if sentence.start <= q.start - 1 and q.end <= sentence.end]


@dataclass
class Attribution:
    """The words that attribute a quotation: the speaker phrase, the speech verb, their clause."""

    phrase: tuple[int, int]
    verb: tuple[int, int]
    clause: tuple[int, int]

    def words(self, text: str) -> tuple[int, int]:
        start = min(self.phrase[0], self.verb[0])
        end = max(self.phrase[1], _clause_end(text, self.verb[1], self.clause[1]))
        return start, end


def find_attribution(text: str, start: int, end: int, last: bool = False) -> Attribution | None:
    """In a clause with a speech verb, the speaker phrase: after the verb ('said Major X, the
    spokesperson for Y', 'according to X') or the subject before it ('X told AFP')."""
    verbs = list(SPEECH.finditer(text, start, end))
    if not verbs:
        return None
    verb = verbs[-1] if last else verbs[0]
    vs, ve = verb.span()
    if verb.group(1) == "according to" or not re.search(r"\w", text[start:vs]):
        ps = _skip_space(text, ve)
        return Attribution((ps, _clause_end(text, ps, end)), (vs, ve), (start, end))
    return Attribution(_subject(text, start, vs), (vs, ve), (start, end))


def _subject(text: str, start: int, verb_start: int) -> tuple[int, int]:
    """The noun phrase just before a speech verb, with a name kept before its apposition
    ('Muhammad Adnan, a spokesman for ...') and a relative clause left out ('... which has ...')."""
    head = text[start:verb_start].rstrip(" ,\n")
    relative = re.search(r"\s(?:which|who|whose)\s", head)
    if relative:
        head = head[:relative.start()]
    parts = re.split(r"(,\s+|;\s+|:\s+|\s+(?:while|where|when|whereas|although|because|since|as|if)\s+|\s+and\s+(?=(?:a|an|the)\s))", head)
    i = len(parts) - 1
    while i >= 2 and re.match(rf"(?:a|an|the)\b.*\b(?:{ROLE_NOUNS})\b", parts[i]) and parts[i - 1].startswith(",") \
            and re.fullmatch(r"(?:[A-Z][\w’'-]*|al|al-\w+|a-\w+|bin|ibn)(?:\s+(?:[A-Z][\w’'-]*|al|al-\w+|a-\w+|bin|ibn))*", parts[i - 2].strip()):
        i -= 2
    phrase = "".join(parts[i:]).strip()
    phrase_start = _skip_space(text, start + len(head) - len("".join(parts[i:])))
    lead = re.match(r"(?:while|where|when|whereas|although|because|since|as|if|and|but|then)\s+", phrase)
    if lead:
        phrase, phrase_start = phrase[lead.end():], phrase_start + lead.end()
    return phrase_start, phrase_start + len(phrase)


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


# A full stop that ends a title or an initial ends no clause ("said Capt. Ellis Norwood").
ABBREVIATED = re.compile(r"(?:\b(?:Maj|Gen|Lt|Col|Capt|Cpt|Sgt|Brig|Adm|Cmdr|Dr|Mr|Mrs|Ms|St)|\b[A-Z]|(?:[A-Z]\.)+[A-Z])\.$")


def _clause_end(text: str, start: int, end: int) -> int:
    """Where the words after a speech verb stop: the sentence's end, or a following clause."""
    stretch = text[start:end]
    m = next((m for m in re.finditer(r"[.;]\s|[.;]$|\bthat\b", stretch) if not ABBREVIATED.search(stretch, 0, m.start() + 1)), None)
    stop = start + (m.start() if m else len(stretch))
    return len(text[:stop].rstrip(" ,"))


def _channel(clause: str) -> str:
    if re.search(r"\be-?mail\b", clause, re.IGNORECASE):
        return "email"
    told = re.search(r"\b(?:told|tells|telling)\s+((?:[A-Z][\w’'-]*\s?)+)", clause)
    if told:
        return "told " + told.group(1).strip()
    if re.search(r"\bannounc", clause):
        return "announcement"
    if re.search(r"\bstatement\b", clause):
        return "statement"
    return ""


MILITARY_WORDS = re.compile(r"\b(?:military|army|armed forces|defen[cs]e|pentagon)\b", re.IGNORECASE)
SPEAKING_KINDS = ("armed_force", "coalition", "government", "alliance", "armed_group", "militia")


# Titles written before a name, kept as a role and left out of the name ("Capt. Jeff Davis" is Jeff Davis).
TITLES = re.compile(r"^(?:(?:(?:Maj|Gen|Lt|Col|Capt|Cpt|Sgt|Brig|Adm|Cmdr|Dr|Mr|Mrs|Ms)\.?|Major|General|Lieutenant|Colonel|Captain|"
                    r"Sergeant|Brigadier|Admiral|Commander|Sheikh|President|Minister|Spokesman|Spokeswoman)\s+)+")


@dataclass
class Person:
    """A person the article names (a known actor, or a new name the language model tags PERSON)."""

    start: int
    end: int
    name: str
    actor_id: str
    new_name: str = ""


def find_people(doc, text: str, mentions: list[Mention]) -> list[Person]:
    """People in the order the article introduces them, for 'he said' and 'the official added'."""
    people = [Person(m.start, m.end, m.text, m.entity.id) for m in mentions if m.entity.kind == "actor" and m.entity.actor_kind == "person"]
    for ent in doc.ents:
        if ent.label_ != "PERSON":
            continue
        start, end = ent.start_char, ent.end_char
        if any(m.start < end and start < m.end for m in mentions):
            continue  # a known name (a person's is in `people` already; a place or group the model took for a person is not one)
        name = TITLES.sub("", re.sub(r"^(?:the|a|an)\s+", "", ent.text, flags=re.IGNORECASE)).strip(" ,.’'")
        if len(name.split()) >= 2 and "\n" not in name and all(w[:1].isupper() or w.lower() in ("al", "bin", "ibn") or w.startswith(("al-", "a-")) for w in name.split()):
            people.append(Person(start, end, name, slug(name), name))
    people.sort(key=lambda p: p.start)
    return people


class SpeakerResolver:
    """Resolves the words that name a speaker to an actor, remembering the article's earlier
    speakers for back-references ('he added', 'the spokesman said', 'al-Haj added') and the people
    it introduced since ('Al-Baraa Fares ... was blunter. "...," he said')."""

    def __init__(self, k: Knowledge, text: str, mentions: list[Mention], publisher: str, people: list[Person] = ()):
        self.k, self.text, self.mentions = k, text, mentions
        self.starts = [m.start for m in mentions]
        self.publisher = publisher.lower()
        self.history: list[tuple[str, str, str]] = []  # (phrase, actor_id, resolution)
        self.people = list(people)
        self.new_names = {p.actor_id: p.new_name for p in self.people if p.new_name}
        self.last_at = -1  # where the last remembered speaker was named

    def mentions_in(self, start: int, end: int) -> list[Mention]:
        i = bisect.bisect_left(self.starts, start)
        out = []
        while i < len(self.mentions) and self.mentions[i].start < end:
            if self.mentions[i].end <= end:
                out.append(self.mentions[i])
            i += 1
        return out

    def remember(self, phrase: str, speaker: Speaker) -> None:
        if speaker.actor_id:
            self.history.append((phrase, speaker.actor_id, speaker.resolution))
            self.last_at = max(self.last_at, speaker.start)
            if speaker.new_name:
                self.new_names[speaker.actor_id] = speaker.new_name

    def _introduced(self, before: int) -> Person | None:
        """The last person named after the last speaker and before `before`."""
        return next((p for p in reversed(self.people) if self.last_at < p.start and p.end <= before), None)

    def _speaker(self, actor_id: str, phrase: str, resolution: str, start: int, note: str) -> Speaker:
        return Speaker(actor_id, phrase, resolution, start, note, self.new_names.get(actor_id, ""))

    def resolve(self, start: int, end: int, context: tuple[int, int]) -> Speaker:
        """The speaker named by text[start:end]; `context` is the stretch (the paragraph so far) in
        which a spokesperson's organisation may be named."""
        phrase = self.text[start:end].strip()
        low = phrase.lower()
        words = re.findall(r"[\w’'-]+", phrase)
        last = self.history[-1] if self.history else None
        if not words:
            return Speaker("", phrase, "unknown", start, "no words name the speaker")
        if low in PRONOUNS or low == "who":  # 'according to the spokesman, who added: "..."'
            introduced = self._introduced(start)
            if introduced is not None and low in ("he", "she", "who"):
                return Speaker(introduced.actor_id, phrase, "back_reference", start, f"'{phrase}' = {introduced.name}, named since the last speaker", introduced.new_name)
            if last:
                return self._speaker(last[1], phrase, "back_reference", start, f"'{phrase}' = the last speaker, '{last[0]}'")
            return Speaker("", phrase, "unknown", start, f"'{phrase}' has no earlier speaker in the article")
        found = self.mentions_in(start, end)
        named = next((p for p in self.people if start <= p.start and p.end <= end and p.new_name), None)
        if named is not None and not any(m.entity.kind == "actor" and m.entity.actor_kind == "person" for m in found):
            earlier = any(h[1] == named.actor_id for h in self.history)
            return Speaker(named.actor_id, phrase, "back_reference" if earlier else "named", start,
                           f"new actor: '{named.name}' matches no alias (add it to actors)", named.new_name)
        actors = [m.entity for m in found if m.entity.kind == "actor"]
        person = next((m for m in found if m.entity.kind == "actor" and m.entity.actor_kind == "person"), None)
        if person is not None:
            earlier = any(h[1] == person.entity.id for h in self.history)
            if earlier and len(person.text.split()) < len(person.entity.name.split()):
                return Speaker(person.entity.id, phrase, "back_reference", start, f"'{person.text}' = {person.entity.name}, named earlier")
            return Speaker(person.entity.id, phrase, "named", start, f"named: alias '{person.text}'")
        key = description_key(phrase)
        whole = next((m for m in found if m.entity.kind == "actor" and low.removeprefix("the ").strip() == m.text.lower()), None)
        if whole is not None:
            return Speaker(whole.entity.id, phrase, "named", start, f"named: alias '{whole.text}'")
        if re.search(rf"\b(?:{ROLE_NOUNS})s?\b", low):
            for past, actor_id, _ in reversed(self.history):
                if set(key) <= set(description_key(past)) | {w.rstrip("s") for w in description_key(past)}:
                    resolution = "back_reference" if low.startswith("the ") else "organisation"
                    return Speaker(actor_id, phrase, resolution, start, f"'{phrase}' = the earlier '{past}'")
        memory = self.k.speaker_descriptions.get(key)
        if memory and self.k.actor(memory):
            return Speaker(memory, phrase, "named" if self.k.actor(memory).actor_kind == "person" else "organisation", start,
                           "the same description as a curated quotation's speaker")
        reporting = re.match(r"\s*(?:reported|reports)\b", self.text[end:end + 12])
        speaking = [a for a in actors if a.actor_kind != "media" or not reporting]
        if speaking:
            return self._organisation(phrase, start, speaking, found, context)
        if low.startswith("the ") and (last or self._introduced(start)):
            introduced = self._introduced(start)
            if introduced is not None:
                return Speaker(introduced.actor_id, phrase, "back_reference", start, f"'{phrase}' = {introduced.name}, named since the last speaker", introduced.new_name)
            return self._speaker(last[1], phrase, "back_reference", start, f"'{phrase}' = the last speaker, '{last[0]}' (no closer match)")
        name = re.match(r"((?:[A-Z][\w’'-]+|al|al-\w+|a-\w+)(?:\s+(?:[A-Z][\w’'-]+|al|al-\w+|a-\w+|bin|ibn))*)", TITLES.sub("", phrase))
        if name and (len(name.group(1).split()) > 1 or self.history or self.people):
            surname = re.split(r"[\s-]", name.group(1))[-1].lower()
            for p in reversed([p for p in self.people if p.end <= start]):
                if surname in re.split(r"[\s’'-]+", p.name.lower()) and len(p.name) > len(name.group(1)):
                    earlier = any(h[1] == p.actor_id for h in self.history)
                    return Speaker(p.actor_id, phrase, "back_reference", start, f"'{name.group(1)}' = {p.name}, named earlier", self.new_names.get(p.actor_id, p.new_name))
            for past, actor_id, _ in reversed(self.history):
                if surname in re.split(r"[\s’'-]+", past.lower()):
                    return self._speaker(actor_id, phrase, "back_reference", start, f"'{name.group(1)}' = the earlier '{past}'")
            if len(name.group(1).split()) > 1:
                return Speaker(slug(name.group(1)), phrase, "named", start, f"new actor: '{name.group(1)}' matches no alias (add it to actors)", name.group(1))
        return Speaker("", phrase, "unknown", start, f"'{phrase}' names no known actor")

    def _organisation(self, phrase: str, start: int, actors: list[Entity], found: list[Mention], context: tuple[int, int]) -> Speaker:
        """An unnamed spokesperson speaks for the most specific organisation the phrase names; a
        state's military spokesperson for that state's forces in the story."""
        comma = phrase.find(", ")
        if comma > 0:  # the head noun phrase names the speaker's side; an apposition after it describes it
            head = [m.entity for m in found if m.entity.kind == "actor" and m.start < start + comma]
            actors = [a for a in actors if a in head] or actors
        ancestors = set().union(*(self.k.ancestors(a.id) for a in actors))
        specific = [a for a in dict.fromkeys(actors) if a.id not in ancestors] or actors
        choice = specific[-1]
        note = f"the organisation the phrase names: {choice.name}"
        if all(a.actor_kind == "state" for a in specific) and MILITARY_WORDS.search(phrase):
            forces = self._forces_of(choice, context)
            if forces is not None:
                choice, note = forces, f"a {choice.name} military spokesperson: the {choice.name} forces named nearby, {forces.name}"
        if len(specific) > 1:
            note += "; also named: " + ", ".join(a.id for a in specific if a is not choice)
        written = any(m.entity is choice and phrase.lower().lstrip().removeprefix("the ").startswith(m.text.lower()) for m in found)
        return Speaker(choice.id, phrase, "named" if written else "organisation", start, note)

    def _forces_of(self, state: Entity, context: tuple[int, int]) -> Entity | None:
        names = {t for f in state.forms for t, _, _ in tokenize(f) if len(t) > 1 and t[:1].isupper()}
        nearby = [m.entity for m in self.mentions_in(*context) if m.entity.kind == "actor" and m.entity.actor_kind in SPEAKING_KINDS]
        for actor in nearby:
            if actor.parent == state.id or any(t in names for f in actor.forms for t, _, _ in tokenize(f)):
                return actor
        return next((a for a in self.k.entities.values() if a.kind == "actor" and a.parent == state.id and a.actor_kind == "armed_force"), None)


def slug(name: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "_", name.lower().replace("’", "").replace("'", "")).strip("_")
    return (s or "x")[:80]


def draft_quotes(text: str, quotes: list[QuoteSpan], sentences: list[Sentence], resolver: SpeakerResolver,
                 dates: list[DateMention], k: Knowledge) -> list[DraftQuote]:
    """One draft per quotation: kind, attribution, speaker, channel and the day it was said. Reported
    speech without quotation marks ('X told Syria Direct that ...') names speakers too."""
    drafts: list[DraftQuote] = []
    paragraph_speaker: dict[int, tuple[Speaker, date | None, str]] = {}
    paragraph_start: dict[int, int] = {}
    for s in sentences:
        paragraph_start.setdefault(s.paragraph, s.start)
        context = (paragraph_start[s.paragraph], s.end)
        inside = _quotes_in(s, quotes)
        if not inside:
            attribution = find_attribution(text, s.start, s.end, last=True)
            if attribution is not None and text[slice(*attribution.verb)] not in ("reported", "reports"):
                speaker = resolver.resolve(*attribution.phrase, context)
                if speaker.actor_id:
                    resolver.remember(text[slice(*attribution.phrase)], speaker)
                    paragraph_speaker[s.paragraph] = (speaker, _said_date(text, dates, attribution), text[slice(*attribution.words(text))])
            continue
        clauses = _clauses(text, s, quotes)
        for q in inside:
            drafts.append(_draft_quote(text, q, s, clauses, resolver, dates, drafts, paragraph_speaker, context))
            if drafts[-1].said_date is None and not drafts[-1].heading:
                _date_by_narrative(text, drafts[-1], dates, quotes)
    for d in drafts:
        _date_present_tense(d, drafts)
    for d in drafts:
        _credit_repeated_words(d, drafts, k)
    return drafts


def _date_by_narrative(text: str, d: DraftQuote, dates: list[DateMention], quotes: list[QuoteSpan]) -> None:
    """Words that count from the moment of speaking ('this dawn', 'until this very moment') in an
    undated quotation were said on the day the story has reached: the last single day it named."""
    if not any(m.deictic and d.span.start <= m.char_start < d.span.end for m in dates):
        return
    outside = [m for m in dates if m.char_end <= d.span.start and m.resolved.precision == 1 and not m.deictic
               and not any(q.start <= m.char_start < q.end for q in quotes)]
    if outside:
        day = outside[-1]
        d.said_date = day.resolved.start
        d.notes.append(f"said_date: the quotation speaks of '{text[m.char_start:m.char_end] if (m := next(x for x in dates if x.deictic and d.span.start <= x.char_start < d.span.end)) else ''}' "
                       f"on the day the story last named, '{day.text}' ({day.resolved.start})")


def _date_present_tense(d: DraftQuote, drafts: list[DraftQuote]) -> None:
    """A present-tense attribution ('a spokesperson tells Syria Direct', 'the US warns') announces
    the statement the article quotes later: it takes the date of that speaker's first dated quote."""
    if d.said_date is not None or d.speaker is None or not re.search(r"\b(?:tells|says|warns|adds)\b", d.attribution):
        return
    later = next((o for o in drafts if o.span.start > d.span.start and o.said_date and o.speaker and o.speaker.actor_id == d.speaker.actor_id), None)
    if later is not None:
        d.said_date = later.said_date
        d.notes.append(f"said_date: present-tense attribution; the same speaker's statement is dated later ('{later.attribution}')")


def _draft_quote(text, q, s, clauses, resolver, dates, drafts, paragraph_speaker, context) -> DraftQuote:
    inner = text[q.start:q.end]
    notes = [] if q.closed else ["no closing quotation mark before the end of the paragraph"]
    if _is_heading(text, q):
        return DraftQuote(q, inner, "term", None, "", "", None, heading=True,
                          notes=["a line that is only a short quotation: a heading, not anyone's words"])
    kind = _kind(text, q, s)
    after = [c for c in clauses if c[0] >= q.end]
    before = [c for c in clauses if c[1] <= q.start]
    attribution = next((a for c in after for a in [find_attribution(text, *c)] if a), None) \
        or next((a for c in reversed(before) for a in [find_attribution(text, *c, last=True)] if a), None)
    said, attr_text, channel = None, "", ""
    if attribution is not None:
        verb = text[slice(*attribution.verb)]
        speaker = resolver.resolve(*attribution.phrase, context)
        attr_text = text[slice(*attribution.words(text))].strip(" ,.")
        channel = _channel(text[slice(*attribution.clause)])
        said = _said_date(text, dates, attribution)
        if verb in ("reported", "reports") and (not speaker.actor_id or resolver.k.actor(speaker.actor_id) and resolver.k.actor(speaker.actor_id).actor_kind == "media"):
            speaker = Speaker("", text[slice(*attribution.phrase)], "unknown", q.start, "the outlet reports the words without saying who spoke them")
        if verb in ("added", "adds", "continued") and said is None:
            prior = next((d for d in reversed(drafts) if d.speaker and d.speaker.actor_id == speaker.actor_id), None)
            if prior is not None:
                said, channel = prior.said_date, channel or prior.channel
        if speaker.actor_id:
            resolver.remember(text[slice(*attribution.phrase)], speaker)
            paragraph_speaker[s.paragraph] = (speaker, said, attr_text)
    elif s.paragraph in paragraph_speaker:
        same, said, words = paragraph_speaker[s.paragraph]
        speaker = Speaker(same.actor_id, "", "context", q.start, f"no attribution in its sentence: the paragraph's speaker ({words})")
    elif drafts and drafts[-1].speaker and drafts[-1].speaker.actor_id:
        prior = drafts[-1]
        speaker = Speaker(prior.speaker.actor_id, "", "context", q.start, "no attribution in its paragraph: the previous quotation's speaker")
        said, channel = prior.said_date, prior.channel
    else:
        speaker = Speaker("", "", "unknown", q.start, "no attribution found")
    return DraftQuote(q, inner, kind, speaker, attr_text, channel, said, notes=notes)


def _said_date(text: str, dates: list[DateMention], a: Attribution) -> date | None:
    """The day an attribution dates its words: a one-day expression among the attribution's words
    ('told AFP on Sunday'), or just before its speaker ('Also on Monday, the FSA announced')."""
    start, end = a.words(text)
    dates = [d for d in dates if d.kind != "currently"]  # 'are currently ...' dates what is said, not the saying
    for d in dates:
        if d.resolved.precision == 1 and start <= d.char_start and d.char_end <= end:
            return d.resolved.start
    for d in dates:
        if d.resolved.precision == 1 and a.clause[0] <= d.char_start and d.char_end <= start and not re.search(r"\w", re.sub(r"^[\s,]*", "", text[d.char_end:start])):
            return d.resolved.start
    return None


def _credit_repeated_words(d: DraftQuote, drafts: list[DraftQuote], k: Knowledge) -> None:
    """Words quoted twice are one speaker's: a headline's 'defend', a lede repeating a later quote
    (this article), or a report repeating words already curated for another article."""
    if d.heading or d.speaker is None:
        return
    words = d.text.strip(" ,.;:")
    weak = d.speaker.resolution == "unknown" or "sources" in d.speaker.as_written.lower()
    partial = d.kind != "direct" and d.speaker.resolution in ("organisation", "named") and \
        not (k.actor(d.speaker.actor_id) and k.actor(d.speaker.actor_id).actor_kind == "person")
    if len(words) < 4 or not (weak or partial):
        return
    for other in drafts:
        if other is not d and other.speaker and other.speaker.actor_id and other.speaker.resolution != "context" \
                and words in other.text and len(other.text) > len(d.text):
            _credit(d, other.speaker.actor_id, other.said_date, "", f"the same words are quoted later in this article ('{other.text[:40]}')")
            return
    if not weak or len(words.split()) < 2:
        return
    for known in k.quotes:
        if words in known.text and known.speaker:
            said = date.fromisoformat(known.said_date) if known.said_date else None
            _credit(d, known.speaker, said, known.event_id, f"the same words are quoted in article {known.article_id}")
            return


def _credit(d: DraftQuote, actor_id: str, said: date | None, event_id: str, why: str) -> None:
    if actor_id != d.speaker.actor_id:
        d.notes.append(f"the attribution alone suggests {d.speaker.actor_id or 'no known actor'} ({d.speaker.note})")
    d.speaker = Speaker(actor_id, d.speaker.as_written, "context", d.speaker.start, why)
    d.said_date = said
    d.event_id = event_id


# ---------------------------------------------------------------- events

# (pattern, event_type, sub_event_type): the first rule that matches a sentence decides its type.
EVENT_RULES = [
    (r"\bshot\s+down\b|\bshoots?\s+down\b|\bintercept(?:ed|s)?\b|\bdowned\b", "Strategic developments", "Disrupted weapons use"),
    (r"\b(?:suicide\s+(?:car\s+)?bomb(?:er|ing)?s?|car\s+bombs?|(?-i:S?VBIEDs?))\b", "Explosions/Remote violence", "Suicide bomb"),
    (r"\b(?:air\s*-?strikes?|airstrikes?|struck|strikes?\s+on|(?<!the\s)strikes\b|bomb(?:ed|ing|s|arded|ardment)?|(?:warplanes?|aircraft|jets?|planes?)\s+(?:also\s+)?(?:attacked|hit|targeted)|air\s+raids?|raids?|dropped\s+(?:\w+\s+){0,2}(?:munitions?|bombs?))\b", "Explosions/Remote violence", "Air/drone strike"),
    (r"\b(?:shell(?:ed|ing|s)|artillery\s+fire|mortars?|rockets?\s+(?:fired|hit)|missiles?\s+(?:fired|hit|struck))\b", "Explosions/Remote violence", "Shelling/artillery/missile attack"),
    (r"\b(?:roadside\s+bomb|(?-i:IEDs?)|landmines?|mines?\s+exploded)\b", "Explosions/Remote violence", "Remote explosive/landmine/IED"),
    (r"\b(?:captur(?:ed|es|ing|e)|seiz(?:ed|es|ing|ure)|took\s+(?:control|over|\d+|several|dozens|the\s+(?:town|village|city|area|hills?))|tak(?:ing|en)\s+(?:control|over|territory)|retook|recaptur(?:ed|es|ing)|regain(?:ed|s)|fell\s+to|overran|gains?)\b", "Battles", "Government regains territory"),
    (r"\b(?:clash(?:ed|es|ing)?|fighting|fought|battl(?:ed|es|ing)|attack(?:ed|s|ing)?|assault|offensive|ambush(?:ed)?|repell?(?:ed|ing)|came\s+under|skirmish(?:es)?|target(?:ed|ing)?)\b", "Battles", "Armed clash"),
    (r"\b(?:announced|launched|formed|declared)\b.*\b(?:campaign|operation|alliance|group|brigade)\b", "Strategic developments", "Change to group/activity"),
    (r"\b(?:agreement|ceasefire|truce|deal)\b", "Strategic developments", "Agreement"),
    (r"\b(?:advanc(?:ed|es|ing|e)|mov(?:ed|ing)|reinforcements?|mobiliz(?:ed|ing)|mobilis(?:ed|ing)|surged|reach(?:ed|es)?|deploy(?:ed|ing|ment)|sent|expand(?:ed|ing)|encircl(?:ed|ing)|patrol(?:led|ling|s)?|convoy|clear(?:ed|ing)?\s+(?:land\s+)?mines|demining|crossed|raced|pushed|warned|threat(?:en|ening)?)\b", "Strategic developments", "Other"),
]
EVENT_PATTERNS = [(re.compile(p, re.IGNORECASE), t, s) for p, t, s in EVENT_RULES]
# Words before an event word that make it planned or possible, not reported: 'will reach', 'plans
# to advance', 'if expanded' (but 'have begun to target' reports a start).
IRREALIS = re.compile(r"\b(?:will|would|could|might|may|can|should|if)\s+(?:\w+\s+){0,2}$|\b(?:to|if)\s+$", re.IGNORECASE)
BEGUN = re.compile(r"\b(?:begun|began|begin|started|continued|continue)\s+(?:\w+\s+){0,3}to\s+$", re.IGNORECASE)
NEAR = re.compile(r"\b(?:near|around|outside|close to|(?:north|south|east|west)(?:-?(?:east|west))?\s+of)\s+(?:the\s+)?$")
GEO_PRECISION = {"governorate": 4, "region": 5, "country": 6, "road": 5, "river": 5}


@dataclass
class DraftEvent:
    start: int
    end: int
    event_type: str
    sub_event_type: str
    actor1: Entity | None
    actor2: Entity | None
    allies: list[Entity]  # other actors in actor1's own subject ('X and its allies attacked')
    others: list[Entity]
    place: Entity | None
    geo_precision: int
    date_range: tuple[date, date, int]
    date_expression: str
    date_rule: str
    trigger: str
    existing_event: str = ""
    notes: list[str] = field(default_factory=list)
    links: list = field(default_factory=list)  # links.Link to events already in data/, best first

    @property
    def confidence(self) -> float:
        """Higher when the row names its actor, its place and a date of its own."""
        score = 0.4 + 0.2 * (self.actor1 is not None) + 0.2 * (self.place is not None) + 0.15 * bool(self.date_expression)
        return round(min(score, 0.95), 2)


def draft_events(text: str, sentences: list[Sentence], mentions: list[Mention], dates: list[DateMention],
                 quotes: list[DraftQuote], ref: date, k: Knowledge, doc=None) -> list[DraftEvent]:
    """Sentences that report something happening, with a proposed ACLED type, actors, place and date."""
    events: list[DraftEvent] = []
    last_date_of_paragraph: dict[int, DateMention] = {}
    tokens = {t.idx: t for t in doc} if doc is not None else {}
    headline = text[:_paragraph_end(text, 0)].strip()
    for index, s in enumerate(sentences):
        sentence = text[s.start:s.end]
        in_dates = [d for d in dates if s.start <= d.char_start < s.end]
        carried = last_date_of_paragraph.get(s.paragraph)
        if in_dates:
            last_date_of_paragraph[s.paragraph] = in_dates[-1]
        rule = _event_rule(sentence)
        if rule is None or len(sentence.split()) < 4:
            continue
        m, etype, sub = rule
        verb_at = s.start + m.start()
        token = tokens.get(verb_at)
        date_range, expression, date_rule = _event_date(sentence, verb_at, in_dates, carried, ref)
        if _not_an_event(text, s, verb_at, token, quotes, headline, date_range, ref, bool(in_dates)):
            continue
        in_mentions = [x for x in mentions if s.start <= x.start and x.end <= s.end]
        actor1, actor2, allies, others = _event_actors(sentence, s.start, verb_at, in_mentions)
        parsed = _parsed_actors(token, in_mentions, sub)
        if parsed[0] is not None:
            actor1 = parsed[0]
            actor2 = parsed[1] if parsed[1] is not None and parsed[1] is not actor1 else (actor2 if actor2 is not actor1 else None)
            allies = [a for a in allies if a is not actor1 and a is not actor2]
        if sub == "Government regains territory" and actor1 is not None and actor1.side != "government-aligned":
            sub = "Non-state actor overtakes territory"
        window = sentences[max(0, index - 2)].start
        recent = next((x.entity for x in reversed(mentions) if x.entity.kind == "place" and window <= x.start < s.start), None) \
            or (events[-1].place if events and events[-1].start >= window else None)  # the place the last two sentences named
        place, geo = _event_place(text, verb_at, in_mentions, recent)
        notes = [f"rule: '{m.group(0)}' -> {etype} / {sub}"] + (["actors from the parse: the agent of the event word"] if parsed[0] is not None else [])
        existing = next((q.event_id for q in quotes if q.event_id in k.events and s.start <= q.span.start < s.end), "")
        if existing:
            ev = k.events[existing]
            notes.append(f"the quotation in it belongs to curated event {existing}: report of the same event?")
            date_range = (date.fromisoformat(ev["date_start"]), date.fromisoformat(ev["date_end"]), int(ev["date_precision"]))
        if place is None:
            notes.append("no place named: choose one in places")
        if others:
            notes.append("other actors in the sentence: " + ", ".join(a.id for a in others))
        events.append(DraftEvent(s.start, s.end, etype, sub, actor1, actor2, allies, others, place, geo, date_range, expression,
                                 date_rule, m.group(0), existing, notes))
    return events


# Lines of a page that are not the article's report: links to other stories, captions, boxes.
BOILERPLATE = re.compile(r"^\s*(?:Related|Most read|Read more|See also|Photo|Picture|Caption|Newsletter|Sign up|Subscribe|Share|Top photo|Watch)\b", re.IGNORECASE)
MODALS = {"would", "could", "might", "may", "will", "should", "can", "must", "'d", "wo"}
CONDITIONS = {"if", "unless", "should", "whether"}
NEGATING = {"avoid", "deny", "refuse"}


def _not_an_event(text: str, s: Sentence, verb_at: int, token, quotes: list[DraftQuote], headline: str,
                  date_range: tuple, ref: date, dated: bool) -> str:
    """Why a sentence with an event word reports no event, or "": the headline (told again in the
    body), a page's boilerplate, words inside a quotation (a statement), a hypothetical or negated
    event (by the parse: a modal or 'if' on the event's verb, a 'not' or 'no'), background before
    the article's year."""
    sentence = text[s.start:s.end]
    if s.start < len(headline) + 1 or sentence.strip() == headline or BOILERPLATE.match(sentence):
        return "headline or boilerplate"
    quote = next((q for q in quotes if q.span.start <= verb_at < q.span.end and q.kind == "direct"), None)
    if quote is not None and not dated and not (token is not None and token.tag_ in ("VBD", "VBN")):
        return "inside a quotation"  # a statement; a quotation that dates what it tells ('at dawn today') or tells it in the past reports an event
    if date_range[1] < date(ref.year, 1, 1):
        return "background before the article's year"
    if re.match(r"\s*(?:If|Should|Unless|Were)\b|\s*[A-Z]\w+ing\b[^,.;]*\b(?:would|could|might)\b", sentence):
        return "hypothetical"  # 'If ...', 'Capturing Tanf would open ...'
    if token is None:
        return ""
    chain = [token]  # the event word and the words it hangs from, up to its clause's verb
    while chain[-1].pos_ not in ("VERB", "AUX") and chain[-1].head is not chain[-1] and len(chain) < 6:
        chain.append(chain[-1].head)
    verb = chain[-1]
    chain += [verb.head] if verb.dep_ in ("xcomp", "acl", "relcl") and verb.head is not verb else []
    for t in chain:
        children = list(t.children)
        if any(c.dep_ == "neg" or c.lower_ == "no" and c.dep_ == "det" for c in children) or t.lemma_ in NEGATING:
            return "negated"  # 'did not comment on the fighting', 'No fighting was reported', 'has avoided any clash'
        if any(c.dep_ in ("aux", "auxpass") and c.lower_ in MODALS for c in children) or any(c.dep_ == "mark" and c.lower_ in CONDITIONS for c in children):
            return "hypothetical"
    if verb.tag_ in ("VBZ", "VBP") and not any(c.dep_ in ("aux", "auxpass") for c in verb.children) and verb.lemma_ not in ("say", "tell"):
        return "a present state or habit, not a dated event"  # 'the dam lies ...', 'special forces train ...'
    return ""


def _parsed_actors(token, in_mentions: list[Mention], sub: str) -> tuple[Entity | None, Entity | None]:
    """actor1 and actor2 from the dependency parse: the agent of the event's verb (its active
    subject, or the 'by' phrase of a passive; the owner of an aircraft: 'a U.S. F-15E') and what
    it acted on (the object, or the passive subject)."""
    if token is None:
        return None, None
    verb = token if token.pos_ in ("VERB", "AUX") else token.head
    while verb.dep_ in ("conj", "xcomp") and not any(c.dep_ in ("nsubj", "nsubjpass") for c in verb.children) and verb.head is not verb:
        verb = verb.head
    children = list(verb.children)
    agent = next((c for c in children if c.dep_ == "agent"), None)
    passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in children)
    if passive:
        doer = next((g for g in (agent.children if agent is not None else []) if g.dep_ == "pobj"), None)
        done = next((c for c in children if c.dep_ == "nsubjpass"), None)
    else:
        doer = next((c for c in children if c.dep_ == "nsubj"), None)
        done = next((c for c in children if c.dep_ == "dobj"), None) or next(
            (g for c in children if c.dep_ == "prep" for g in c.children if g.dep_ == "pobj"), None)

    def first_actor(head):
        if head is None:
            return None
        lo, hi = head.left_edge.idx, head.right_edge.idx + len(head.right_edge.text)
        acting = [x for x in in_mentions if x.entity.kind == "actor" and x.entity.actor_kind not in ("media", "person") and lo <= x.start and x.end <= hi]
        heads = [x for x in acting if x.start <= head.idx < x.end]  # the phrase's own head ('SAA forces'), else its first actor
        return (heads or acting)[0].entity if acting else None

    return first_actor(doer), first_actor(done)


def _event_rule(sentence: str):
    """The first rule with an event word that is not merely planned or possible ('plans to reach',
    'could advance', 'if expanded'): (match, event_type, sub_event_type) or None."""
    for pattern, etype, sub in EVENT_PATTERNS:
        for m in pattern.finditer(sentence):
            before = sentence[max(0, m.start() - 40):m.start()]
            if not IRREALIS.search(before) or BEGUN.search(before):
                return m, etype, sub
    return None


def _event_actors(sentence: str, offset: int, verb_at: int, in_mentions: list[Mention]):
    """actor1: the first actor of the verb's own clause (the others there are its allies), else the
    last actor before the verb; actor2: the first actor of another side after the verb."""
    acting = [x for x in in_mentions if x.entity.kind == "actor" and x.entity.actor_kind not in ("media", "person")]
    before = [x.entity for x in acting if x.end <= verb_at]
    after = [x.entity for x in acting if x.start >= verb_at]
    clause_start = offset + max(sentence.rfind(",", 0, verb_at - offset), sentence.rfind(";", 0, verb_at - offset), -1) + 1
    subject = [x.entity for x in acting if clause_start <= x.start and x.end <= verb_at]
    actor1 = subject[0] if subject else before[-1] if before else after[0] if after else None
    allies = [a for a in subject[1:] if a is not actor1]
    actor2 = next((a for a in after if a is not actor1 and a.side != getattr(actor1, "side", None)), None)
    others = [a for a in dict.fromkeys(x.entity for x in acting) if a not in (actor1, actor2) and a not in allies]
    return actor1, actor2, allies, others


def _event_place(text: str, verb_at: int, in_mentions: list[Mention], recent: Entity | None) -> tuple[Entity | None, int]:
    """The first place after the verb (else any in the sentence, else the previous event's), and
    its UCDP where_prec: 1 at it, 2 near it, 4-6 for a governorate, region or country."""
    places = [x for x in in_mentions if x.entity.kind == "place" and x.start >= verb_at] or [x for x in in_mentions if x.entity.kind == "place"]
    place = places[0].entity if places else recent
    geo = GEO_PRECISION.get((place.place_type if place else "").split(" ")[0], 1)
    if places and NEAR.search(text[max(0, places[0].start - 30):places[0].start]):
        geo = max(geo, 2)
    return place, geo


def _event_date(sentence: str, verb_at: int, in_dates: list[DateMention], carried: DateMention | None, ref: date):
    """The date expression nearest the verb; else the last one earlier in the paragraph; else the
    article's date for the present tense; else the seven days up to the article's date."""
    if in_dates:
        d = min(in_dates, key=lambda d: abs(d.char_start - verb_at))
        return (d.resolved.start, d.resolved.end, d.resolved.precision), d.text, d.resolved.rule
    if carried is not None:
        r = carried.resolved
        return (r.start, r.end, r.precision), "", f"no date words in the sentence: carried from '{carried.text}' earlier in the paragraph ({r.rule})"
    if re.search(r"\b(?:is|are)\s+(?:\w+ly\s+)?\w+ing\b|\bis being\b", sentence):
        return (ref, ref, 1), "", "no date words; present tense: the article's date"
    week = date.fromordinal(ref.toordinal() - 6)
    return (week, ref, 3), "", "no date words: the seven days up to the article's date (check the text for a better window)"


# ---------------------------------------------------------------- one article

def _in_quote_reference(mention: DateMention, quotes: list[DraftQuote]) -> DateMention:
    """'this dawn' inside a quotation counts from the day the quotation was said."""
    if not mention.deictic:
        return mention
    q = next((q for q in quotes if q.span.start <= mention.char_start < q.span.end), None)
    if q is None or q.said_date is None:
        return mention
    return resolve_again(mention, q.said_date, "the day the quotation was said")


@dataclass
class ArticleDraft:
    article_id: str
    text: str
    published: date
    quotes: list[DraftQuote]
    mentions: list[Mention]
    candidates: list[Candidate]
    dates: list[DateMention]
    events: list[DraftEvent]


def draft_article(article_id: str, text: str, ref: date, k: Knowledge, publisher: str = "") -> ArticleDraft:
    """Everything the assistant proposes for one article's text, published on `ref`."""
    doc = parse(text)
    spans = find_quote_spans(text)
    sentences = split_sentences(text, spans, {s.start_char for s in doc.sents})
    mentions = find_mentions(text, k, spans)
    dates = find_dates(text, ref)
    candidates = find_candidates(text, mentions, sentences)
    mentions, candidates = recognise(doc, text, mentions, candidates, k)
    candidates += _publisher(text, publisher, mentions, candidates)
    resolver = SpeakerResolver(k, text, mentions, publisher, find_people(doc, text, mentions))
    quotes = draft_quotes(text, spans, sentences, resolver, dates, k)
    dates = [_in_quote_reference(d, quotes) for d in dates]
    events = draft_events(text, sentences, mentions, dates, quotes, ref, k, doc)
    link_events([e for e in events if not e.existing_event], k)
    return ArticleDraft(article_id, text, ref, quotes, mentions, candidates, dates, events)
