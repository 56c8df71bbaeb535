"""`badia release`: the same commit gives the same bytes, the checksums verify, the archive holds
what it promises and not the articles' texts, and a release never overwrites a published one."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, copy_dataset, edit_cell, read_table, run_badia

pytestmark = pytest.mark.e2e  # releases: whole builds, archives, checksums through sha256sum

RELEASE_FILES = ("CHANGELOG.md", "CITATION.cff", "LICENSE")
VERSION = json.loads((ROOT / "datapackage.json").read_text())["version"]
TABLES = [r["name"] for r in json.loads((ROOT / "datapackage.json").read_text())["resources"]]
NAME = f"badia-{VERSION}"


def releasable(dest: Path) -> Path:
    """A copy of the dataset with the files a release needs beside it."""
    copy_dataset(dest)
    for name in RELEASE_FILES:
        shutil.copy2(ROOT / name, dest / name)
    return dest


PREVIOUS = "0.0.9"
PREVIOUS_DATE = "2026-11-20"


def previous_release(base: Path, out: Path) -> dict:
    """A hand-made previous release of the dataset, released into `out` by the real CLI: version
    PREVIOUS, without the last claim and with another summary for the first event. Returns what
    the newer release must find changed, written here by hand (not by the code under test)."""
    root = releasable(base / "previous")
    claims_header, claims, _ = read_table(root, "claims")
    dropped = next(c for c in reversed(claims) if not any(c["claim_id"] in other["note"] for other in claims) and "CONFLICTS" not in c["note"])
    with (root / "data" / "claims.csv").open(encoding="utf-8", newline="") as fh:
        records = list(csv.reader(fh))
    with (root / "data" / "claims.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([r for r in records if r[0] != dropped["claim_id"]])
    event = read_table(root, "events")[1][0]
    edit_cell(root / "data" / "events.csv", 0, "summary", "An older wording of this event.")
    package = json.loads((root / "datapackage.json").read_text())
    package["version"] = PREVIOUS
    (root / "datapackage.json").write_text(json.dumps(package, indent=2))
    citation = (root / "CITATION.cff").read_text()
    citation = re.sub(r'^version: .*$', f'version: "{PREVIOUS}"', citation, flags=re.M)
    (root / "CITATION.cff").write_text(re.sub(r'^date-released: .*$', f'date-released: "{PREVIOUS_DATE}"', citation, flags=re.M))
    (root / "CHANGELOG.md").write_text(f"# Changelog\n\n## [{PREVIOUS}] - {PREVIOUS_DATE}\n\n- A test release.\n")
    result = run_badia("release", "--out", str(out), root=root)
    assert result.returncode == 0, result.stdout + result.stderr
    n_claims, n_events = len(claims), len(read_table(ROOT, "events")[1])
    return {"rows": [["claims", dropped["claim_id"], "added", "", "", json.dumps(dict(zip(claims_header, dropped.values())), ensure_ascii=False), "", ""],
                     ["events", event["event_id"], "changed", "summary", "An older wording of this event.", event["summary"], "", ""]],
            "counts": f"Changes against {PREVIOUS} (`badia diff`; rows by primary key):\n\n"
                      "| table | rows before | rows after | added | removed | changed rows | changed cells |\n|---|---|---|---|---|---|---|\n"
                      f"| claims | {n_claims - 1} | {n_claims} | 1 | 0 | 0 | 0 |\n| events | {n_events} | {n_events} | 0 | 0 | 1 | 1 |\n"}


def with_changes_against_previous(root: Path, counts: str | None) -> None:
    """This version's CHANGELOG entry, with the counts of its changes against PREVIOUS (the
    committed entry counts them against the real previous release; None keeps those), above
    PREVIOUS's entry."""
    text = (root / "CHANGELOG.md").read_text()
    entry = re.search(rf"^## \[{re.escape(VERSION)}\] - .*?(?=^## \[|\Z)", text, re.M | re.S).group(0)
    entry = entry if counts is None else re.sub(r"^Changes against .*?(?=\n\n(?!\|)|\Z)", counts.strip(), entry, flags=re.M | re.S)
    (root / "CHANGELOG.md").write_text(f"# Changelog\n\n{entry.rstrip()}\n\n## [{PREVIOUS}] - {PREVIOUS_DATE}\n\n- A test release.\n")


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> tuple[Path, Path, list[str]]:
    """Two releases of the same dataset into the same folder, by two separate runs of the real CLI
    (the second is refused unless its archive is byte-identical to the first), after a hand-made
    previous release in that folder (each release after the first carries its changes)."""
    base = tmp_path_factory.mktemp("release")
    out = base / "out"
    expected = previous_release(base, out)
    root = releasable(base / "dataset")
    with_changes_against_previous(root, expected["counts"])
    (root / "expected_changes.json").write_text(json.dumps(expected["rows"]))
    outputs = []
    for _ in (1, 2):
        result = run_badia("release", "--out", str(out), root=root)
        assert result.returncode == 0, result.stdout + result.stderr
        outputs.append(result.stdout)
    return root, out, outputs


