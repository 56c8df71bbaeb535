"""Names as the world spells them: tokens, and the folding that makes two transliterations of one
name meet (a-Tanf, al-Tanf and Tanf; Qassab and Qasab). Shared by the assistant, which matches
names in new articles, and the site, whose search finds a name through its variants.
"""

from __future__ import annotations

import functools
import re

# Tokens: dotted acronyms ("U.S."), words (with apostrophes inside them, "Shi’ite", but not a
# possessive "’s") or single punctuation characters.
TOKEN = re.compile(r"(?:[A-Z]\.){2,}|\w+(?:[’'‘](?![sS]\b)\w+)*|[^\w\s]")
HYPHENS = {"-", "‐", "‑", "–", "—"}
APOSTROPHES = {"’", "'", "‘", "ʿ", "ʾ"}
# Arabic article forms written before a name ("al-Tanf", "a-Tanf", "Deir ez-Zor", "Deir al Zor").
ARABIC_ARTICLES = {"al", "el", "ul", "a", "e", "as", "ash", "at", "ath", "ad", "adh", "ar", "az", "an", "es", "ez", "ed", "ad"}
ALWAYS_ARTICLES = {"al", "el", "ul"}  # never English words, so dropped wherever they stand


DOUBLED = re.compile(r"(\w)\1+")
# Vowels that English transliterations of Arabic write differently for one sound: Mohammad and
# Muhammad, Osoud and Usud, Maghawer and Maghawir, Jaysh and Jaish, Ashayer and Ashair, Abdou and
# Abdo. Each side is folded to one letter (o and ou to u, e and ee to i, ay and ey to ai); only
# the vowels move, so two different names stay apart.
VOWELS = [(re.compile(r"ou|oo|o"), "u"), (re.compile(r"ee|e"), "i"), (re.compile(r"(?<=[aiu])y(?![aiu])|(?<=a)y(?=i)"), "i")]


@functools.lru_cache(maxsize=65536)
def fold(token: str) -> str:
    """One token as the matcher compares it: short acronyms keep their case ("IS" is not "is") and
    lose their dots ("U.S." is "US"); other words, capitals too (AMMAN, CENTCOM), lose case,
    transliteration vowels (VOWELS) and doubled letters (Qassab/Qasab, Sabaa/Saba), the
    commonest differences between two transliterations of one name."""
    if token.isupper() and 1 < len(token.replace(".", "")) <= 3:
        return token.replace(".", "")
    word = token.lower()
    for pattern, vowel in VOWELS:
        word = pattern.sub(vowel, word)
    return DOUBLED.sub(r"\1", word)


def normal_tokens(tokens: list[tuple[str, int, int]]) -> list[tuple[str, int]]:
    """The tokens that carry a name, folded, with their index in `tokens`: hyphens, apostrophes and
    Arabic articles dropped, so that a-Tanf, al-Tanf and Tanf, or Deir e-Zor and Deir al Zor, meet."""
    kept = []
    for i, (tok, _, _) in enumerate(tokens):
        if tok in HYPHENS or tok in APOSTROPHES:
            continue
        low = tok.lower()
        nxt = tokens[i + 1][0] if i + 1 < len(tokens) else ""
        if low in ALWAYS_ARTICLES or (low in ARABIC_ARTICLES and nxt in HYPHENS and i + 2 < len(tokens) and tokens[i + 2][0][:1].isalpha()):
            continue
        if tok.isupper() and _in_capitals(tokens, i):
            tok = tok.lower()  # a word of a line set in capitals ('DEIR EZ-ZOR'), not an acronym
        kept.append((fold(tok), i))
    return kept


def _in_capitals(tokens: list[tuple[str, int, int]], i: int) -> bool:
    """Whether the words around token i (two each side) are all in capitals, one of them long."""
    before = [t for t, _, _ in tokens[max(0, i - 4):i] if t[:1].isalpha()][-2:]
    after = [t for t, _, _ in tokens[i + 1:i + 5] if t[:1].isalpha()][:2]
    words = before + after
    return bool(words) and all(w.isupper() for w in words) and any(len(w) >= 4 for w in words)


def tokenize(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end()) for m in TOKEN.finditer(text)]


def name_key(form: str) -> tuple[str, ...]:
    return tuple(t for t, _ in normal_tokens(tokenize(form)))
