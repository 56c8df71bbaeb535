"""Release: a citable, verifiable archive of one version of the dataset, and the generated docs.

`badia release` builds the current data afresh and writes releases/badia-<version>.zip
(plus badia-<version>.zip.sha256). The archive holds one folder, badia-<version>/, with the CSV
and Parquet tables, the SQLite database, a datapackage.json for those files, the data
dictionary, the figures, this version's CHANGELOG entry, LICENSE, CITATION.cff, a README and
SHA256SUMS (check it with `sha256sum -c SHA256SUMS` inside the folder). A release after the first
also carries its changes against the previous release (the CHANGELOG's next older version):
CHANGES.csv and changes.json, the keyed difference of `badia diff`, and its entry must state the
diff's counts (the release refuses an entry that does not, and an id dropped without a record in
retired_rows). The previous release is read from its archive beside the new one, else from the
git tag v<version>, else from --previous (a folder, an archive or a git revision).

The same commit gives the same bytes: files in sorted order, every timestamp set to the release
date of the CHANGELOG entry, fixed permissions, and builds that are themselves deterministic.
Decision: the full texts of the articles are not in a release (they are their publishers'); the
database's article_texts table is dropped and the file rebuilt so that no page keeps them.

`badia docs` writes docs/data-dictionary.md and docs/figures/, the copies the README shows.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import shutil
import sqlite3
import tempfile
import zipfile
from pathlib import Path

from badia.publish.build import BuildRefused, build
from badia.publish.diff import DiffRefused, diff, format_changelog, format_csv, format_json, read_folder, read_side
from badia.publish.dictionary import data_dictionary
from badia.publish.figures import write_figures
from badia.dataset.package import Package, inside, load_package
from badia.files import atomic_copy, atomic_write
from badia.problems import Problem, Refused
from badia.site.views import TEXTS_TABLE
from badia.dataset.tables import read_tables
from badia.validate.checks import validate

SEMVER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?")
ENTRY_HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\] - (?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[ \t]*$", re.M)
ROOT_FILES = ("LICENSE", "CITATION.cff")
CHUNK = 1 << 20
RELEASES = "releases"  # at the dataset's root, beside build/ and never inside it
STAGING_PREFIX = ".staging-"


class ReleaseRefused(Refused):
    """The release's version, changelog or citation are not in step, or the version exists."""


# --- what a release needs before it is built ---------------------------------------------------

def changelog_entry(text: str, version: str) -> tuple[str, str] | None:
    """This version's entry of CHANGELOG.md (heading included) and its date, or None."""
    headings = list(ENTRY_HEADING.finditer(text))
    for i, heading in enumerate(headings):
        if heading["version"] == version:
            end = headings[i + 1].start() if i + 1 < len(headings) else len(text)
            return text[heading.start():end].strip() + "\n", heading["date"]
    return None


def citation_field(text: str, key: str) -> str | None:
    """A top-level scalar of CITATION.cff (YAML), unquoted."""
    value = read_citation(text).get(key)
    return None if value is None else str(value)


def read_citation(text: str) -> dict:
    """CITATION.cff as a mapping; ReleaseRefused, located, if it is not YAML, not a mapping, or uses
    anchors and aliases (a few lines of aliases expand to gigabytes: CITATION.cff needs none)."""
    import yaml

    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, (yaml.AliasToken, yaml.AnchorToken)):
                raise ReleaseRefused([Problem("CITATION.cff", "uses a YAML anchor or alias", "write every value out in full",
                                              line=token.start_mark.line + 1, col=token.start_mark.column + 1, code="release.citation")])
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise ReleaseRefused([Problem("CITATION.cff", f"not valid YAML: {getattr(e, 'problem', None) or e}", "fix the YAML at this place",
                                      line=mark.line + 1 if mark else None, col=mark.column + 1 if mark else None, code="release.citation")])
    except RecursionError:
        raise ReleaseRefused([Problem("CITATION.cff", "YAML nested too deeply to read", "restore the file from git", code="release.citation")])
    if not isinstance(data, dict):
        raise ReleaseRefused([Problem("CITATION.cff", "the top level is not a mapping of keys to values", "restore the file from git", line=1, code="release.citation")])
    return data


def previous_version(text: str, version: str) -> str | None:
    """The version of the CHANGELOG entry just older than `version`'s (entries run newest first)."""
    versions = [h["version"] for h in ENTRY_HEADING.finditer(text)]
    return versions[versions.index(version) + 1] if version in versions and versions.index(version) + 1 < len(versions) else None