@pytest.fixture(scope="module")
def extracted(releases, tmp_path_factory) -> Path:
    _, out, _ = releases
    dest = tmp_path_factory.mktemp("extracted")
    with zipfile.ZipFile(out / f"{NAME}.zip") as zf:
        zf.extractall(dest)
    return dest / NAME


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_commit_gives_byte_identical_archives(releases):
    _, out, outputs = releases
    digest = sha256(out / f"{NAME}.zip")
    assert outputs == [f"released {out / NAME}.zip (sha256 {digest})\n"] * 2
    assert (out / f"{NAME}.zip.sha256").read_text() == f"{digest}  {NAME}.zip\n"


def test_checksums_verify(releases, extracted):
    lines = (extracted / "SHA256SUMS").read_text().splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split("  ", 1)
        listed[name] = digest
    files = sorted(p.relative_to(extracted).as_posix() for p in extracted.rglob("*") if p.is_file())
    assert sorted(listed) == [f for f in files if f != "SHA256SUMS"]
    for name, digest in listed.items():
        assert sha256(extracted / name) == digest, name
    if shutil.which("sha256sum"):
        check = subprocess.run(["sha256sum", "--check", "--strict", "SHA256SUMS"], cwd=extracted, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        outer = subprocess.run(["sha256sum", "--check", f"{NAME}.zip.sha256"], cwd=releases[1], capture_output=True, text=True)
        assert outer.returncode == 0, outer.stdout + outer.stderr


def test_archive_contents(releases, extracted, built):
    _, out, _ = releases
    with zipfile.ZipFile(out / f"{NAME}.zip") as zf:
        infos = zf.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names) and all(n.startswith(f"{NAME}/") for n in names)
    entry_date = re.search(rf"^## \[{re.escape(VERSION)}\] - (\d{{4}})-(\d\d)-(\d\d)", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert {i.date_time for i in infos} == {tuple(int(g) for g in entry_date.groups()) + (0, 0, 0)}
    downloads = ("events_flat", "quotes_with_speakers")  # the site's reader tables, downloadable typed (README)
    expected = {f"{kind}/{t}.{kind}" for t in (*TABLES, *downloads) for kind in ("csv", "parquet")} | {
        "badia.db", "datapackage.json", "data-dictionary.md", "CHANGELOG.md", "LICENSE", "CITATION.cff", "README.md",
        "SHA256SUMS", "figures/timeline.svg", "figures/map.svg", "CHANGES.csv", "changes.json"}
    assert {n[len(NAME) + 1:] for n in names} == expected
    for t in TABLES:
        assert (extracted / "csv" / f"{t}.csv").read_bytes() == (built / "csv" / f"{t}.csv").read_bytes()
    changelog = (extracted / "CHANGELOG.md").read_text()
    assert changelog.startswith(f"## [{VERSION}]") and changelog.strip() in (releases[0] / "CHANGELOG.md").read_text()
    assert "## [" not in changelog[3:], "only this version's entry"
    dictionary = (extracted / "data-dictionary.md").read_text()
    assert all(f"## {t}" in dictionary for t in TABLES)
    with sqlite3.connect(extracted / "badia.db") as conn:
        for t in TABLES:
            with (ROOT / "data" / f"{t}.csv").open(encoding="utf-8") as fh:
                assert conn.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0] == sum(1 for _ in csv.DictReader(fh))
        assert conn.execute("SELECT count(*) FROM events_flat").fetchone()[0] == conn.execute("SELECT count(*) FROM events").fetchone()[0]


