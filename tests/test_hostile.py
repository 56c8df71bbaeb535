"""The fault and hostility suite (issue 11): what a hostile or careless contributor can type or
commit. Each case runs the real CLI on a copy of the dataset inside a folder of its own, and asserts
the exit code, a located message, no traceback, and that nothing outside the intended target
changed: the dataset copy (with a stand-in .git) and its parent folder are hashed before and after."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import ROOT, copy_dataset, edit_cell, run_badia


# --- the sandbox: a dataset with a .git and a neighbour, hashed whole ---------------------------------

@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """parent/ holding dataset/ (a copy, with a stand-in .git) and a file of someone else's."""
    parent = tmp_path / "parent"
    root = copy_dataset(parent / "dataset")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    for name in ("LICENSE", "CITATION.cff", "CHANGELOG.md"):
        shutil.copy2(ROOT / name, root / name)
    (parent / "someone-elses.txt").write_text("not badia's\n")
    return root


def tree(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Every entry under `folder` (relative path -> content digest, link target or 'dir'), except
    those under the relative prefixes `skip` (the command's intended target)."""
    state = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if any(rel == s or rel.startswith(s + "/") for s in skip):
            continue
        if path.is_symlink():
            state[rel] = "link:" + os.readlink(path)
        elif path.is_dir():
            state[rel] = "dir"
        else:
            state[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def refused(result, code: int, *located: str) -> None:
    """A plain refusal: the exit code, each located text in the output, no traceback, no bug report."""
    output = result.stdout + result.stderr
    assert result.returncode == code, output
    for text in located:
        assert text in output, output
    assert "Traceback" not in output and "bug in badia" not in output, output


# --- 1. assist --apply with a path for an article id ---------------------------------------------

@pytest.mark.parametrize("article_id", ["..", "../seeds", "../..", "/tmp", "drafts/../..", ".", "", "a/b", "A B", "..\\..", "%2e%2e"])
def test_assist_apply_refuses_a_path_for_an_article_id(sandbox: Path, article_id: str):
    before = tree(sandbox.parent)
    result = run_badia("assist", "--apply", article_id, root=sandbox)
    output = result.stdout + result.stderr
    assert result.returncode in (1, 2) and "Traceback" not in output and "bug in badia" not in output, output
    assert "is not an article id" in output or "name the article" in output, output
    assert tree(sandbox.parent) == before


def test_assist_refuses_a_path_when_drafting(sandbox: Path):
    before = tree(sandbox.parent)
    refused(run_badia("assist", "../seeds", root=sandbox), 1, "data/articles.csv: no article '../seeds'")
    assert tree(sandbox.parent) == before


def test_assist_apply_refuses_a_drafts_folder_that_links_elsewhere(sandbox: Path):
    (sandbox / "drafts").symlink_to(sandbox / "seeds", target_is_directory=True)
    before = tree(sandbox.parent)
    refused(run_badia("assist", "--apply", "000_c12d51fecf8ebae5", root=sandbox), 1, "drafts/000_c12d51fecf8ebae5", "is a link or lies outside")
    assert tree(sandbox.parent) == before


def test_assist_apply_keeps_a_folder_without_draft_tables(sandbox: Path):
    folder = sandbox / "drafts" / "000_c12d51fecf8ebae5"
    folder.mkdir(parents=True)
    (folder / "my-notes.txt").write_text("mine\n")
    before = tree(sandbox.parent)
    refused(run_badia("assist", "--apply", "000_c12d51fecf8ebae5", root=sandbox), 1, "drafts/000_c12d51fecf8ebae5: holds no draft table")
    assert tree(sandbox.parent) == before


def test_applied_draft_keeps_files_it_did_not_write(sandbox: Path):
    """A finished draft's own files go; a contributor's file in the folder stays, with the folder."""
    folder = sandbox / "drafts" / "000_c12d51fecf8ebae5"
    folder.mkdir(parents=True)
    header = "review," + (sandbox / "data" / "quote_exclusions.csv").read_text().splitlines()[0] + ",draft_note\n"
    (folder / "quote_exclusions.csv").write_text(header + "reject,000_c12d51fecf8ebae5,0,3,abc,because,\n")
    (folder / "my-notes.txt").write_text("mine\n")
    result = run_badia("assist", "--apply", "000_c12d51fecf8ebae5", root=sandbox)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "kept for the other files in it" in result.stdout
    assert sorted(p.name for p in folder.iterdir()) == ["my-notes.txt"]


# --- 2. names in datapackage.json and the schemas ------------------------------------------------

@pytest.mark.parametrize("name", ["../../data/events", "/tmp/events", "events.csv", "Events", "ev ents", "e]; DROP TABLE actors; --", "", "x" * 64])
def test_unsafe_resource_names_are_refused(sandbox: Path, name: str):
    package = json.loads((sandbox / "datapackage.json").read_text())
    package["resources"][3]["name"] = name
    (sandbox / "datapackage.json").write_text(json.dumps(package, indent=2))
    before = tree(sandbox.parent)
    for command in (["validate"], ["build"]):
        result = run_badia(*command, root=sandbox)
        output = result.stdout + result.stderr
        assert result.returncode == 2 and "Traceback" not in output and "bug in badia" not in output, output
        assert "datapackage.json" in output and ("is not allowed" in output or "needs a 'name'" in output or "Data Package" in output), output
    assert tree(sandbox.parent) == before


@pytest.mark.parametrize("name", ["text] TEXT, [evil", 'text" TEXT, "evil', "Text", "1st", "a-b", "x" * 64])
def test_unsafe_field_names_are_refused(sandbox: Path, name: str):
    schema_path = sandbox / "schemas" / "quote_exclusions.schema.json"
    schema = json.loads(schema_path.read_text())
    old = schema["fields"][4]["name"]
    schema["fields"][4]["name"] = name
    schema_path.write_text(json.dumps(schema, indent=2))
    csv_path = sandbox / "data" / "quote_exclusions.csv"
    lines = csv_path.read_text().split("\n", 1)
    csv_path.write_text(lines[0].replace(old, json.dumps(name) if "," in name or '"' in name else name) + "\n" + lines[1])
    before = tree(sandbox.parent)
    result = run_badia("build", root=sandbox)
    refused(result, 2, "schemas/quote_exclusions.schema.json", f"field name {name!r} is not allowed")
    assert tree(sandbox.parent) == before


def test_build_quotes_sql_names():
    """Names reach the SQL quoted, even those the loader would refuse (defence in depth)."""
    from badia.dataset.package import Resource
    from badia.publish.build import create_table_sql

    resource = Resource('t"x', "data/t.csv", "schemas/t.json", {"fields": [{"name": 'a" TEXT, "b', "type": "string"}], "primaryKey": ['a" TEXT, "b']})
    conn = sqlite3.connect(":memory:")
    conn.execute(create_table_sql(SimpleNamespace(resource=resource)))
    assert [row[1] for row in conn.execute('PRAGMA table_info("t""x")')] == ['a" TEXT, "b']


# --- 3. build --out --------------------------------------------------------------------------------

@pytest.mark.parametrize("out", ["data", "seeds", ".", "..", ".git", "schemas", "data/new", "../someone-elses.txt", "../../"])
def test_build_out_refuses_the_datasets_own_folders(sandbox: Path, out: str):
    before = tree(sandbox.parent)
    result = run_badia("build", "--out", str(sandbox / out), root=sandbox)
    refused(result, 2, "--out ", "a build replaces its output folder whole")
    assert tree(sandbox.parent) == before


def test_build_out_refuses_a_folder_that_is_not_a_build(sandbox: Path, tmp_path: Path):
    mydocs = tmp_path / "mydocs"
    mydocs.mkdir()
    (mydocs / "letter.txt").write_text("dear\n")
    before = tree(sandbox.parent), tree(mydocs)
    refused(run_badia("build", "--out", str(mydocs), root=sandbox), 2, f"{mydocs}: --out is not empty and is not a badia build")
    assert (tree(sandbox.parent), tree(mydocs)) == before


def test_build_out_replaces_an_empty_folder_and_a_previous_build(sandbox: Path, tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    assert run_badia("build", "--out", str(out), root=sandbox).returncode == 0
    assert (out / ".badia-build").is_file() and (out / "badia.db").is_file()
    before = tree(sandbox.parent)
    assert run_badia("build", "--out", str(out), root=sandbox).returncode == 0
    assert tree(sandbox.parent) == before


# --- 4. releases survive builds and never change ---------------------------------------------------

def test_releases_live_outside_build_and_never_change(sandbox: Path):
    result = run_badia("release", root=sandbox)
    assert result.returncode == 0, result.stdout + result.stderr
    releases = sandbox / "releases"
    published = tree(releases)
    assert sorted(published) == ["badia-0.1.0.zip", "badia-0.1.0.zip.sha256"] or all(n.startswith("badia-") for n in published)
    assert run_badia("build", root=sandbox).returncode == 0
    assert tree(releases) == published
    # Change the data without a new version, delete the archive: the recorded digest still refuses it.
    edit_cell(sandbox / "data" / "events.csv", 0, "summary", "A changed summary, without a new version.")
    archive = next(releases.glob("badia-*.zip"))
    archive.unlink()
    before = tree(sandbox.parent)
    refused(run_badia("release", root=sandbox), 1, f"{archive}.sha256", "already released with other contents")
    assert tree(sandbox.parent) == before
