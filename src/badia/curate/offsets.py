"""`badia fix-offsets`: repair the offsets of span rows from their text.

A span row (quote, exclusion, claim, mention, event evidence) stores its verbatim text and the
offsets char_start/char_end where that text sits in the seed. When the offsets are wrong but the
text occurs exactly once in the seed, the right offsets are known. Ambiguous and missing texts
are reported for a person to decide. Nothing is written without --write; with it, only the two
offset cells of the repaired rows change, every other byte of each file stays as it was, and
each file is replaced atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from badia.dataset.corpus import find_all
from badia.dataset.package import load_package
from badia.files import atomic_write
from badia.problems import Problem
from badia.dataset.tables import read_tables
from badia.validate.checks import check_seeds, span_text_column


@dataclass(frozen=True)
class OffsetFix:
    """New offsets for the span row at `line` of the CSV file `path`."""

    path: str
    line: int
    old: tuple[int | None, int | None]
    new: tuple[int, int]

    def describe(self) -> str:
        old = "-".join("?" if v is None else str(v) for v in self.old)
        return f"{self.path}:{self.line}: char_start-char_end {old} -> {self.new[0]}-{self.new[1]}"


@dataclass
class OffsetPlan:
    fixes: list[OffsetFix]
    unresolved: list[Problem]  # spans that stay wrong: text missing or ambiguous, or unreadable input
    unreadable: bool  # the package, or a span table, could not be read at all


def plan_offset_fixes(root: Path | str) -> OffsetPlan:
    """Every span row whose offsets do not point at its text, and what can be done about it.

    Raises UnusableInput when datapackage.json or a schema cannot be read."""
    package = load_package(root)
    read_problems: list[Problem] = []
    tables = read_tables(package, read_problems)
    seed_problems: list[Problem] = []
    texts = check_seeds(package, tables, seed_problems)
    span_paths = {r.path for r in package.resources.values() if {"article_id", "char_start", "char_end"} <= set(r.field_names)}
    # Structural faults in a span table or in articles.csv (which names the seeds) stop the repair
    # of that table: its rows cannot be found, or rewritten in place, safely.
    blocking = [p for p in read_problems if p.code.startswith("csv.") and (p.path in span_paths or p.path == "data/articles.csv")]
    unresolved = blocking + seed_problems
    unreadable = bool(blocking)
    fixes: list[OffsetFix] = []
    for name, table in tables.items():
        text_col = span_text_column(table)
        if text_col is None or any(p.path == table.path for p in blocking):
            continue
        frame = table.frame
        for i, (article, start, end, value) in enumerate(zip(
                frame["article_id"], frame["char_start"], frame["char_end"], frame[text_col])):
            seed = texts.get(article) if not pd.isna(article) else None
            if seed is None or pd.isna(value):
                continue
            start = None if pd.isna(start) else int(start)
            end = None if pd.isna(end) else int(end)
            if start is not None and end is not None and 0 <= start < end <= len(seed) and seed[start:end] == value:
                continue
            line = table.line(i)
            found = find_all(seed, value)
            if len(found) == 1:
                fixes.append(OffsetFix(table.path, line, (start, end), (found[0], found[0] + len(value))))
            elif not found:
                unresolved.append(Problem(table.path, f"{text_col} does not occur in the seed of {article}, so its offsets cannot be recomputed",
                                          "copy the text verbatim from the seed (curly quotes, apostrophes and non-breaking spaces included)",
                                          line=line, column=text_col, col=table.resource.field_names.index(text_col) + 1, value=value, code="span.missing"))
            else:
                places = ", ".join(f"{s}-{s + len(value)}" for s in found[:10])
                unresolved.append(Problem(table.path, f"{text_col} occurs {len(found)} times in the seed of {article} (at {places}), so which one is meant is ambiguous",
                                          "set char_start/char_end by hand to the occurrence the row is about",
                                          line=line, column="char_start", col=table.resource.field_names.index("char_start") + 1, value=value, code="span.ambiguous"))
    return OffsetPlan(fixes, unresolved, unreadable)


def apply_offset_fixes(root: Path | str, fixes: list[OffsetFix]) -> list[str]:
    """Rewrite the offset cells of `fixes`, one atomic replacement per file; returns the files written."""
    root = Path(root)
    package = load_package(root)
    by_path: dict[str, list[OffsetFix]] = {}
    for fix in fixes:
        by_path.setdefault(fix.path, []).append(fix)
    written = []
    for rel, file_fixes in sorted(by_path.items()):
        resource = next(r for r in package.resources.values() if r.path == rel)
        columns = (resource.field_names.index("char_start"), resource.field_names.index("char_end"))
        path = root / rel
        text = path.read_bytes().decode("utf-8")
        line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        edits = []
        for fix in file_fixes:
            spans = field_spans(text, line_starts[fix.line - 1])
            for column, value in zip(columns, fix.new):
                edits.append((*spans[column], str(value)))
        # One pass over the file, whatever the number of edits (slicing the whole text per edit was
        # quadratic: 80k fixes took 200 s).
        pieces, at = [], 0
        for start, end, value in sorted(edits):
            pieces += [text[at:start], value]
            at = end
        pieces.append(text[at:])
        atomic_write(path, "".join(pieces).encode("utf-8"))
        written.append(rel)
    return written


def field_spans(text: str, start: int) -> list[tuple[int, int]]:
    """Where each field of the CSV record that begins at `start` lies in `text` (quotes included).

    Our own few lines because the csv module returns the values of a record but not where they
    are, and an in-place edit must leave every other byte alone. The record has already passed
    the strict csv parser, so its quotes are balanced."""
    spans = []
    i = start
    while True:
        j = i
        if text.startswith('"', j):
            j += 1
            while True:
                j = text.index('"', j) + 1
                if not text.startswith('"', j):
                    break
                j += 1
        else:
            while j < len(text) and text[j] not in ",\r\n":
                j += 1
        spans.append((i, j))
        if not text.startswith(",", j):
            return spans
        i = j + 1

