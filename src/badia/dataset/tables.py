"""Reading the curated CSV tables: structure first (bytes, encoding, quoting, header, column
counts), then types, then the Table Schema constraints through a pandera schema derived from it.

The structural pass is our own, on the csv module, because neither pandas nor frictionless
locates these faults by line and column in words a contributor can act on (pandas raises on the
first one; frictionless reports a blank header or an extra cell but not why).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from pandera.errors import SchemaErrors
from pandera.io.pandas_io import from_frictionless_schema

from badia.dataset.package import Field, Package, Resource
from badia.problems import Problem

MAX_CSV_BYTES = 512 * 1024 * 1024
# Problems made per column for a file of garbage (validate lists at most 200 a file anyway): a
# Problem per bad cell of a million rows took gigabytes.
MAX_CELL_PROBLEMS = 1000
INTEGER = re.compile(r"[+-]?[0-9]+")
# Year 0 parses in pandas and pyarrow but is no calendar year (Python's dates and frictionless
# start at year 1), so the year is four digits that are not all zero.
DATE = re.compile(r"(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-[0-9]{2}-[0-9]{2}")


@dataclass
class Table:
    """A table read from CSV: typed columns (pandas nullable dtypes) and each row's line in the file."""

    resource: Resource
    frame: pd.DataFrame
    lines: np.ndarray

    @property
    def name(self) -> str:
        return self.resource.name

    @property
    def path(self) -> str:
        return self.resource.path

    def line(self, index) -> int:
        return int(self.lines[index])


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def read_text(resource: Resource, data: bytes, problems: list[Problem]) -> str | None:
    """Decode a CSV file's bytes, reporting size, emptiness, BOM, NUL, encoding and line endings."""
    path = resource.path
    header = ",".join(resource.field_names)
    if len(data) > MAX_CSV_BYTES:  # files are checked before they are read (read_csv_bytes); this is for bytes from elsewhere
        problems.append(Problem(path, f"file is {len(data):,} bytes, over the limit of {MAX_CSV_BYTES:,} bytes",
                                "split the contribution into smaller pull requests, or ask the maintainers to raise the limit", code="csv.too-large"))
        return None
    if not data.strip():
        problems.append(Problem(path, "file is empty", f"the first line must be the header: {header}", line=1, code="csv.empty"))
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        problems.append(Problem(path, "file starts with a byte-order mark (BOM)", "save as 'UTF-8' rather than 'UTF-8 with BOM'", line=1, col=1, code="csv.bom"))
        data = data[3:]
    nul = data.find(b"\x00")
    if nul >= 0:
        line, col = _line_col(data[:nul].decode("utf-8", "replace"), nul)
        problems.append(Problem(path, "file contains a NUL byte", "the file is binary or corrupted; re-export it as plain UTF-8 CSV", line=line, col=col, code="csv.nul"))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line, col = _line_col(data[: e.start].decode("utf-8", "replace"), len(data[: e.start].decode("utf-8", "replace")))
        problems.append(Problem(path, f"not valid UTF-8: byte 0x{data[e.start]:02x} cannot be decoded", "save the file as UTF-8 (a spreadsheet's 'CSV UTF-8' option)", line=line, col=col, code="csv.encoding"))
        return None
    if "\r" in text:
        line, _ = _line_col(text, text.index("\r"))
        problems.append(Problem(path, "Windows (CRLF) or old Mac (CR) line endings", "save with Unix (LF) line endings, e.g. `dos2unix " + path + "`", line=line, code="csv.line-endings"))
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def parse_rows(resource: Resource, text: str, problems: list[Problem]) -> tuple[list[list[str]], list[int]] | None:
    """Split CSV text into rows checked against the schema's header; returns rows and their lines."""
    path, expected = resource.path, resource.field_names
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    lines: list[int] = []
    header = None
    start = 1
    try:
        for record in reader:
            if header is None:
                header = record
                if header != expected:
                    # Rows are not checked against a wrong header: their faults would only echo it.
                    _header_problems(resource, header, problems)
            elif not record:
                problems.append(Problem(path, "blank line", "delete the empty line", line=start, code="csv.blank-line"))
            elif header == expected and len(record) != len(header):
                problems.append(Problem(path, f"row has {len(record)} fields but the header has {len(header)}",
                                        "check for a missing or extra comma, or a value containing a comma that needs \"double quotes\" around it", line=start, code="csv.field-count"))
            elif header == expected:
                rows.append(record)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as e:
        if "unexpected end of data" in str(e):
            message, line = "a quoted value opened on this line is never closed (the quote runs to the end of the file)", start
        else:
            message, line = f"CSV syntax error: {e}: text follows the closing quote of a value", reader.line_num
        problems.append(Problem(path, message, "a value that contains a quote must be wrapped in double quotes, with each inner \" doubled (\"\")",
                                line=line, code="csv.syntax"))
        return None
    if header is None:
        problems.append(Problem(path, "file has no header", f"the first line must be: {','.join(expected)}", line=1, code="csv.empty"))
        return None
    if header != expected:
        return None
    return rows, lines


