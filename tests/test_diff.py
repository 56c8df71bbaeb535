"""`badia diff OLD NEW` on two small versions made by hand: exactly the expected rows (one added,
one removed and replaced, one changed cell, an unchanged table), whichever kind each side is (a
folder, a release-like archive, a git revision), in every format, and a located refusal for a side
it cannot read."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import run_badia

RETIRED_HEADER = ["table", "id", "retired_in", "replaced_by", "reason"]


def write_version(root: Path, version: str, things: list[list[str]], retired: list[list[str]]) -> Path:
    """A two-table Data Package (things, keyed by id; colours, no change) plus retired_rows."""
    (root / "data").mkdir(parents=True)
    (root / "schemas").mkdir()
    schemas = {
        "things": {"fields": [{"name": "id", "type": "string"}, {"name": "label", "type": "string"}, {"name": "size", "type": "number"}], "primaryKey": ["id"]},
        "colours": {"fields": [{"name": "name", "type": "string"}, {"name": "hex", "type": "string"}], "primaryKey": ["name"]},
        "retired_rows": {"fields": [{"name": n, "type": "string"} for n in RETIRED_HEADER], "primaryKey": ["table", "id"]},
    }
    rows = {"things": [["id", "label", "size"], *things], "colours": [["name", "hex"], ["red", "#f00"], ["blue", "#00f"]],
            "retired_rows": [RETIRED_HEADER, *retired]}
    resources = []
    for name, schema in schemas.items():
        (root / "schemas" / f"{name}.schema.json").write_text(json.dumps(schema))
        with (root / "data" / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows[name])
        resources.append({"name": name, "path": f"data/{name}.csv", "schema": f"schemas/{name}.schema.json"})
    (root / "datapackage.json").write_text(json.dumps({"name": "tiny", "version": version, "resources": resources}))
    return root


OLD_THINGS = [["a", "=kept as it was", "1"], ["b", "changes its label", "2"], ["c", "split in two", "3"]]
NEW_THINGS = [["a", "=kept as it was", "1.0"], ["b", "a new label", "2"], ["c1", "first half", "1.5"], ["c2", "second half", "1.5"], ["d", "new", "4"]]
NEW_RETIRED = [["things", "c", "0.2.0", "c1;c2", "one row held two things"]]


@pytest.fixture
def versions(tmp_path: Path) -> tuple[Path, Path]:
    return (write_version(tmp_path / "old", "0.1.0", OLD_THINGS, []),
            write_version(tmp_path / "new", "0.2.0", NEW_THINGS, NEW_RETIRED))


def expected_csv() -> list[list[str]]:
    header = ["table", "key", "change", "column", "old", "new", "replaced_by", "reason"]
    return [header,
            ["retired_rows", "things;c", "added", "", "", json.dumps(dict(zip(RETIRED_HEADER, NEW_RETIRED[0]))), "", ""],
            ["things", "c1", "added", "", "", json.dumps({"id": "c1", "label": "first half", "size": "1.5"}), "", ""],
            ["things", "c2", "added", "", "", json.dumps({"id": "c2", "label": "second half", "size": "1.5"}), "", ""],
            ["things", "d", "added", "", "", json.dumps({"id": "d", "label": "new", "size": "4"}), "", ""],
            ["things", "c", "removed", "", json.dumps({"id": "c", "label": "split in two", "size": "3"}), "", "c1;c2", "one row held two things"],
            ["things", "b", "changed", "label", "changes its label", "a new label", "", ""]]


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(text.splitlines()))


def test_two_folders_give_exactly_the_hand_made_changes(versions):
    old, new = versions
    result = run_badia("diff", str(old), str(new), "--format", "csv", root=new)
    assert result.returncode == 0, result.stderr
    assert csv_rows(result.stdout) == expected_csv()  # "1" and "1.0" are the same number: no change


def test_json_counts_and_the_unchanged_table(versions):
    old, new = versions
    report = json.loads(run_badia("diff", str(old), str(new), "--format", "json", root=new).stdout)
    assert (report["old"]["version"], report["new"]["version"]) == ("0.1.0", "0.2.0")
    assert report["counts"]["things"] == {"added": 3, "removed": 1, "changed": 1, "cells": 1}
    assert report["counts"]["colours"] == {"added": 0, "removed": 0, "changed": 0, "cells": 0}
    assert report["tables"]["things"]["removed"] == [{"key": "c", "row": {"id": "c", "label": "split in two", "size": "3"}, "retired": True,
                                                      "replaced_by": ["c1", "c2"], "reason": "one row held two things", "retired_in": "0.2.0"}]


def test_text_and_markdown_say_the_same(versions):
    old, new = versions
    text = run_badia("diff", str(old), str(new), root=new).stdout
    assert "things: 3 -> 5 rows; 3 added, 1 removed, 1 changed (1 cells)" in text
    assert "  - c -> replaced by c1, c2: one row held two things" in text
    assert "  ~ b label: 'changes its label' -> 'a new label'" in text
    assert "colours: 2 -> 2 rows; 0 added, 0 removed, 0 changed (0 cells)" in text and "== colours" not in text
    markdown = run_badia("diff", str(old), str(new), "--format", "markdown", root=new).stdout
    assert "| things | 3 | 5 | 3 | 1 | 1 | 1 |" in markdown and "| colours |" not in markdown
    assert "| `c` | c1, c2 | one row held two things |" in markdown
    assert "| `b` | label | changes its label | a new label |" in markdown


def test_an_id_dropped_without_a_record_is_flagged(tmp_path):
    old = write_version(tmp_path / "old", "0.1.0", OLD_THINGS, [])
    new = write_version(tmp_path / "new", "0.2.0", OLD_THINGS[:2], [])
    text = run_badia("diff", str(old), str(new), root=new).stdout
    assert "  - c (NOT in retired_rows: an id was dropped without a record)" in text


def test_out_writes_the_same_text_to_a_file(versions, tmp_path):
    old, new = versions
    out = tmp_path / "changes.csv"
    result = run_badia("diff", str(old), str(new), "--format", "csv", "--out", str(out), root=new)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr
    assert csv_rows(out.read_text(encoding="utf-8")) == expected_csv()


def test_identical_versions_have_no_differences(versions):
    old, _ = versions
    result = run_badia("diff", str(old), str(old), root=old)
    assert result.returncode == 0 and result.stdout.endswith("no differences\n")
    assert "No differences in the data." in run_badia("diff", str(old), str(old), "--format", "markdown", root=old).stdout


def test_a_release_archive_and_a_git_revision_as_sides(versions, tmp_path):
    """The old side as a release archive (one top folder; CSV under csv/ with formula-like cells
    neutralised by an apostrophe, as a build writes them), the new as a git commit."""
    if not shutil.which("git"):
        pytest.skip("git is not installed")
    old, new = versions
    release = tmp_path / "badia-0.1.0"
    shutil.copytree(old, release)
    descriptor = json.loads((release / "datapackage.json").read_text())
    for res in descriptor["resources"]:
        res["schema"] = json.loads((release / res["schema"]).read_text())
        res["path"] = f"csv/{res['name']}.csv"
    (release / "csv").mkdir()
    for name in ("things", "colours", "retired_rows"):
        shutil.move(release / "data" / f"{name}.csv", release / "csv" / f"{name}.csv")
    (release / "datapackage.json").write_text(json.dumps(descriptor))
    things = release / "csv" / "things.csv"
    things.write_text(things.read_text().replace("=kept", "'=kept"))
    archive = tmp_path / "badia-0.1.0.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(release.rglob("*")):
            if path.is_file():
                zf.write(path, f"badia-0.1.0/{path.relative_to(release).as_posix()}")
    repo = tmp_path / "repo"
    shutil.copytree(new, repo)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(git[:3] + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "new"], check=True)
    (repo / "data" / "things.csv").write_text("id,label,size\n")  # the work tree is not what is read
    result = run_badia("diff", str(archive), "HEAD", "--format", "csv", root=repo)
    assert result.returncode == 0, result.stderr
    assert csv_rows(result.stdout) == expected_csv()


def test_a_side_that_cannot_be_read_is_a_located_refusal(versions, tmp_path):
    old, _ = versions
    result = run_badia("diff", str(old), "no-such-revision", root=old)
    assert result.returncode == 2
    assert "no-such-revision: is neither a folder, a release archive nor a git revision" in result.stderr + result.stdout
    assert "Fix: " in result.stderr + result.stdout and "Traceback" not in result.stderr + result.stdout
    junk = tmp_path / "junk.zip"
    junk.write_text("not a zip")
    result = run_badia("diff", str(junk), str(old), root=old)
    assert result.returncode == 2 and "is a file but not a zip archive" in result.stderr + result.stdout
