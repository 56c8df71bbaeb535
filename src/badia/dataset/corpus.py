"""The corpus: seed article texts, stored byte-identical and addressed by character offsets."""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import os
import re
import stat
from datetime import date
from pathlib import Path

from badia.files import atomic_write
from badia.problems import Problem, Refused


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_seed(data: bytes) -> str:
    """The text that offsets count in: the file's UTF-8 decoded as is (no newline translation)."""
    return data.decode("utf-8")


def read_seed(path: Path) -> str:
    return decode_seed(path.read_bytes())


def find_all(text: str, needle: str) -> list[int]:
    """Every offset where `needle` occurs in `text` (overlapping occurrences included)."""
    found, start = [], text.find(needle)
    while start >= 0 and needle:
        found.append(start)
        start = text.find(needle, start + 1)
    return found


def csv_appended(path: Path, rows: list[list[str]]) -> bytes:
    """A CSV file's bytes with rows appended: the bytes already in it are kept as they are."""
    old = path.read_bytes() if path.exists() else b""
    if old and not old.endswith(b"\n"):
        old += b"\n"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return old + out.getvalue().encode("utf-8")


def append_csv_rows(path: Path, rows: list[list[str]]) -> None:
    """Append rows to a CSV file atomically."""
    atomic_write(path, csv_appended(path, rows))


class ArticleRefused(Refused):
    """`add-article` will not register this file; carries the problems that say why."""


ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]{0,79}")
# The longest article text accepted: 200 KiB is several times the longest news article, and the
# site bounds every served value to 256 KiB (site.serve.SQLITE_LIMITS), the article text included.
MAX_ARTICLE_BYTES = 200 * 1024
# C0 and C1 control characters, and the Unicode direction overrides that make text read otherwise
# than it is stored: none belongs in a one-line field such as a title.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def read_article_file(source: Path) -> bytes:
    """The bytes of a regular file (not a link, a FIFO or a device), at most MAX_ARTICLE_BYTES;
    ArticleRefused otherwise. Opened without following a link and without blocking on a FIFO."""
    where = str(source)
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        why = "is a symbolic link: give the article's file itself" if e.errno == errno.ELOOP else f"cannot read the file: {e.strerror}"
        raise ArticleRefused([Problem(where, why, "give the path of the article's text file", code="article.unreadable")])
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ArticleRefused([Problem(where, "is not a regular file (a folder, a pipe or a device)", "give the path of the article's text file", code="article.unreadable")])
        data = fh.read(MAX_ARTICLE_BYTES + 1)
    if len(data) > MAX_ARTICLE_BYTES:
        raise ArticleRefused([Problem(where, f"is over the limit of {MAX_ARTICLE_BYTES:,} bytes for an article",
                                      "give the text of one article (a news article is a few thousand words)", code="article.too-large")])
    return data


def register_article(root: Path, source: Path, publisher: str, title: str, published: str, author: str = "", dateline: str = "",
                     url: str = "", language: str = "en", article_id: str | None = None, date_inferred: bool = False,
                     date_note: str = "") -> dict[str, str]:
    """Copy an article's text byte for byte into seeds/ and append its row to data/articles.csv.
    Refuses a file that is not UTF-8, a text already registered (same sha256), a taken id."""
    root = Path(root)
    articles_path = root / "data" / "articles.csv"
    where = str(source)
    data = read_article_file(Path(source))
    problems = []
    try:
        text = decode_seed(data)
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        problems.append(Problem(where, f"not valid UTF-8: byte 0x{data[e.start]:02x} at byte {e.start} cannot be decoded", "save the text as UTF-8 (iconv -f WINDOWS-1252 -t UTF-8 in > out, or your editor's 'UTF-8' option)", line=line, code="article.encoding"))
        text = ""
    if not problems and not text.strip():
        problems.append(Problem(where, "the file is empty", "give the article's text", code="article.empty"))
    with articles_path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        existing = list(reader)
        columns = reader.fieldnames or []
    digest = sha256_bytes(data)
    same = next((r for r in existing if r.get("sha256") == digest), None)
    if same:
        problems.append(Problem(where, f"this text is already registered as article {same['article_id']} ({same['seed_path']})", "nothing to do: the article is in the dataset; a new version of an article must differ in its bytes", code="article.duplicate"))
    if article_id is None:
        numbers = [int(m.group(0)) for r in existing if (m := re.match(r"\d+", r["article_id"]))]
        article_id = f"{max(numbers, default=-1) + 1:03d}_{digest[:16]}"
    if not ID_PATTERN.fullmatch(article_id):
        problems.append(Problem(where, f"article id {article_id!r} is not allowed", "use lower-case letters, digits, '_', '.', '-' (at most 80 characters), starting with a letter or digit", code="article.id"))
    elif any(r["article_id"] == article_id for r in existing):
        problems.append(Problem("data/articles.csv", f"article id {article_id!r} already exists", "choose another --id", code="article.id-taken"))
    seed_rel = f"seeds/{article_id}.txt"
    if (root / seed_rel).exists() and not problems:
        problems.append(Problem(seed_rel, "a seed file with this name already exists", "choose another --id; seeds are never overwritten", code="article.seed-exists"))
    for label, value in (("--publisher", publisher), ("--title", title), ("--author", author), ("--dateline", dateline), ("--date-note", date_note)):
        if CONTROL.search(value or ""):
            problems.append(Problem(where, f"{label} {value!r} holds a control character (at {CONTROL.search(value).start() + 1})",
                                    "type the text on one line, without control or direction-override characters", code="article.field"))
    for label, value, ok, hint in (
        ("--date", published, _is_date(published), "write the publication date as YYYY-MM-DD"),
        ("--url", url, not url or re.fullmatch(r"https?://\S+", url), "give the full address (http:// or https://), or leave it out"),
        ("--language", language, re.fullmatch(r"[a-z]{2}", language or ""), "use an ISO 639-1 code such as en or ar"),
        ("--publisher", publisher, publisher.strip(), "name the outlet that published the article"),
        ("--title", title, title.strip(), "give the headline exactly as the text gives it"),
    ):
        if not ok:
            problems.append(Problem(where, f"{label} {value!r} is not valid", hint, code="article.field"))
    if problems:
        raise ArticleRefused(problems)
    row = {"article_id": article_id, "seed_path": seed_rel, "sha256": digest, "publisher": publisher.strip(), "title": title.strip(),
           "author": author, "dateline": dateline, "published_date": published, "published_date_inferred": "true" if date_inferred else "false",
           "published_date_note": date_note, "url": url, "language": language}
    seed_path = root / seed_rel
    seed_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(seed_path, data)
    try:
        append_csv_rows(articles_path, [[row.get(c, "") for c in columns]])
    except BaseException:
        seed_path.unlink()
        raise
    return row


def _is_date(value: str) -> bool:
    try:
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)) and date.fromisoformat(value) is not None
    except ValueError:
        return False