def _header_problems(resource: Resource, header: list[str], problems: list[Problem]) -> None:
    """Say how a CSV header differs from its Table Schema's fields: the two must be in step."""
    path, expected, schema = resource.path, resource.field_names, resource.schema_path
    should_be = f"the header must be: {','.join(expected)}"
    missing = [c for c in expected if c not in header]
    extra = [c for c in header if c not in expected]
    for i, name in enumerate(header):
        if name in header[:i]:
            problems.append(Problem(path, f"appears twice in the header (columns {header.index(name) + 1} and {i + 1})", f"delete one of the two columns; {should_be}",
                                    line=1, col=i + 1, column=name, code="csv.header"))
        elif name in extra:
            if name.strip() in expected:
                hint = "remove the spaces around the column name"
            elif len(missing) == len(extra) == 1:
                hint = f"rename it to '{missing[0]}' (the name {schema} gives this column)"
            else:
                hint = f"remove the column, or add a field for it to {schema} first"
            problems.append(Problem(path, f"is in the header but not in {schema}", hint, line=1, col=i + 1, column=name, code="csv.header"))
    if len(missing) == len(extra) == 1:
        return
    for name in missing:
        problems.append(Problem(path, f"is missing from the header: {schema} lists it as column {expected.index(name) + 1}",
                                f"add the column (leave its cells empty where the value is unknown), or remove the field from {schema}; {should_be}",
                                line=1, col=expected.index(name) + 1, column=name, code="csv.header"))
    if not missing and not extra and len(header) == len(expected):
        problems.append(Problem(path, "columns are in the wrong order", f"reorder the columns to follow {schema}: {should_be}", line=1, code="csv.header"))


