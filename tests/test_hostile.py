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
    for name in ("LICENSE", "CITATION.cff"):
        shutil.copy2(ROOT / name, root / name)
    # Only the current version's entry: a first release, which needs no previous one to diff against.
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    entries = [i for i in range(len(changelog)) if changelog.startswith("\n## [", i)]
    (root / "CHANGELOG.md").write_text(changelog[:entries[1] + 1] if len(entries) > 1 else changelog, encoding="utf-8")
    (parent / "someone-elses.txt").write_text("not badia's\n")
    return root


def tree(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Every entry under `folder` (relative path -> content digest, link target or 'dir'), except
    those under the relative prefixes `skip` (the command's intended target)."""
    state = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if any(rel == s or rel.startswith(s + "/") for s in skip) or path.name == ".badia.lock":  # the write lock, not data
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
    header = "review,confidence," + (sandbox / "data" / "quote_exclusions.csv").read_text().splitlines()[0] + ",draft_note\n"
    (folder / "quote_exclusions.csv").write_text(header + "reject,,000_c12d51fecf8ebae5,0,3,abc,because,\n")
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


def test_the_default_build_folder_is_replaced_even_without_a_marker(sandbox: Path):
    """`make test` leaves screenshots in build/ and older builds have no marker: `make serve`
    (a build into the default build/) must still work there, and touch nothing else."""
    (sandbox / "build" / "screenshots").mkdir(parents=True)
    (sandbox / "build" / "screenshots" / "home.png").write_bytes(b"png")
    before = tree(sandbox.parent, skip=("dataset/build",))
    assert run_badia("build", root=sandbox).returncode == 0
    assert (sandbox / "build" / ".badia-build").is_file() and (sandbox / "build" / "badia.db").is_file()
    assert tree(sandbox.parent, skip=("dataset/build",)) == before


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
    assert len(published) == 2 and all(n.startswith("badia-") for n in published)
    assert run_badia("build", root=sandbox).returncode == 0
    assert tree(releases) == published
    # Change the data without a new version, delete the archive: the recorded digest still refuses it.
    edit_cell(sandbox / "data" / "events.csv", 0, "summary", "A changed summary, without a new version.")
    archive = next(releases.glob("badia-*.zip"))
    archive.unlink()
    before = tree(sandbox.parent)
    refused(run_badia("release", root=sandbox), 1, f"{archive}.sha256", "already released with other contents")
    assert tree(sandbox.parent) == before


# --- 5. script from a click; the Host header -------------------------------------------------------

@pytest.mark.parametrize("key,value", [("licenses", "javascript:alert(1)"), ("licenses", "data:text/html,<script>alert(1)</script>"),
                                       ("licenses", "https://example.org/\"><script>"), ("sources", "JavaScript:alert(1)"),
                                       ("homepage", "vbscript:x"), ("homepage", "//evil.example/")])
def test_unsafe_urls_in_the_package_are_refused(sandbox: Path, key: str, value: str):
    package = json.loads((sandbox / "datapackage.json").read_text())
    if key == "homepage":
        package["homepage"] = value
    else:
        package[key][0]["path"] = value
    (sandbox / "datapackage.json").write_text(json.dumps(package, indent=2))
    before = tree(sandbox.parent)
    refused(run_badia("build", root=sandbox), 2, "datapackage.json", "is not an http(s) address")
    assert tree(sandbox.parent) == before


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    """A build whose article 000 has a `javascript:` url (the schema's pattern relaxed in the same
    change), served by Datasette with the project's plugins."""
    from datasette.app import Datasette

    from badia.site.serve import datasette_args
    from badia.site.views import PLUGINS_DIR, TEMPLATES_DIR

    root = copy_dataset(tmp_path_factory.mktemp("hostile") / "dataset")
    schema_path = root / "schemas" / "articles.schema.json"
    schema = json.loads(schema_path.read_text())
    next(f for f in schema["fields"] if f["name"] == "url")["constraints"].pop("pattern")
    schema_path.write_text(json.dumps(schema, indent=2))
    edit_cell(root / "data" / "articles.csv", 0, "url", "javascript:alert(document.domain)")
    out = tmp_path_factory.mktemp("hostile-build") / "build"
    result = run_badia("build", "--out", str(out), root=root)
    assert result.returncode == 0, result.stdout + result.stderr
    args = datasette_args(out, "127.0.0.1", 8001)
    settings = dict(zip(args[args.index("--setting") + 1::3], args[args.index("--setting") + 2::3]))
    return Datasette(immutables=[str(out / "badia.db")], metadata=json.loads((out / "metadata.json").read_text()),
                     plugins_dir=str(PLUGINS_DIR), template_dir=str(TEMPLATES_DIR),
                     settings={"sql_time_limit_ms": int(settings["sql_time_limit_ms"]), "allow_download": False})


@pytest.mark.asyncio
async def test_article_page_never_links_a_script_url(hostile_site):
    page = await hostile_site.client.get("/articles/000_c12d51fecf8ebae5")
    assert page.status_code == 200
    assert "javascript:" not in page.text.lower()


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/", "/badia/events", "/articles/000_c12d51fecf8ebae5", "/badia.json?sql=select+1", "/-/static/app.css", "/nonexistent"])
async def test_every_response_has_a_content_security_policy(hostile_site, path: str):
    response = await hostile_site.client.get(path)
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.asyncio
@pytest.mark.parametrize("host,status", [("localhost", 200), ("localhost:8001", 200), ("127.0.0.1:8001", 200), ("[::1]:8001", 200),
                                         ("evil.example", 421), ("evil.example:8001", 421), ("localhost.evil.example", 421),
                                         ("127.0.0.1.nip.io", 421), ("", 421), ("[::1", 421)])
async def test_only_loopback_host_names_are_served_by_default(hostile_site, host: str, status: int):
    response = await hostile_site.client.get("/", headers={"host": host})
    assert response.status_code == status, response.text[:300]
    if status == 421:
        assert "is not served here" in response.text


def test_serve_allows_the_name_it_binds():
    from badia.site.serve import allowed_host, host_names, served_hosts

    assert allowed_host("data.example:8001", host_names(served_hosts("data.example")))
    assert not allowed_host("other.example", host_names(served_hosts("data.example")))
    assert not allowed_host("evil.example", host_names(served_hosts("0.0.0.0")))


# --- 6. single heavy SQL functions -------------------------------------------------------------------

HEAVY_SQL = [
    "select length(replace(hex(zeroblob(499999999)),'0','a'))",
    "select length(randomblob(999999999))",
    "select length(printf('%.*c', 2000000000, 'x'))",
    "select length(format('%2000000000d', 1))",
    "select length(group_concat(x)) from (with recursive c(x) as (select 1 union all select x + 1 from c limit 10000000) select x from c)",
    "select instr(replace(hex(zeroblob(5000000)),'0','a'), replace(hex(zeroblob(2500000)),'0','a') || 'b')",
    "select length(replace(replace(replace(hex(zeroblob(100000)),'0','00'),'0','00'),'0','00'))",
    "select length(char(" + ",".join(["1114111"] * 100) + ")) , length(hex(zeroblob(300000)))",
]


@pytest.mark.asyncio
@pytest.mark.parametrize("sql", HEAVY_SQL)
async def test_one_heavy_function_is_refused_not_run(hostile_site, sql: str):
    response = await hostile_site.client.get("/badia.json", params={"sql": sql})
    assert response.status_code == 400, response.text[:300]
    assert any(why in response.text for why in ("too big", "took too long", "user-defined function raised exception")), response.text[:300]


@pytest.mark.parametrize("args", [("%d-%s-%5.2f%%", 3, "ab", 2.5), ("%q", "it's"), ("%.*c", 1000, "x"), ("%-8s|", "ab"), ("%,d", 1234567),
                                  ("%!.3s", "ééé"), ("%c%c", "a"), (None,), ("%s",), ("%z %d", 1)])
def test_bounded_printf_gives_what_sqlite_gives(args):
    from badia.site.serve import bounded_printf

    builtin = sqlite3.connect(":memory:").execute(f"select printf({', '.join('?' * len(args))})", args).fetchone()[0]
    assert bounded_printf(*args) == builtin


@pytest.mark.parametrize("args", [("%.*c", 2_000_000_000, "x"), ("%2000000000d", 1), ("%*d", -2_000_000_000, 1), ("%.*c", "300000", "x"), ("%.300000f", 1.5)])
def test_bounded_printf_refuses_a_width_over_the_limit(args):
    from badia.site.serve import bounded_printf

    with pytest.raises(ValueError, match="printf width or precision over"):
        bounded_printf(*args)


@pytest.mark.asyncio
async def test_a_table_filter_cannot_allocate_gigabytes(hostile_site):
    response = await hostile_site.client.get("/badia/events.json", params={"_where": "length(randomblob(999999999))>0"})
    assert response.status_code == 400 and "too big" in response.text, response.text[:300]
    pattern = await hostile_site.client.get("/badia/events.json", params={"summary__contains": "%a" * 600})
    assert pattern.status_code == 400 and "LIKE or GLOB pattern too complex" in pattern.text, pattern.text[:300]


@pytest.mark.asyncio
async def test_the_database_reads_whole_under_the_limits(hostile_site):
    """The limits refuse nothing the database holds: every value of every table reads back."""
    from sqlite_utils.db import quote_identifier as quote

    db = hostile_site.get_database("badia")
    for table in await db.table_names():
        lengths = ", ".join(f"length(cast({quote(c)} as blob))" for c in await db.table_columns(table))
        longest = (await db.execute(f"select max(max(0, 0, {lengths})) from {quote(table)}")).rows[0][0]
        assert (longest or 0) < 256 * 1024, table


# --- 7. fix-offsets rewrites many rows in one pass ------------------------------------------------------

def test_fix_offsets_repairs_many_rows_and_only_their_offsets(sandbox: Path):
    """Every evidence span's offsets shifted by one: those whose text occurs once in the seed are
    repaired, the others left for a person, and no other cell changes."""
    import csv

    path = sandbox / "data" / "event_sources.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    head = rows[0]
    start, end, article, evidence = (head.index(c) for c in ("char_start", "char_end", "article_id", "evidence"))
    shifted = [head] + [[str(int(c) + 1) if i in (start, end) else c for i, c in enumerate(r)] for r in rows[1:]]
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(shifted)
    seeds = {a: (sandbox / "seeds" / f"{a}.txt").read_text(encoding="utf-8") for a in {r[article] for r in rows[1:]}}

    def once(text: str, seed: str) -> bool:
        first = seed.find(text)
        return first >= 0 and seed.find(text, first + 1) < 0

    unique = sum(1 for r in rows[1:] if once(r[evidence], seeds[r[article]]))
    result = run_badia("fix-offsets", "--write", root=sandbox)
    output = result.stdout + result.stderr
    assert "Traceback" not in output and f"rewrote the offsets of {unique} row(s)" in output, output
    with path.open(encoding="utf-8", newline="") as fh:
        repaired = list(csv.reader(fh))
    assert sum(1 for a, b in zip(repaired[1:], rows[1:]) if a == b) == unique > 0
    assert all(a[:start] + a[end + 1:] == b[:start] + b[end + 1:] for a, b in zip(repaired, rows))


# --- 8. concurrent writers and what killed ones leave ---------------------------------------------------

def article_file(folder: Path, name: str, words: str) -> Path:
    path = folder / name
    path.write_text(f"DAMASCUS - {words}, the report in our own words said on Monday.\n", encoding="utf-8")
    return path


def test_two_add_article_at_once_lose_nothing(sandbox: Path, tmp_path: Path):
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    procs = [subprocess.Popen([sys.executable, "-m", "badia", "--root", str(sandbox), "add-article",
                               str(article_file(tmp_path, f"a{i}.txt", f"Text number {i} about a convoy")),
                               "--publisher", "Test Wire", "--title", f"Convoy {i}", "--date", f"2017-06-0{i + 1}"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for i in range(3)]
    results = [(p.wait(timeout=120), p.stdout.read() + p.stderr.read()) for p in procs]
    for code, output in results:
        assert code in (0, 2) and "Traceback" not in output and "bug in badia" not in output, output
        if code == 2:
            assert "is writing this dataset" in output, output
    _, rows, _ = read_table_rows(sandbox, "articles")
    titles = [r["title"] for r in rows if r["publisher"] == "Test Wire"]
    assert len(titles) == sum(1 for code, _ in results if code == 0) and len(set(titles)) == len(titles)
    assert len(list((sandbox / "seeds").glob("*.txt"))) == len(rows)


def read_table_rows(root: Path, name: str):
    from conftest import read_table

    return read_table(root, name)


def test_a_second_writer_is_refused_while_the_first_holds_the_lock(sandbox: Path):
    from badia.lock import writer

    before = tree(sandbox.parent)
    with writer(sandbox, "build"):
        result = run_badia("fix-offsets", "--write", root=sandbox)
    refused(result, 2, ".badia.lock", "`badia build` (process", "is writing this dataset, so `badia fix-offsets` did not start")
    assert tree(sandbox.parent) == before
    assert run_badia("validate", root=sandbox).returncode == 0  # a reader never waits


def test_the_next_writer_clears_what_a_killed_one_left(sandbox: Path):
    leftovers = [sandbox / "data" / ".events.csv.k2j_9x0a", sandbox / "data" / ".quotes.csv.ab12cd34.tmp", sandbox / "seeds" / ".005_x.txt.zz11yy22"]
    for path in leftovers:
        path.write_bytes(b"half-written" * 1000)
    (sandbox / "drafts" / ".000_c12d51fecf8ebae5.q1w2e3r4").mkdir(parents=True)
    kept = [sandbox / "data" / ".gitkeep", sandbox / "data" / ".my-notes.backup1", sandbox / "drafts" / "000_c12d51fecf8ebae5.notes"]
    for path in kept:
        path.write_text("mine\n")
    result = run_badia("fix-offsets", "--write", root=sandbox)
    assert "Traceback" not in result.stderr and "left by an interrupted command" in result.stderr, result.stderr
    assert not any(p.exists() for p in leftovers) and not (sandbox / "drafts" / ".000_c12d51fecf8ebae5.q1w2e3r4").exists()
    assert all(p.read_text() == "mine\n" for p in kept)


def test_a_killed_release_leaves_no_copy_of_the_texts_outside_the_dataset(sandbox: Path):
    stale = sandbox / "releases" / ".staging-abcd1234"
    stale.mkdir(parents=True)
    (stale / "badia.db").write_bytes(b"a copy with the texts")
    result = run_badia("release", root=sandbox)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not stale.exists() and not list((sandbox / "releases").glob(".staging-*"))


# --- 9. unbounded or odd inputs --------------------------------------------------------------------------

def add_article(root: Path, path: Path, title: str = "A title", timeout: int = 60):
    return run_badia("add-article", str(path), "--publisher", "Test Wire", "--title", title, "--date", "2017-06-01", root=root, timeout=timeout)


def test_add_article_refuses_a_link(sandbox: Path, tmp_path: Path):
    link = tmp_path / "article.txt"
    link.symlink_to("/etc/passwd")
    before = tree(sandbox.parent)
    refused(add_article(sandbox, link), 1, str(link), "is a symbolic link")
    assert tree(sandbox.parent) == before


def test_add_article_refuses_a_fifo_without_hanging(sandbox: Path, tmp_path: Path):
    fifo = tmp_path / "article.txt"
    os.mkfifo(fifo)
    before = tree(sandbox.parent)
    refused(add_article(sandbox, fifo, timeout=30), 1, str(fifo), "is not a regular file")
    assert tree(sandbox.parent) == before


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_add_article_refuses_a_device(sandbox: Path, device: str):
    before = tree(sandbox.parent)
    refused(add_article(sandbox, Path(device), timeout=30), 1, device, "is not a regular file")
    assert tree(sandbox.parent) == before


def test_add_article_refuses_a_huge_text(sandbox: Path, tmp_path: Path):
    from badia.dataset.corpus import MAX_ARTICLE_BYTES

    big = tmp_path / "big.txt"
    big.write_text("word " * (MAX_ARTICLE_BYTES // 5 + 1), encoding="utf-8")
    before = tree(sandbox.parent)
    refused(add_article(sandbox, big), 1, str(big), "is over the limit of")
    assert tree(sandbox.parent) == before


@pytest.mark.parametrize("title", ["Bad\x1b[31m title", "Line\nbreak", "Tab\there", "Evil \u202e txt.exe"])
def test_add_article_refuses_control_characters(sandbox: Path, tmp_path: Path, title: str):
    before = tree(sandbox.parent)
    refused(add_article(sandbox, article_file(tmp_path, "ok.txt", "A plain text"), title=title), 1, "--title", "holds a control character")
    assert tree(sandbox.parent) == before


def test_validate_caps_the_problems_of_a_garbage_file(sandbox: Path):
    from badia.validate.checks import MAX_PROBLEMS_PER_FILE

    path = sandbox / "data" / "events.csv"
    header = path.read_text().splitlines()[0]
    width = header.count(",") + 1
    path.write_text(header + "\n" + "".join(",".join(["x=1"] * width) + "\n" for _ in range(5000)))
    result = run_badia("validate", root=sandbox)
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    listed = [line for line in result.stdout.splitlines() if line.startswith("data/events.csv:")]
    assert len(listed) == MAX_PROBLEMS_PER_FILE + 1, len(listed)
    assert "more problem(s) in this file are not listed" in listed[-1]


@pytest.mark.parametrize("text", ["[" * 200_000, '{"a":' * 200_000])
def test_deeply_nested_json_is_refused(sandbox: Path, text: str):
    (sandbox / "datapackage.json").write_text(text)
    refused(run_badia("validate", root=sandbox), 2, "datapackage.json")


def test_a_yaml_alias_bomb_in_the_citation_is_refused(sandbox: Path):
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n"
        for i in range(8))
    (sandbox / "CITATION.cff").write_text((sandbox / "CITATION.cff").read_text() + bomb)
    before = tree(sandbox.parent)
    refused(run_badia("release", root=sandbox), 1, "CITATION.cff:", "uses a YAML anchor or alias")
    assert tree(sandbox.parent, skip=("dataset/releases",)) == before


def test_a_linked_licence_is_not_released(sandbox: Path, tmp_path: Path):
    secret = tmp_path / "secret"
    secret.write_text("a private key\n")
    (sandbox / "LICENSE").unlink()
    (sandbox / "LICENSE").symlink_to(secret)
    refused(run_badia("release", root=sandbox), 1, "LICENSE: is a symbolic link")
    assert not list((sandbox / "releases").glob("*.zip"))


# --- 10. a release never carries an article whole ----------------------------------------------------------

def test_a_span_covering_the_whole_article_is_refused(sandbox: Path):
    from badia.dataset.corpus import read_seed

    _, rows, lines = read_table_rows(sandbox, "event_sources")
    _, articles, _ = read_table_rows(sandbox, "articles")
    seed = next(a for a in articles if a["article_id"] == rows[0]["article_id"])
    text = read_seed(sandbox / seed["seed_path"])
    edit_cell(sandbox / "data" / "event_sources.csv", 0, "char_start", "0")
    edit_cell(sandbox / "data" / "event_sources.csv", 0, "char_end", str(len(text)))
    edit_cell(sandbox / "data" / "event_sources.csv", 0, "evidence", text)
    result = run_badia("validate", root=sandbox)
    assert result.returncode == 1
    assert f"data/event_sources.csv:{lines[0]}:" in result.stdout and f"evidence is {len(text):,} characters long, over the limit of 600" in result.stdout
    refused(run_badia("release", root=sandbox), 1, "evidence is")
    assert not list((sandbox / "releases").glob("*.zip"))


def test_release_refuses_spans_that_rebuild_most_of_an_article(sandbox: Path):
    """Exclusion spans of 500 characters laid end to end over 80% of article 000: refused, naming it."""
    import pandas as pd

    from badia.dataset.corpus import read_seed
    from badia.dataset.package import load_package
    from badia.dataset.tables import read_tables
    from badia.publish.release import MAX_ARTICLE_SHARE, ReleaseRefused, article_shares, check_shares

    package = load_package(sandbox)
    tables = read_tables(package, [])
    check_shares(package, tables)  # the committed data passes
    assert max(article_shares(package, tables).values()) <= MAX_ARTICLE_SHARE
    text = read_seed(sandbox / "seeds" / "000_c12d51fecf8ebae5.txt")
    covered = int(len(text) * 0.8)
    extra = pd.DataFrame([{"article_id": "000_c12d51fecf8ebae5", "char_start": s, "char_end": min(s + 500, covered), "text": text[s:min(s + 500, covered)], "reason": "test"}
                          for s in range(0, covered, 500)])
    frame = tables["quote_exclusions"].frame
    tables["quote_exclusions"].frame = pd.concat([frame, extra.astype(frame.dtypes.to_dict())], ignore_index=True)
    assert article_shares(package, tables)["000_c12d51fecf8ebae5"] >= covered / len(text)
    with pytest.raises(ReleaseRefused) as refusal:
        check_shares(package, tables)
    assert [p.value for p in refusal.value.problems] == ["000_c12d51fecf8ebae5"]
    assert "over the 75% a release may carry" in refusal.value.problems[0].message


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions, so a read-only build is no obstacle to it")
def test_a_read_only_build_is_replaced_and_leaves_nothing_behind(sandbox: Path):
    assert run_badia("build", root=sandbox).returncode == 0
    for path in sorted((sandbox / "build").rglob("*"), reverse=True) + [sandbox / "build"]:
        path.chmod(path.stat().st_mode & ~0o222)
    for _ in range(2):
        result = run_badia("build", root=sandbox)
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stdout + result.stderr
        assert not list(sandbox.glob(".build.*"))
