"""`badia fix-offsets`: recomputes the offsets of span rows whose text occurs once in the seed,
reports ambiguous and missing texts, writes only with --write, atomically, and leaves every
other byte of the file as it was."""

from __future__ import annotations

import hashlib
from pathlib import Path

from conftest import read_table, run_badia




def seeds(root: Path) -> dict[str, str]:
    return {a["article_id"]: (root / a["seed_path"]).read_bytes().decode("utf-8") for a in read_table(root, "articles")[1]}


def occurrences(text: str, needle: str) -> int:
    count, at = 0, text.find(needle)
    while at >= 0:
        count, at = count + 1, text.find(needle, at + 1)
    return count


def set_offsets(line: str, header: list[str], start: str, end: str) -> str:
    """The raw CSV line with its char_start/char_end cells replaced (the cells before them are ids,
    never quoted, so splitting on commas finds them)."""
    i = header.index("char_start")
    parts = line.split(",", i + 2)
    parts[i], parts[i + 1] = start, end
    return ",".join(parts)


def digest(root: Path) -> dict[str, str]:
    """Every file's digest, except the write lock's (.badia.lock: who last wrote, not data)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".badia.lock"}


def pick(root: Path, name: str, times: int, count: int) -> list[int]:
    """Rows of `name` whose text occurs `times` times in its seed (`times` 2 means "more than once")."""
    texts = seeds(root)
    header, rows, lines = read_table(root, name)
    raw = (root / "data" / f"{name}.csv").read_text(encoding="utf-8").split("\n")
    found = []
    for i, row in enumerate(rows):
        n = occurrences(texts[row["article_id"]], row["text"])
        if (n == 1 if times == 1 else n > 1) and f",{row['char_start']},{row['char_end']}," in raw[lines[i] - 1]:
            found.append(i)
    return found[:count]


def test_fix_offsets_repairs_unique_spans_and_keeps_every_other_byte(dataset: Path):
    path = dataset / "data" / "mentions.csv"
    original = path.read_bytes()
    header, rows, lines = read_table(dataset, "mentions")
    unique, ambiguous = pick(dataset, "mentions", 1, 3), pick(dataset, "mentions", 2, 1)
    assert len(unique) == 3 and len(ambiguous) == 1, "the data should hold spans of both kinds"
    raw = original.decode("utf-8").split("\n")
    # Wrong offsets, one of them as a quoted cell, another with an empty char_end.
    wrong = {unique[0]: ("1", "2"), unique[1]: ('"0"', "5"), unique[2]: ("7", ""), ambiguous[0]: ("3", "4")}
    for i, (start, end) in wrong.items():
        raw[lines[i] - 1] = set_offsets(raw[lines[i] - 1], header, start, end)
    path.write_bytes("\n".join(raw).encode("utf-8"))
    broken = path.read_bytes()

    dry = run_badia("fix-offsets", root=dataset)
    assert dry.returncode == 1, dry.stdout + dry.stderr
    for i in unique:
        assert f"data/mentions.csv:{lines[i]}: char_start-char_end" in dry.stdout
        assert f"-> {rows[i]['char_start']}-{rows[i]['char_end']}" in dry.stdout
    assert "nothing was written" in dry.stdout
    assert f"data/mentions.csv:{lines[ambiguous[0]]}:" in dry.stdout and "ambiguous" in dry.stdout
    assert path.read_bytes() == broken

    before = {k: v for k, v in digest(dataset).items() if k != "data/mentions.csv"}
    fixed = run_badia("fix-offsets", "--write", root=dataset)
    assert fixed.returncode == 1, fixed.stdout + fixed.stderr  # the ambiguous row is left for a person
    expected = original.decode("utf-8").split("\n")
    expected[lines[ambiguous[0]] - 1] = raw[lines[ambiguous[0]] - 1]
    assert path.read_bytes() == "\n".join(expected).encode("utf-8")
    assert {k: v for k, v in digest(dataset).items() if k != "data/mentions.csv"} == before
    assert not list((dataset / "data").glob(".*.tmp"))

    path.write_bytes(original)
    assert run_badia("fix-offsets", root=dataset).returncode == 0


def test_text_missing_from_the_seed_is_reported_not_guessed(dataset: Path):
    path = dataset / "data" / "mentions.csv"
    header, rows, lines = read_table(dataset, "mentions")
    i = pick(dataset, "mentions", 1, 1)[0]
    raw = path.read_text(encoding="utf-8").split("\n")
    raw[lines[i] - 1] = set_offsets(raw[lines[i] - 1], header, "1", "2").replace(f",{rows[i]['text']},", ",no such words in any seed,", 1)
    path.write_text("\n".join(raw), encoding="utf-8")
    before = path.read_bytes()
    result = run_badia("fix-offsets", "--write", root=dataset)
    assert result.returncode == 1
    assert f"data/mentions.csv:{lines[i]}:" in result.stdout and "does not occur in the seed" in result.stdout
    assert path.read_bytes() == before


def test_nothing_to_fix_writes_nothing(dataset: Path):
    before = {p: p.stat().st_mtime_ns for p in (dataset / "data").iterdir()}
    result = run_badia("fix-offsets", "--write", root=dataset)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every span's offsets match its text" in result.stdout
    assert {p: p.stat().st_mtime_ns for p in (dataset / "data").iterdir()} == before


def test_a_structurally_broken_span_table_is_not_rewritten(dataset: Path):
    path = dataset / "data" / "mentions.csv"
    header, rows, lines = read_table(dataset, "mentions")
    i = pick(dataset, "mentions", 1, 1)[0]
    raw = path.read_text(encoding="utf-8").split("\n")
    raw[lines[i] - 1] = set_offsets(raw[lines[i] - 1], header, "1", "2")
    raw[lines[-1] - 1] += ",an extra field"
    path.write_text("\n".join(raw), encoding="utf-8")
    before = path.read_bytes()
    result = run_badia("fix-offsets", "--write", root=dataset)
    assert result.returncode == 2
    assert f"data/mentions.csv:{lines[-1]}: row has" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert path.read_bytes() == before
