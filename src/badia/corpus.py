"""The corpus: seed article texts, stored byte-identical and addressed by character offsets."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_seed(data: bytes) -> str:
    """The text that offsets count in: the file's UTF-8 decoded as is (no newline translation)."""
    return data.decode("utf-8")


def read_seed(path: Path) -> str:
    return decode_seed(path.read_bytes())


def span(text: str, start: int, end: int) -> str:
    return text[start:end]


def find_all(text: str, needle: str) -> list[int]:
    """Every offset where `needle` occurs in `text` (overlapping occurrences included)."""
    found, start = [], text.find(needle)
    while start >= 0 and needle:
        found.append(start)
        start = text.find(needle, start + 1)
    return found
