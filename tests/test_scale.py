"""The machinery of the performance work, checked for correctness (speed lives in scripts/bench.py):
the synthetic corpus is valid and reproducible, a corrupted copy fails with the errors stock
frictionless finds too, the fast CSV reader agrees with the exact one, and incremental validation
reports what a full validation reports."""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, run_badia

sys.path.insert(0, str(ROOT / "scripts"))
import bench  # noqa: E402
import synth  # noqa: E402

from badia.dataset import tables  # noqa: E402
from badia.validate import checks  # noqa: E402
from badia.dataset.package import load_package  # noqa: E402


def make_corpus(dest: Path, articles: int = 20, seed: int = 7) -> Path:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "synth.py"), str(articles), "--out", str(dest), "--seed", str(seed)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return dest


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("synth") / "corpus")


@pytest.mark.e2e
def test_synthetic_corpus_is_valid_and_reproducible(corpus: Path, tmp_path: Path):
    result = run_badia("validate", root=corpus)
    assert result.returncode == 0, result.stdout[-3000:]
    rows = bench.rows_in(corpus)
    assert rows["events"] == synth.PER_ARTICLE["events"] * 20 and rows["event_sources"] == synth.PER_ARTICLE["event_sources"] * 20
    assert digest(make_corpus(tmp_path / "again")) == digest(corpus)
    assert digest(make_corpus(tmp_path / "other", seed=8)) != digest(corpus)


@pytest.mark.e2e
def test_synth_refuses_to_write_inside_the_repository():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "synth.py"), "2", "--out", str(ROOT / "synthetic")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "inside the repository" in result.stderr
    assert not (ROOT / "synthetic").exists()


@pytest.mark.e2e
def test_corrupted_copy_fails_with_the_errors_frictionless_finds(corpus: Path, tmp_path: Path):
    broken = bench.copy_corpus(corpus, tmp_path / "broken")
    injected = bench.corrupt(broken)
    ours = run_badia("validate", "--format", "json", root=broken)
    assert ours.returncode == 1
    mine = bench.badia_errors(ours.stdout)
    stock = subprocess.run([str(Path(sys.executable).with_name("frictionless")), "validate", "--json", "datapackage.json"],
                           cwd=broken, capture_output=True, text=True, timeout=600)
    theirs = bench.frictionless_errors(stock.stdout)
    for path, line, column in injected:
        assert bench.located(mine, line, column), (path, line, column)
        assert bench.located(theirs, line, column), (path, line, column)
    assert {(p, line) for p, line, _ in theirs} <= {(p, line) for p, line, _ in mine}


CELL = st.text(alphabet=st.sampled_from(list('ab ,"\n\r') + ["é", "“"]), max_size=6)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.lists(CELL, min_size=5, max_size=5), max_size=4), raw=st.text(alphabet=st.sampled_from(list('ab,"\n')), max_size=12), quote_all=st.booleans())
def test_fast_reader_agrees_with_the_exact_one(rows, raw, quote_all):
    """Whenever the fast reader takes a file, the exact reader finds no problem and the same cells
    on the same lines; files it declines (malformed or unusual) are left to the exact reader."""
    resource = load_package(ROOT).resource("quote_exclusions")
    lines = [",".join(resource.field_names)]
    for row in rows:
        lines.append(",".join('"' + c.replace('"', '""') + '"' if quote_all or any(x in c for x in ',"\n\r') else c for c in row))
    for data in (("\n".join(lines) + "\n").encode(), ("\n".join(lines) + "\n" + raw).encode()):
        fast = tables.plain_csv(resource, data)
        if fast is None:
            continue
        problems: list = []
        text = tables.read_text(resource, data, problems)
        exact = tables.parse_rows(resource, text, problems) if text is not None else None
        assert not problems and exact is not None, (data, problems)
        assert fast[0].astype(object).values.tolist() == exact[0] and fast[1].tolist() == exact[1], data