def previous_side(root: Path, out: Path, version: str | None, given: str | None):
    """The previous release as a diff side: --previous, else its archive in `out`, else git tag v<version>."""
    if version is None and given is None:
        return None
    candidates = [given] if given else [str(out / f"badia-{version}.zip"), f"v{version}"]
    problems = []
    for spec in candidates:
        if spec == str(out / f"badia-{version}.zip") and not Path(spec).is_file():
            continue
        try:
            side = read_side(spec, root)
        except DiffRefused as refusal:
            problems = refusal.problems
            continue
        if version is not None and side.version != version:
            raise ReleaseRefused([Problem(spec, f"is version {side.version or '?'}, but the CHANGELOG's previous release is {version}",
                                          f"name the release {version} (its archive, folder or git revision)", code="release.previous")])
        return side
    raise ReleaseRefused([Problem("CHANGELOG.md", f"the previous release {version} is needed to write this release's changes, but neither "
                                  f"{out / f'badia-{version}.zip'} nor the git tag v{version} could be read" + (f" ({problems[0].message})" if problems else ""),
                                  f"put badia-{version}.zip in {out} (rebuild it from its commit with `badia release`), or pass --previous "
                                  "with its archive, an extracted release or its git revision", code="release.previous")])


def check_changes(entry: str, version: str, result: dict) -> None:
    """The entry states the diff's counts, and no id of the previous release vanished unrecorded."""
    problems = []
    table = format_changelog(result)
    if table.strip() not in entry:
        problems.append(Problem("CHANGELOG.md", f"the entry of {version} does not state its changes' counts as `badia diff` finds them",
                                f"paste the output of `badia diff {result['old']['version']} . --format changelog` (with the previous release's archive, folder or "
                                "git revision) into the entry", code="release.changelog-counts"))
    for name, t in result["tables"].items():
        for r in t["removed"]:
            if r.get("retired") is False:
                problems.append(Problem(f"data/{name}.csv", f"'{r['key']}' of release {result['old']['version']} is gone without a record in data/retired_rows.csv",
                                        "ids are stable: add a row (table, id, retired_in, replaced_by, reason) to data/retired_rows.csv", code="release.unrecorded-removal"))
    if problems:
        raise ReleaseRefused(problems)


def check_release(root: Path, package: Package) -> tuple[str, str]:
    """The CHANGELOG entry and release date of the package's version; ReleaseRefused with every
    reason if the version is not semver or the changelog, citation or licence do not match it."""
    version, problems = package.version, []
    if not SEMVER.fullmatch(version):
        problems.append(Problem("datapackage.json", f"version '{version}' is not a semantic version", "write MAJOR.MINOR.PATCH, e.g. 0.2.0", column="version", code="release.version"))
    entry = None
    changelog = root / "CHANGELOG.md"
    if not changelog.is_file():
        problems.append(Problem("CHANGELOG.md", "file not found", "add a CHANGELOG.md with an entry '## [VERSION] - YYYY-MM-DD'", code="release.changelog"))
    else:
        entry = changelog_entry(changelog.read_text(encoding="utf-8"), version)
        if entry is None:
            problems.append(Problem("CHANGELOG.md", f"no entry for version {version}", f"add a section headed '## [{version}] - YYYY-MM-DD' that says what changed", code="release.changelog"))
    for name in ROOT_FILES:
        if (root / name).is_symlink():  # a link would put whatever it points at into the archive
            problems.append(Problem(name, "is a symbolic link", f"restore {name} from git as a plain file", code="release.missing"))
        elif not (root / name).is_file():
            problems.append(Problem(name, "file not found", f"restore {name} from git", code="release.missing"))
    if (root / "CITATION.cff").is_file():
        text = (root / "CITATION.cff").read_text(encoding="utf-8")
        cited = citation_field(text, "version")
        if cited != version:
            problems.append(Problem("CITATION.cff", f"version is '{cited}' but datapackage.json says '{version}'", "make them the same", column="version", code="release.citation"))
        released = citation_field(text, "date-released")
        if entry and released != entry[1]:
            problems.append(Problem("CITATION.cff", f"date-released is '{released}' but the CHANGELOG entry of {version} is dated {entry[1]}", "make them the same", column="date-released", code="release.citation"))
    if problems:
        raise ReleaseRefused(problems)
    return entry


# --- the release -------------------------------------------------------------------------------