def test_the_release_carries_its_changes_as_badia_diff_finds_them(releases, extracted):
    """CHANGES.csv is exactly the changes made by hand to the previous release, and the same bytes
    as `badia diff` between the two archives; changes.json holds the same rows and its counts."""
    root, out, _ = releases
    with (extracted / "CHANGES.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["table", "key", "change", "column", "old", "new", "replaced_by", "reason"]
    assert rows[1:] == json.loads((root / "expected_changes.json").read_text())
    result = run_badia("diff", str(out / f"badia-{PREVIOUS}.zip"), str(out / f"{NAME}.zip"), "--format", "csv", root=root)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (extracted / "CHANGES.csv").read_text(encoding="utf-8")
    changes = json.loads((extracted / "changes.json").read_text())
    assert (changes["old"]["version"], changes["new"]["version"]) == (PREVIOUS, VERSION)
    assert changes["counts"]["claims"] == {"added": 1, "removed": 0, "changed": 0, "cells": 0}
    assert changes["counts"]["events"] == {"added": 0, "removed": 0, "changed": 1, "cells": 1}


def test_the_version_is_in_every_file_format(extracted):
    import pyarrow.parquet as pq

    for t in TABLES:
        assert pq.read_schema(extracted / "parquet" / f"{t}.parquet").metadata[b"badia_version"] == VERSION.encode()
    with sqlite3.connect(extracted / "badia.db") as conn:
        assert conn.execute("SELECT value FROM dataset_info WHERE key = 'version'").fetchone() == (VERSION,)


def test_a_release_refuses_counts_that_are_not_its_changes(releases, tmp_path):
    """The committed entry counts the changes against the real previous release, not against the
    hand-made one: the release says which counts are wrong and writes nothing."""
    root = releasable(tmp_path / "dataset")
    out = shutil.copytree(releases[1], tmp_path / "out")
    with_changes_against_previous(root, None)
    for name in (f"{NAME}.zip", f"{NAME}.zip.sha256"):
        (out / name).unlink()
    result = run_badia("release", "--out", str(out), root=root)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"CHANGELOG.md: the entry of {VERSION} does not state its changes' counts" in result.stderr and "Traceback" not in result.stderr
    assert not (out / f"{NAME}.zip").exists()


def test_a_release_after_the_first_needs_the_previous_one(tmp_path):
    root = releasable(tmp_path / "dataset")
    with_changes_against_previous(root, None)
    result = run_badia("release", "--out", str(tmp_path / "out"), root=root)
    assert result.returncode == 1
    assert f"the previous release {PREVIOUS} is needed" in result.stderr and "--previous" in result.stderr and "Traceback" not in result.stderr


def test_datapackage_describes_the_release(extracted):
    desc = json.loads((extracted / "datapackage.json").read_text())
    assert desc["version"] == VERSION
    paths = {r["path"] for r in desc["resources"]}
    assert "badia.db" in paths and all((extracted / p).is_file() for p in paths)
    result = subprocess.run([str(Path(sys.executable).with_name("frictionless")), "validate", "datapackage.json"],
                            cwd=extracted, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:]


def test_article_texts_stay_out_of_the_release(releases, extracted, built):
    root = releases[0]
    with sqlite3.connect(built / "badia.db") as conn:
        with (ROOT / "data" / "articles.csv").open(encoding="utf-8") as fh:
            assert conn.execute("SELECT count(*) FROM article_texts").fetchone()[0] == sum(1 for _ in csv.DictReader(fh))
    with sqlite3.connect(extracted / "badia.db") as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'article_texts'").fetchone()[0] == 0
    annotations = "\n".join((ROOT / "data" / f"{t}.csv").read_text(encoding="utf-8") for t in TABLES)
    unquoted = [line.strip() for seed in sorted((root / "seeds").glob("*.txt"))
                for line in seed.read_text(encoding="utf-8").splitlines() if len(line.strip()) >= 60 and line.strip() not in annotations]
    assert unquoted, "every long line of the seeds is quoted in full: this test would prove nothing"
    archive = b"".join(p.read_bytes() for p in sorted(extracted.rglob("*")) if p.is_file())
    assert [line for line in unquoted if line.encode("utf-8") in archive] == []


def test_citation_and_licence_match_the_package():
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    package = json.loads((ROOT / "datapackage.json").read_text())
    assert citation["cff-version"] == "1.2.0" and citation["title"] and citation["authors"] and citation["message"]
    assert str(citation["version"]) == package["version"]
    assert citation["license"] == package["licenses"][0]["name"]
    licence = (ROOT / "LICENSE").read_text()
    assert "MIT License" in licence and "CC-BY-4.0" in licence and "not part of any release" in licence


def test_release_refuses_what_it_cannot_publish(tmp_path):
    root = releasable(tmp_path / "dataset")
    package = json.loads((root / "datapackage.json").read_text())

    package["version"] = "1.0"
    (root / "datapackage.json").write_text(json.dumps(package))
    result = run_badia("release", root=root)
    assert result.returncode == 1
    assert "datapackage.json: column 'version': version '1.0' is not a semantic version" in result.stderr
    assert "CHANGELOG.md: no entry for version 1.0" in result.stderr
    assert "CITATION.cff: column 'version'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (root / "releases").exists()


def test_a_published_version_is_never_overwritten(releases, tmp_path):
    root = shutil.copytree(releases[0], tmp_path / "dataset")
    out = shutil.copytree(releases[1], tmp_path / "out")
    published = (out / f"{NAME}.zip").read_bytes()
    edit_cell(root / "data" / "events.csv", 0, "summary", "A changed summary, without a new version.")
    result = run_badia("release", "--out", str(out), root=root)
    assert result.returncode == 1
    assert "already released with other contents" in result.stderr and "raise the version" in result.stderr
    assert (out / f"{NAME}.zip").read_bytes() == published
    assert sorted(p.name for p in out.iterdir()) == sorted([f"{NAME}.zip", f"{NAME}.zip.sha256", f"badia-{PREVIOUS}.zip", f"badia-{PREVIOUS}.zip.sha256"])


def test_release_served_without_texts_lists_the_spans(extracted):
    from datasette.app import Datasette

    from badia.site.views import PLUGINS_DIR, TEMPLATES_DIR

    ds = Datasette(immutables=[str(extracted / "badia.db")], plugins_dir=str(PLUGINS_DIR), template_dir=str(TEMPLATES_DIR))
    article = next(csv.DictReader((ROOT / "data" / "articles.csv").open(encoding="utf-8")))
    import asyncio

    response = asyncio.run(ds.client.get(f"/articles/{article['article_id']}"))
    assert response.status_code == 200
    assert "not in this database" in response.text
    quote = next(q for q in csv.DictReader((ROOT / "data" / "quotes.csv").open(encoding="utf-8")) if q["article_id"] == article["article_id"])
    assert f'href="/badia/quotes/{quote["quote_id"]}"' in response.text


def lint_workflow(path: Path) -> subprocess.CompletedProcess:
    """Check a GitHub Actions workflow against its JSON Schema (vendored by check-jsonschema: offline)."""
    return subprocess.run([str(Path(sys.executable).with_name("check-jsonschema")), "--builtin-schema", "vendor.github-workflows", str(path)],
                          capture_output=True, text=True, timeout=120)


def test_release_workflow(tmp_path):
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
    assert ROOT / ".github" / "workflows" / "release.yml" in workflows
    for workflow in workflows:
        result = lint_workflow(workflow)
        assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps: not-a-list\n")
    assert lint_workflow(broken).returncode != 0
    release = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())
    assert release[True]["push"]["tags"]  # YAML 1.1 reads the key `on` as True
    steps = "\n".join(step.get("run", "") for step in release["jobs"]["release"]["steps"])
    assert "make release" in steps and "sha256sum --check" in steps and "gh release create" in steps