def test_fast_paths_are_taken_on_the_committed_data():
    """The agreement tests above pass vacuously if a fast path always declines: on the committed
    data, every table is read by the fast reader and every integer and date column is cast by pyarrow."""
    package = load_package(ROOT)
    cast = []
    for resource in package.resources.values():
        fast = tables.plain_csv(resource, (ROOT / resource.path).read_bytes())
        assert fast is not None, f"the fast reader declined {resource.path}"
        frame = fast[0]
        for name in resource.fields_of_type("integer", "date"):
            values = frame[name].astype("string").mask(frame[name] == "")
            assert tables.plain_typed(resource.field(name).type, values) is not None, f"pyarrow declined {resource.path}:{name}"
            cast.append(name)
    assert cast, "the committed data has no integer or date column"


@functools.cache
def events_resource():
    return load_package(ROOT).resource("events")


# Inputs that pyarrow and the exact path may read differently, drawn often enough to be met.
ODD_INTEGERS = ["0x10", "+5", " 5", "5 ", "-0", "007", "٣", "1e3", "1.0", "5\n", str(2**63), str(-(2**63) - 1), str(2**53 + 1), str(2**64)]
ODD_DATES = ["0000-01-01", "2017-02-29", "2016-02-29", "2017-5-1", "1500-01-01", "9999-12-31", "2017-04-31", "2017-13-01", "2017-00-10",
             "2017-01-00", "20170-01-01", " 2017-01-01", "2017-01-01T00:00", "2017-01-01\n", "+2017-01-01"]
INTEGER_CELL = st.one_of(st.integers(-(2**64), 2**64).map(str), st.sampled_from(ODD_INTEGERS),
                         st.text(alphabet=st.sampled_from(list("0123456789+-x .e\n") + ["٣"]), max_size=5), st.just(""))
DATE_CELL = st.one_of(st.dates().map(str), st.dates(min_value=date(1899, 12, 1), max_value=date(2200, 2, 1)).map(str), st.sampled_from(ODD_DATES),
                      st.builds("{:04d}-{:02d}-{:02d}".format, st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32)),
                      st.text(alphabet=st.sampled_from(list("0123456789- T:\n")), max_size=11), st.just(""))


@settings(max_examples=300, deadline=None)
@given(integers=st.lists(INTEGER_CELL, max_size=3), dates=st.lists(DATE_CELL, max_size=3), arrow_backed=st.booleans())
def test_pyarrow_casts_agree_with_the_exact_coercion(integers, dates, arrow_backed):
    """Integer and date columns cast by pyarrow (tables.plain_typed) come out as the exact path
    types them, with the same problems: pyarrow's lenient inputs (0x10, +5, year 0) go to the exact path."""
    resource = events_resource()
    n = min(len(integers), len(dates))
    kinds = {f.name: f.type for f in resource.fields}
    cells = {name: integers[:n] if kind == "integer" else dates[:n] if kind == "date" else ["x"] * n for name, kind in kinds.items()}
    raw = pd.DataFrame({name: pd.Series(column, dtype=pd.StringDtype("pyarrow") if arrow_backed else object) for name, column in cells.items()})
    lines = np.arange(2, n + 2)
    fast_problems: list = []
    fast = tables.coerce(resource, raw, lines, fast_problems)
    exact_problems: list = []
    with mock.patch.object(tables, "plain_typed", return_value=None):
        exact = tables.coerce(resource, raw, lines, exact_problems)
    pd.testing.assert_frame_equal(fast.frame, exact.frame, check_exact=True)
    assert fast_problems == exact_problems


def test_pyarrow_casts_take_plain_columns_only():
    plain = tables.plain_typed("integer", pd.Series(["12", None, "-3", "007"], dtype="string"))
    assert plain.tolist() == [12, pd.NA, -3, 7] and str(plain.dtype) == "Int64"
    assert tables.plain_typed("date", pd.Series(["2017-05-01", None], dtype="string")).tolist() == [pd.Timestamp("2017-05-01"), pd.NaT]
    for ftype, value in (("integer", "0x10"), ("integer", "+5"), ("integer", str(2**63)), ("integer", " 5"), ("date", "2017-5-1"), ("date", "2017-02-29")):
        assert tables.plain_typed(ftype, pd.Series([value], dtype="string")) is None, value