def release(root: Path | str, out: Path | None = None, previous: str | None = None) -> Path:
    """Build the dataset at `root` afresh and write its release archive to `out` (default
    ROOT/releases), with its changes against the previous release (see the module's note).

    Releases live outside build/ (which every build replaces whole). A version's digest, once
    written to badia-<version>.zip.sha256 (committed with the version), is the version: a release
    whose bytes differ from it is refused even when the archive itself has been deleted."""
    root = Path(root)
    out = Path(out) if out else root / RELEASES
    package = load_package(root)
    entry, released = check_release(root, package)
    older = previous_side(root, out, previous_version((root / "CHANGELOG.md").read_text(encoding="utf-8"), package.version), previous)
    name = f"badia-{package.version}"
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(f"{STAGING_PREFIX}*"):  # left by a killed release: they hold the article texts
        shutil.rmtree(stale, ignore_errors=True)
    # Staged beside the releases, not in /tmp: a killed release leaves nothing readable elsewhere.
    tmp = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    try:
        built = build(root, tmp / "build")
        folder = tmp / name
        stage(root, package, built, folder, entry, older)
        staged_zip = tmp / f"{name}.zip"
        write_zip(folder, staged_zip, tuple(int(p) for p in released.split("-")) + (0, 0, 0))
        archive, record = out / f"{name}.zip", out / f"{name}.zip.sha256"
        digest = sha256_file(staged_zip)
        recorded = record.read_text(encoding="utf-8").split(maxsplit=1)[0] if record.is_file() and record.stat().st_size else None
        if (archive.exists() and sha256_file(archive) != digest) or (recorded is not None and recorded != digest):
            raise ReleaseRefused([Problem(str(record if recorded is not None and recorded != digest else archive),
                                          f"version {package.version} was already released with other contents (sha256 {recorded or sha256_file(archive)}; this build: {digest})",
                                          "a published version never changes: raise the version in datapackage.json, CHANGELOG.md and "
                                          "CITATION.cff (or delete that archive and its .sha256 if it was never published)", code="release.exists")])
        atomic_copy(staged_zip, archive)
        atomic_write(record, f"{digest}  {name}.zip\n".encode())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return archive


# The largest share of an article's characters that a release may carry in its spans (quotes,
# evidence, claims, mentions, exclusions together): see LICENSE for why. Measured on the seeds of
# 0.1.0: 59.9-69.7%.
MAX_ARTICLE_SHARE = 0.75


def article_shares(package: Package, tables: dict) -> dict[str, float]:
    """For each article, the share of its characters that its spans in the tables cover together:
    how much of it could be rebuilt from a release."""
    import numpy as np

    from badia.dataset.corpus import read_seed
    from badia.validate.checks import span_text_column

    lengths = {aid: len(read_seed(inside(package.root, seed))) for aid, seed in zip(tables["articles"].frame["article_id"], tables["articles"].frame["seed_path"])}
    marks = {aid: np.zeros(n + 1, dtype=np.int64) for aid, n in lengths.items()}
    for table in tables.values():
        if span_text_column(table) is None:
            continue
        frame = table.frame
        for aid, start, end in zip(frame["article_id"], frame["char_start"], frame["char_end"]):
            if aid in marks and 0 <= start < end <= lengths[aid]:
                marks[aid][start] += 1
                marks[aid][end] -= 1
    return {aid: float((np.cumsum(m[:-1]) > 0).sum()) / lengths[aid] if lengths[aid] else 0.0 for aid, m in marks.items()}


def check_shares(package: Package, tables: dict) -> None:
    """ReleaseRefused, per article, when its spans would let a reader rebuild more than MAX_ARTICLE_SHARE of it."""
    over = {aid: share for aid, share in article_shares(package, tables).items() if share > MAX_ARTICLE_SHARE}
    if over:
        raise ReleaseRefused([Problem("data/articles.csv", f"the spans of article {aid} cover {share:.1%} of its text, over the {MAX_ARTICLE_SHARE:.0%} a release may carry",
                                      "shorten or drop spans of this article (evidence and quotes of only the words each row is about); see LICENSE",
                                      value=aid, code="release.share") for aid, share in sorted(over.items())])