def plain_csv(resource: Resource, data: bytes) -> tuple[pd.DataFrame, np.ndarray] | None:
    """The cells and line numbers of a CSV file that is plainly well-formed, read with pyarrow; None
    for any file that is not, which then goes through read_text/parse_rows for located problems.

    Written here because pyarrow's reader is 5x faster than the csv module but more lenient: it
    accepts a closing quote followed by text (`"b"c`), which the csv module refuses. So the file
    is read this way only when every quote is where RFC 4180 puts it, a check made on the quote
    positions with numpy: a quote that opens a field follows a delimiter, a line break, the start
    of the file or an escaping quote; a quote that closes one precedes a delimiter, a line break,
    the end of the file or an escaped quote. Anything else (BOM, NUL, CR, blank lines, invalid
    UTF-8, wrong header or cell count) also leaves it to the exact path."""
    if not data or len(data) > MAX_CSV_BYTES or data.startswith((b"\xef\xbb\xbf", b"\n")) or b"\x00" in data or b"\r" in data or b"\n\n" in data:
        return None
    size = len(data)
    buf = np.frombuffer(data, dtype=np.uint8)
    step = 1 << 22  # in blocks of 4 MB, whose temporaries stay in cache (in one pass: 3x slower)
    quotes = np.concatenate([np.flatnonzero(buf[at:at + step] == ord('"')) + at for at in range(0, size, step)])
    if len(quotes) % 2:
        return None
    if len(quotes):
        before = np.where(quotes > 0, buf[np.maximum(quotes - 1, 0)], ord("\n"))
        after = np.where(quotes < size - 1, buf[np.minimum(quotes + 1, size - 1)], ord("\n"))
        opening, closing = quotes[0::2], quotes[1::2]
        opens_ok = np.isin(before[0::2], (ord(","), ord("\n")))
        opens_ok[1:] |= opening[1:] == closing[:-1] + 1
        closes_ok = np.isin(after[1::2], (ord(","), ord("\n")))
        closes_ok[:-1] |= closing[:-1] + 1 == opening[1:]
        if not (opens_ok.all() and closes_ok.all()):
            return None
    names = resource.field_names
    try:
        arrow = pa_csv.read_csv(
            pa_arrow.py_buffer(data),
            read_options=pa_csv.ReadOptions(column_names=None),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(column_types={n: pa_arrow.string() for n in names}, strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
        if arrow.column_names != names:  # (decoding the header can fail here, on invalid UTF-8)
            return None
    except (pa_arrow.ArrowInvalid, UnicodeDecodeError):
        return None
    if data.count(b"\n") == arrow.num_rows + data.endswith(b"\n"):
        lines = np.arange(2, arrow.num_rows + 2)  # no line break inside a value: row i is on line i + 2
    else:
        # A row starts after each line break outside quotes (an even number of quotes before it).
        breaks = np.flatnonzero(buf == ord("\n"))
        outside = np.searchsorted(quotes, breaks) % 2 == 0
        row_starts = breaks[outside][: arrow.num_rows] + 1
        lines = np.searchsorted(breaks, row_starts) + 1
        if len(lines) != arrow.num_rows:
            return None
    # One chunk per column rather than one per MB read: pyarrow's kernels and pandas' methods run
    # chunk by chunk, and on the 1M events the checks after reading took ~4 s more over ~365 chunks.
    arrow = arrow.combine_chunks()
    return arrow.to_pandas(types_mapper={pa_arrow.string(): pd.StringDtype("pyarrow")}.get), lines.astype(np.int64)


def coerce(resource: Resource, raw: pd.DataFrame, line_arr: np.ndarray, problems: list[Problem]) -> Table:
    """Turn string cells into typed columns; cells that are not of their type become problems (and NA)."""
    frame = {}
    for pos, fdef in enumerate(resource.fields, start=1):
        name, ftype = fdef.name, fdef.type
        col = raw[name].astype("string")
        empty = col == ""
        values = col.mask(empty)
        bad = pd.Series(False, index=col.index)
        plain = plain_typed(ftype, values)
        if plain is not None:
            typed = plain
        elif ftype == "string":
            typed = values
        elif ftype == "integer":
            ok = values.str.fullmatch(INTEGER.pattern).fillna(True).astype(bool)
            bad = ~ok
            typed = pd.to_numeric(values.where(ok), errors="coerce").astype("Int64")
            expect = "a whole number such as 12"
        elif ftype == "number":
            typed = pd.to_numeric(values, errors="coerce").astype("Float64")
            bad = typed.isna() & values.notna()
            expect = "a number such as 33.5058"
        elif ftype == "date":
            typed = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce").astype("datetime64[s]")
            bad = (typed.isna() & values.notna()) | ~values.str.fullmatch(DATE.pattern).fillna(True).astype(bool)
            expect = "a real calendar date as YYYY-MM-DD"
        elif ftype == "boolean":
            true, false = list(fdef.true_values), list(fdef.false_values)
            typed = pd.Series(pd.NA, index=col.index, dtype="boolean")
            typed[values.isin(true).fillna(False).astype(bool)] = True
            typed[values.isin(false).fillna(False).astype(bool)] = False
            bad = values.notna() & typed.isna()
            expect = "true or false"
        if bad.any():
            hint = f"write {expect}" if fdef.required else f"write {expect}, or leave the cell empty if the value is unknown"
            where = np.flatnonzero(bad.to_numpy())
            for i in where[:MAX_CELL_PROBLEMS]:
                problems.append(Problem(resource.path, f"is not a valid {ftype}: expected {expect}", hint, line=int(line_arr[i]), column=name, col=pos, value=str(col.iloc[i]), code="type"))
            if len(where) > MAX_CELL_PROBLEMS:
                problems.append(Problem(resource.path, f"{len(where) - MAX_CELL_PROBLEMS:,} more cells are not a valid {ftype}", hint,
                                        line=int(line_arr[where[MAX_CELL_PROBLEMS]]), column=name, col=pos, code="type"))
            typed = typed.mask(bad)
        frame[name] = typed
    return Table(resource, pd.DataFrame(frame), line_arr)


# What plain_typed takes as plainly typed: INTEGER and DATE as whole values (their syntax is RE2's too).
PLAIN_INTEGER, PLAIN_DATE = f"^{INTEGER.pattern}$", f"^{DATE.pattern}$"


def plain_typed(ftype: str, values: pd.Series) -> pd.Series | None:
    """An integer or date column cast by pyarrow when every value in it is plainly of its type, as
    `coerce` would type it; None for any other column, which then takes the exact path.

    Written here because pyarrow's casts are an order of magnitude faster than pandas' regex
    match, to_numeric and to_datetime. But pyarrow's casts accept what must be refused (`0x10`),
    so a column is cast only when every value matches the exact path's pattern; what pyarrow then
    refuses (out of range, `2017-02-29`) goes to the exact path too. tests/test_scale.py checks
    with hypothesis that both give the same columns and problems."""
    if ftype not in ("integer", "date"):
        return None
    arr = pa_arrow.array(values, from_pandas=True)
    pattern = PLAIN_INTEGER if ftype == "integer" else PLAIN_DATE
    if not pc.all(pc.match_substring_regex(arr, pattern), min_count=0).as_py():
        return None
    try:
        cast = arr.cast(pa_arrow.int64() if ftype == "integer" else pa_arrow.date32())
    except pa_arrow.ArrowInvalid:
        return None
    if ftype == "integer":
        typed = pd.arrays.IntegerArray(cast.fill_null(0).to_numpy(), cast.is_null().to_numpy(zero_copy_only=False))
        return pd.Series(typed, index=values.index, name=values.name)
    return pd.Series(cast.cast(pa_arrow.timestamp("s")).to_numpy(zero_copy_only=False), index=values.index, name=values.name)


def pandera_schema(resource: Resource) -> pa.DataFrameSchema:
    """The pandera schema derived from the Table Schema, with the dtype fixes the conversion needs.

    from_frictionless_schema maps dates to strings and integers to non-nullable int64; here every
    column takes the nullable pandas dtype that `coerce` produces, and nothing is coerced again.
    """
    schema = from_frictionless_schema(resource.schema)
    updates = {}
    for fdef in resource.fields:
        updates[fdef.name] = {"dtype": fdef.pandas_dtype}
    # Composite and single primary keys are checked by validate with a clearer message.
    if len(resource.primary_key) == 1:
        updates[resource.primary_key[0]]["unique"] = False
    schema = schema.update_columns(updates)
    schema.coerce = False
    schema.unique = None
    return schema


def check_constraints(table: Table, problems: list[Problem]) -> None:
    """Run the pandera schema lazily and turn every failure case into a located problem."""
    resource = table.resource
    try:
        pandera_schema(resource).validate(table.frame, lazy=True)
    except SchemaErrors as err:
        cases = err.failure_cases
        positions = {n: i for i, n in enumerate(resource.field_names, start=1)}
        # A cell of the wrong type is already reported, and emptied: it is not "required but empty" too.
        mistyped = {(p.line, p.column) for p in problems if p.path == resource.path and p.code == "type"}
        if len(cases) > MAX_CELL_PROBLEMS * len(positions):
            problems.append(Problem(resource.path, f"{len(cases) - MAX_CELL_PROBLEMS * len(positions):,} more cells break the schema's constraints than are listed",
                                    "fix the problems listed and validate again", code="constraint"))
            cases = cases.head(MAX_CELL_PROBLEMS * len(positions))
        for case in cases.itertuples(index=False):
            column = case.column if isinstance(case.column, str) else None
            idx = case.index
            line = table.line(int(idx)) if idx is not None and not pd.isna(idx) else None
            if str(case.check).startswith("not_nullable") and (line, column) in mistyped:
                continue
            fdef = resource.field(column) if column in positions else None
            value = None if case.failure_case is None or pd.isna(case.failure_case) else str(case.failure_case)
            message, hint = _describe_check(str(case.check), fdef, value)
            problems.append(Problem(resource.path, message, hint, line=line, column=column, col=positions.get(column), value=value, code="constraint"))


def _describe_check(check: str, fdef: Field | None, value: str | None) -> tuple[str, str]:
    """A failed pandera check in a contributor's words, with what to write instead."""
    cons, description = (fdef.constraints, fdef.description) if fdef else ({}, "")
    if check.startswith("not_nullable"):
        return "is required but empty", "fill in the value: this column may not be empty"
    if check.startswith("field_uniqueness"):
        return "value must be unique but appears more than once", "give each row its own value"
    if check.startswith("isin"):
        return "is not one of the allowed values", "use one of: " + ", ".join(cons.get("enum", []))
    if check.startswith("str_matches"):
        if "a-z0-9" in str(cons.get("pattern")) and value:
            slug = re.sub(r"[^a-z0-9_.-]+", "_", value.strip().lower()).strip("_.-")[:80] or "an_id"
            return f"does not match the pattern {cons.get('pattern')}", f"ids use lower-case letters, digits, '_', '.', '-' only (at most 80), e.g. '{slug}'"
        return f"does not match the pattern {cons.get('pattern')}", f"correct the value's format ({description})"
    if check.startswith(("greater_than_or_equal_to", "less_than_or_equal_to", "in_range")):
        low, high = cons.get("minimum"), cons.get("maximum")
        allowed = f"from {low} to {high}" if low is not None and high is not None else f"of at least {low}" if low is not None else f"of at most {high}"
        return f"is out of range (minimum {low if low is not None else '-'}, maximum {high if high is not None else '-'})", f"use a number {allowed}: {description}"
    if check.startswith("str_length"):
        return "has the wrong length", f"length must be between {cons.get('minLength', 0)} and {cons.get('maxLength', 'any')}"
    if "dtype" in check:
        return f"has the wrong type ({check})", "correct the values in this column"
    return f"fails check {check}", "correct the value"


def read_csv_bytes(package: Package, resource: Resource, problems: list[Problem]) -> bytes | None:
    """A table's CSV bytes, or None with a problem if the file is missing or over the size limit
    (checked before reading, so an oversized file is never loaded into memory)."""
    path, rel = package.root / resource.path, resource.path
    try:
        size = path.stat().st_size
        if size > MAX_CSV_BYTES:
            problems.append(Problem(rel, f"file is {size:,} bytes, over the limit of {MAX_CSV_BYTES:,} bytes",
                                    "split the contribution into smaller pull requests, or ask the maintainers to raise the limit", code="csv.too-large"))
            return None
        return path.read_bytes()
    except FileNotFoundError:
        problems.append(Problem(rel, "file not found", f"create it with the header {','.join(resource.field_names)}", code="csv.missing"))
    except IsADirectoryError:
        problems.append(Problem(rel, "is a folder, not a file", "replace the folder by the CSV file", code="csv.missing"))
    return None


def read_table(package: Package, resource: Resource, problems: list[Problem]) -> Table | None:
    """Read one resource's CSV through every layer of checks; None when it cannot be read as a table."""
    data = read_csv_bytes(package, resource, problems)
    if data is None:
        return None
    return table_from_bytes(resource, data, problems)


def table_from_bytes(resource: Resource, data: bytes, problems: list[Problem]) -> Table | None:
    """A CSV file's bytes through every layer of checks: the fast reader when the file is plain,
    the exact one (which locates every structural fault) otherwise."""
    plain = plain_csv(resource, data)
    if plain is None:
        text = read_text(resource, data, problems)
        if text is None:
            return None
        parsed = parse_rows(resource, text, problems)
        if parsed is None:
            return None
        rows, lines = parsed
        names = resource.field_names
        raw = pd.DataFrame(rows, columns=names, dtype=object) if rows else pd.DataFrame({n: pd.Series([], dtype=object) for n in names})
        plain = raw, np.asarray(lines, dtype=np.int64)
    table = coerce(resource, *plain, problems)
    check_constraints(table, problems)
    return table


def read_tables(package: Package, problems: list[Problem], replaced: Mapping[str, bytes] | None = None) -> dict[str, Table]:
    """Every table, read two at a time, largest first: reading, pyarrow's parser and numpy let go
    of the GIL, so the second core takes a share (docs/performance-history.md). Problems
    come in the order of the resources, as if read one after the other. A file named in
    `replaced` (path relative to the root -> bytes) is read from those bytes instead."""
    replaced = replaced or {}

    def read(resource: Resource) -> tuple[Table | None, list[Problem]]:
        found: list[Problem] = []
        if resource.path in replaced:
            return table_from_bytes(resource, replaced[resource.path], found), found
        return read_table(package, resource, found), found

    def size(resource: Resource) -> int:
        try:
            return (package.root / resource.path).stat().st_size
        except OSError:
            return 0

    largest_first = sorted(package.resources.values(), key=size, reverse=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        read_by_name = dict(zip((r.name for r in largest_first), pool.map(read, largest_first)))
    tables = {}
    for name in package.resources:
        table, found = read_by_name[name]
        problems.extend(found)
        if table is not None:
            tables[name] = table
    return tables