SEED_PIECES = [b"a", b"b", b"\n", "é".encode(), "—".encode(), "😀".encode(), b"\x80", b"\xe2\x80", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80", b"\xff"]


@settings(max_examples=300, deadline=None)
@given(seeds=st.lists(st.lists(st.sampled_from(SEED_PIECES), max_size=6).map(b"".join), max_size=4))
def test_seeds_utf8_check_agrees_with_python(seeds):
    """pyarrow's check (value by value: a sequence cut between two seeds is not mended) says what Python's decoder says."""
    def decodes(data: bytes) -> bool:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True
    assert checks._all_utf8(seeds) == all(decodes(seed) for seed in seeds)


SEED_TEXT = st.text(alphabet=st.sampled_from(["a", "b", " ", "\n", "é", "—", "😀", "\u2019"]), max_size=12)
START = st.one_of(st.integers(0, 6), st.integers(0, 6), st.integers(-3, 16), st.none())  # mostly inside the seed
LENGTH = st.one_of(st.integers(1, 4), st.integers(1, 4), st.integers(-3, 12), st.none())


@settings(max_examples=300, deadline=None)
@given(seeds=st.lists(SEED_TEXT.filter(lambda t: len(t) >= 4), min_size=1, max_size=3),
       spans=st.lists(st.tuples(st.sampled_from([0, 0, 1, 2, 3]), START, LENGTH, st.booleans(), SEED_TEXT), min_size=1, max_size=8))
def test_span_check_agrees_with_python_slices(seeds, spans):
    """The span check on UTF-8 bytes (span_suspects) finds exactly the rows that Python's string
    slices find: articles without a text, missing offsets, negative and past-the-end offsets included."""
    texts = checks.SeedTexts({f"a{k}": seed.encode() for k, seed in enumerate(seeds)})
    rows = []
    for article, start, length, verbatim, other in spans:
        end = None if start is None or length is None else start + length
        seed = seeds[article] if article < len(seeds) else ""
        value = seed[start:end] if verbatim and start is not None and end is not None else other
        rows.append((f"a{article}" if article < 3 else None, start, end, value))
    frame = pd.DataFrame({"article_id": pd.Series([r[0] for r in rows], dtype="string"), "char_start": pd.Series([r[1] for r in rows], dtype="Int64"),
                          "char_end": pd.Series([r[2] for r in rows], dtype="Int64"), "text": pd.Series([r[3] for r in rows], dtype="string")})
    expected = [i for i, (article, start, end, value) in enumerate(rows)
                if start is not None and end is not None and value is not None and (seed := texts.get(article)) is not None
                and (end <= start or seed[start:end] != value)]
    assert checks.span_suspects(frame, "text", texts) == expected


def stored_rows(state: Path, table: str) -> int:
    with sqlite3.connect(state / "state.db") as conn:
        return conn.execute(f"SELECT count(*) FROM keys_{table}").fetchone()[0]


@pytest.mark.e2e
def test_incremental_validation_reports_what_a_full_one_does(corpus: Path, tmp_path: Path):
    pr = bench.copy_corpus(corpus, tmp_path / "pr")
    state = tmp_path / "state"
    first = run_badia("validate", "--state", str(state), root=pr)
    assert first.returncode == 0 and "full validation" in first.stderr
    assert stored_rows(state, "events") == bench.rows_in(corpus)["events"]

    for tag in ("pr-1", "pr-2"):  # the state grows with each valid pull request
        synth.add_article(pr, tag)
        clean = run_badia("validate", "--state", str(state), root=pr)
        assert clean.returncode == 0 and "incremental validation" in clean.stderr, clean.stdout[-2000:]
        assert stored_rows(state, "event_sources") == bench.rows_in(pr)["event_sources"]

    data = pr / "data"
    old_event = (data / "events.csv").read_text(encoding="utf-8").splitlines()[1]
    event_actor = (data / "event_actors.csv").read_text(encoding="utf-8").splitlines()[1]
    with (data / "event_actors.csv").open("a", encoding="utf-8") as fh:
        fh.write(event_actor + "\n")                                 # duplicate of a stored composite key
        fh.write("pr-1-e000,actor_99999,actor2\n")                    # unknown actor
        fh.write("pr-1-e000,actor_00001,assoc_actor_2\n")
        fh.write("pr-1-e000,actor_00001,assoc_actor_2\n")                    # duplicate of a key of this pull request
        fh.write("e00000x1,actor_00001,actor1\n")                     # unknown event: the hint looks among every event
    with (data / "quotes.csv").open("a", encoding="utf-8") as fh:
        # span, date, speaker; its event is a stored one (a foreign key that holds)
        fh.write(f"pr-1-q99,pr-1,0,5,Wrong,direct,,,named,,,2017-13-01,{old_event.split(',')[0]},\n")
    with (data / "events.csv").open("a", encoding="utf-8") as fh:
        fh.write("pr-1-e999,2017-12-30,2017-12-30,1,Battles,Air/drone strike,place_00000,1,An event with no source.,,\n")
        fh.write(old_event + "\n")                                    # duplicate of a stored key
    incremental = run_badia("validate", "--state", str(state), "--format", "json", root=pr)
    full = run_badia("validate", "--format", "json", root=pr)
    assert incremental.returncode == full.returncode == 1
    assert "incremental validation" in incremental.stderr
    assert json.loads(incremental.stdout) == json.loads(full.stdout)
    problems = json.loads(full.stdout)["problems"]
    codes = {p["code"] for p in problems}
    assert {"primary-key", "foreign-key", "span.mismatch", "type", "event.no-source", "event.no-actor", "acled.pair"} <= codes
    assert sum(p["code"] == "primary-key" for p in problems) >= 3
    assert any(p["code"] == "foreign-key" and "e00000x1" in p["message"] and "did you mean" in p["hint"] for p in problems)
    assert stored_rows(state, "event_sources") == bench.rows_in(pr)["event_sources"]  # an invalid run leaves the state as it was


@pytest.mark.e2e
def test_incremental_validation_checks_old_seeds(corpus: Path, tmp_path: Path):
    pr = bench.copy_corpus(corpus, tmp_path / "pr")
    state = tmp_path / "state"
    assert run_badia("validate", "--state", str(state), root=pr).returncode == 0
    synth.add_article(pr, "pr-1")
    seed = sorted((pr / "seeds").glob("*.txt"))[0]
    seed.unlink()  # a hard link to the corpus: replace it, do not edit it in place
    seed.write_bytes(b"\xff an edited seed")
    incremental = run_badia("validate", "--state", str(state), "--format", "json", root=pr)
    full = run_badia("validate", "--format", "json", root=pr)
    assert incremental.returncode == full.returncode == 1 and "incremental validation" in incremental.stderr
    assert json.loads(incremental.stdout) == json.loads(full.stdout)
    assert [p["code"] for p in json.loads(full.stdout)["problems"]] == ["seed.sha256"]


@pytest.mark.e2e
def test_incremental_validation_falls_back_to_full_when_old_rows_change(corpus: Path, tmp_path: Path):
    pr = bench.copy_corpus(corpus, tmp_path / "pr")
    state = tmp_path / "state"
    assert run_badia("validate", "--state", str(state), root=pr).returncode == 0
    events = pr / "data" / "events.csv"
    lines = events.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace("Battles", "Battels", 1) if "Battles" in lines[3] else lines[3].replace(",", ",x", 1)
    events.write_text("".join(lines), encoding="utf-8")
    result = run_badia("validate", "--state", str(state), root=pr)
    assert result.returncode == 1 and "full validation" in result.stderr
    assert "data/events.csv:4:" in result.stdout