def stage(root: Path, package: Package, built: Path, folder: Path, entry: str, older=None) -> None:
    """Lay out the release folder: the built tables, the database without article texts, the docs,
    and the changes against the previous release `older` (a diff side) when there is one."""
    folder.mkdir()
    for sub in ("csv", "parquet", "figures"):
        shutil.copytree(built / sub, folder / sub)
    shutil.copyfile(built / "badia.db", folder / "badia.db")
    strip_texts(folder / "badia.db")
    desc = release_datapackage(json.loads((built / "datapackage.json").read_text(encoding="utf-8")))
    (folder / "datapackage.json").write_text(json.dumps(desc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tables = read_tables(package, [])
    check_shares(package, tables)
    (folder / "data-dictionary.md").write_text(data_dictionary(package, tables), encoding="utf-8")
    (folder / "CHANGELOG.md").write_text(entry, encoding="utf-8")
    for name in ROOT_FILES:
        shutil.copyfile(root / name, folder / name)
    (folder / "README.md").write_text(readme(package), encoding="utf-8")
    if older is not None:
        older.label = f"badia-{older.version}"
        result = diff(older, read_folder(folder, folder.name))
        check_changes(entry, package.version, result)
        (folder / "CHANGES.csv").write_text(format_csv(result), encoding="utf-8")
        (folder / "changes.json").write_text(format_json(result), encoding="utf-8")
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    (folder / "SHA256SUMS").write_text("".join(f"{sha256_file(folder / f)}  {f}\n" for f in files), encoding="utf-8")


def strip_texts(db: Path) -> None:
    """Drop the article texts and rebuild the file (VACUUM), so that no free page keeps them."""
    conn = sqlite3.connect(db)
    try:
        conn.execute(f"DROP TABLE IF EXISTS [{TEXTS_TABLE}]")
        conn.commit()
        conn.execute("VACUUM")
    finally:
        conn.close()


def release_datapackage(built: dict) -> dict:
    """The built package's descriptor plus the SQLite database as a file resource."""
    desc = copy.deepcopy(built)
    desc["resources"].append({
        "name": "badia_sqlite", "path": "badia.db", "format": "sqlite", "mediatype": "application/vnd.sqlite3",
        "description": "Every table in one SQLite database, with primary and foreign keys, full-text search "
                       "(quotes_fts, events_fts, claims_fts), the site's tables events_flat, quotes_with_speakers "
                       "and events_map (made from the others at build time) and the view event_reports. Open it with Datasette, sqlite3 or any SQLite client.",
    })
    return desc


def readme(package: Package) -> str:
    desc = package.descriptor
    licence = (desc.get("licenses") or [{}])[0]
    return f"""# {desc.get('title', 'badia')}, version {package.version}

{desc.get('description', '')}

- `csv/` and `parquet/`: the tables (`datapackage.json` describes every field; `data-dictionary.md` explains them)
- `badia.db`: the same tables in SQLite, with full-text search and an ACLED-style table (`events_flat`)
- `figures/`: a timeline of events per day by side, and a map of the places
- `CHANGELOG.md`: what changed in this version; `CITATION.cff`: how to cite it
- `CHANGES.csv` and `changes.json` (after the first release): every row added, removed (with what
  replaces it and why) and changed (cell by cell) since the previous release, as `badia diff` gives it

Licence: {licence.get('name', '')} ({licence.get('path', '')}) for the annotations; see `LICENSE`.
The articles themselves are their publishers' and are not in this archive: every quote and
evidence span gives its article, its character offsets and the article's SHA-256, so that
anyone holding the article can check it.

Check the files: `sha256sum -c SHA256SUMS` in this folder.
"""


def write_zip(folder: Path, path: Path, date_time: tuple) -> None:
    """Zip `folder` (as one top folder of the same name) the same way every time."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    with zipfile.ZipFile(path, "w") as zf:
        for file in files:
            info = zipfile.ZipInfo(f"{folder.name}/{file.relative_to(folder).as_posix()}", date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever machine builds it
            info.external_attr = 0o100644 << 16
            with file.open("rb") as src, zf.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, CHUNK)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- the docs the README shows -----------------------------------------------------------------

def write_docs(root: Path | str, out: Path | None = None) -> Path:
    """Write the data dictionary and the figures from the data (default ROOT/docs); refuses invalid data."""
    root = Path(root)
    out = Path(out) if out else root / "docs"
    problems = validate(root)
    if problems:
        raise BuildRefused(problems)
    package = load_package(root)
    tables = read_tables(package, [])
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "data-dictionary.md", data_dictionary(package, tables).encode("utf-8"))
    with tempfile.TemporaryDirectory(prefix="badia-figures-") as tmp:
        write_figures(tables, Path(tmp))
        (out / "figures").mkdir(exist_ok=True)
        for figure in sorted(Path(tmp).iterdir()):
            atomic_copy(figure, out / "figures" / figure.name)
    return out
