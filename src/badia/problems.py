"""Problems found in a dataset, and the ways of printing them for people and for CI."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the dataset, located as precisely as the input allows.

    `line` is the physical line of the file (1 = the CSV header), `column` the field name and
    `col` its 1-based position; either may be None when the problem is not in one cell.
    """

    path: str
    message: str
    hint: str = ""
    line: int | None = None
    column: str | None = None
    col: int | None = None
    value: str | None = None
    code: str = "invalid"

    def location(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        return where

    def sentence(self) -> str:
        """The message with its column, value and hint, in one line of plain words."""
        text = self.message
        if self.column:
            text = f"column '{self.column}': {text}"
        if self.value is not None:
            text += f" (value: {short(self.value)})"
        if self.hint:
            text += f". Fix: {self.hint}"
        return text


class Refused(Exception):
    """A command would not do what was asked; carries the located problems that say why.

    The CLI prints the problems and exits with `exit_code` (1: the input is invalid, 2: unusable)."""

    exit_code = 1

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.sentence() for p in problems))
        self.problems = problems


def short(value: str, width: int = 80) -> str:
    value = repr(str(value))
    return value if len(value) <= width else value[: width - 4] + "...'"


def format_text(problems: list[Problem]) -> str:
    if not problems:
        return "valid: no problems found"
    lines = [f"{p.location()}: {p.sentence()}" for p in problems]
    lines.append(f"{len(problems)} problem(s) found")
    return "\n".join(lines)


def _escape_github(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def format_github(problems: list[Problem]) -> str:
    """GitHub Actions workflow commands: each problem becomes an annotation on the file's line."""
    out = []
    for p in problems:
        props = [f"file={_escape_github(p.path, True)}"]
        if p.line is not None:
            props.append(f"line={p.line}")
        if p.col is not None:
            props.append(f"col={p.col}")
        props.append(f"title={_escape_github(p.code, True)}")
        out.append(f"::error {','.join(props)}::{_escape_github(p.sentence())}")
    out.append(format_text(problems).splitlines()[-1])
    return "\n".join(out)


def _cell(text: str | None) -> str:
    return "" if text is None else str(text).replace("|", "\\|").replace("\n", " ")


def format_markdown(problems: list[Problem]) -> str:
    """A Markdown summary for $GITHUB_STEP_SUMMARY or a pull-request comment."""
    if not problems:
        return "### badia validate: valid\n\nNo problems found.\n"
    rows = [
        "### badia validate: {} problem(s)\n".format(len(problems)),
        "| file | line | column | value | problem | how to fix |",
        "|---|---|---|---|---|---|",
    ]
    for p in problems:
        rows.append(
            "| {} | {} | {} | {} | {} | {} |".format(
                _cell(p.path), _cell(p.line), _cell(p.column),
                _cell(short(p.value) if p.value is not None else None),
                _cell(p.message), _cell(p.hint),
            )
        )
    return "\n".join(rows) + "\n"


def format_json(problems: list[Problem]) -> str:
    return json.dumps({"valid": not problems, "problems": [asdict(p) for p in problems]}, indent=2, ensure_ascii=False, default=str)


FORMATS = {"text": format_text, "github": format_github, "markdown": format_markdown, "json": format_json}


# --- the registry: every problem code, declared once -------------------------------------------

@dataclass(frozen=True)
class ProblemCode:
    """What a problem code means, for the catalogue in CONTRIBUTING.md and for tools reading
    `--format json`: a short title, what went wrong in plain words, and the usual fix (each
    problem also carries its own, more precise hint)."""

    code: str
    title: str
    description: str
    fix: str


# To add a code: one line here; then CONTRIBUTING.md's table of codes is regenerated from it
# (tests/test_problem_codes.py says how). Grouped by the thing that is wrong.
CODES: dict[str, ProblemCode] = {c.code: c for c in [
    # the package and its schemas (exit 2: nothing else can be checked)
    ProblemCode("package.missing", "package file missing", "datapackage.json (or the dataset folder) is not there.", "restore it from git, or pass --root"),
    ProblemCode("package.encoding", "package file not UTF-8", "A JSON file of the package is not valid UTF-8.", "save it as UTF-8"),
    ProblemCode("package.json", "package file not JSON", "datapackage.json or a schema is not valid JSON, or not a JSON object.", "fix the JSON at the place named"),
    ProblemCode("package.invalid", "invalid Data Package", "datapackage.json does not follow the Data Package specification, or a resource lacks a name, path or schema.", "compare with the specification, or restore the file from git"),
    ProblemCode("package.path", "path outside the dataset", "A resource's data or schema path leaves the dataset folder.", "use a relative path under data/ or schemas/"),
    ProblemCode("schema.invalid", "invalid Table Schema", "A schema does not follow the Table Schema specification, or names a key field it does not have.", "compare with the specification, or restore the file from git"),
    ProblemCode("schema.type", "unknown field type", "A field's type is not one badia reads.", "use string, integer, number, date or boolean"),
    ProblemCode("schema.description", "field without description", "Every field is described: readers see the description in Datasette and the data dictionary.", "add a description"),
    ProblemCode("schema.pattern", "pattern not a regular expression", "A field's pattern constraint does not compile.", "correct the pattern"),
    ProblemCode("schema.foreign-key", "foreign key badia cannot check", "A foreign key names a table or field that does not exist, or has more than one column.", "name an existing table and one field of it"),
    # the CSV files, as files
    ProblemCode("csv.missing", "table file missing", "A table's CSV file is not there, or is a folder.", "restore the file, or create it with its header"),
    ProblemCode("csv.too-large", "table file too large", "A CSV file is over the size limit, so it is not read.", "split the contribution into smaller pull requests"),
    ProblemCode("csv.empty", "empty table file", "A CSV file has no header line.", "write the header the schema gives"),
    ProblemCode("csv.bom", "byte-order mark", "The file starts with the invisible bytes some editors add ('UTF-8 with BOM').", "save as plain UTF-8"),
    ProblemCode("csv.nul", "NUL byte", "The file holds a NUL byte: it is binary or corrupted.", "re-export it as plain UTF-8 CSV"),
    ProblemCode("csv.encoding", "not UTF-8", "Some bytes of the file are not valid UTF-8.", "save the file as UTF-8"),
    ProblemCode("csv.line-endings", "Windows line endings", "Lines end with CR LF or CR; the data uses LF.", "save with Unix (LF) line endings"),
    ProblemCode("csv.syntax", "CSV quoting error", "A quote is never closed, or text follows a closing quote.", "wrap values with quotes in double quotes and double the inner ones"),
    ProblemCode("csv.header", "header out of step with the schema", "The header's columns are missing, extra, repeated or in another order than the schema's fields.", "make the header the schema's field names, in order"),
    ProblemCode("csv.blank-line", "blank line", "An empty line inside a table.", "delete the line"),
    ProblemCode("csv.field-count", "wrong number of cells", "A row has more or fewer cells than the header.", "look for a missing or extra comma, or a value that needs quotes"),
    # cells against the schema
    ProblemCode("type", "wrong type", "A cell is not of its column's type (a whole number, a number, a date, true or false).", "write the value in the column's type, or leave it empty if unknown"),
    ProblemCode("constraint", "constraint broken", "A cell breaks a constraint of its column: required, allowed values, pattern, range or length.", "correct the value as the message says"),
    ProblemCode("primary-key", "duplicate key", "Two rows have the same primary key.", "give the row its own id, or delete the repeated row"),
    ProblemCode("foreign-key", "reference to nothing", "A cell refers to an id that is not in the table it points to.", "use an existing id, or add the row it refers to"),
    ProblemCode("formula-injection", "cell a spreadsheet would run", "A free-text cell starts with = + - or @.", "start the cell with a letter or digit"),
    # seeds and spans
    ProblemCode("seed.missing", "seed missing", "An article's text file is not in seeds/.", "restore the seed from git"),
    ProblemCode("seed.path", "seed path outside seeds/", "An article's seed_path leaves the dataset or is not under seeds/.", "give the path of its file under seeds/"),
    ProblemCode("seed.encoding", "seed not UTF-8", "A seed's bytes are not valid UTF-8, so no offset can be counted in it.", "restore the seed from git"),
    ProblemCode("seed.sha256", "seed changed", "A seed's SHA-256 is not the one its article row records: seeds are never edited.", "restore the seed from git"),
    ProblemCode("seed.unregistered", "seed without article", "A file in seeds/ has no row in articles.csv.", "register it with `badia add-article`, or remove it"),
    ProblemCode("span.missing", "span without offsets", "A quote or evidence row lacks its character offsets.", "give char_start and char_end (`badia fix-offsets` finds them)"),
    ProblemCode("span.range", "offsets outside the text", "A span's offsets are negative, reversed or past the end of its seed.", "correct the offsets (`badia fix-offsets`)"),
    ProblemCode("span.mismatch", "span not verbatim", "The text at a span's offsets is not the row's text.", "run `badia fix-offsets`, or copy the text exactly"),
    ProblemCode("span.ambiguous", "span found more than once", "The row's text occurs several times in its seed, so its offsets cannot be chosen for it.", "set char_start and char_end by hand"),
    # meaning across tables
    ProblemCode("acled.pair", "event type and sub-type disagree", "An event's ACLED sub-type belongs to another event type.", "use the event type of the sub-type"),
    ProblemCode("acled.one-pair", "two opponents in one event", "An event has a second actor1 or actor2: ACLED codes one actor pair per event.", "split the event and retire the old id, or make the actor an assoc actor"),
    ProblemCode("acled.inter-missing", "actor without ACLED inter code", "An actor standing as actor1/actor2 has no acled_inter, so its events have no interaction code.", "give the actor its inter code (1-8)"),
    ProblemCode("acled.battle-no-opponent", "battle without an opponent", "A Battles event has no actor2; territory taken with no opponent is a non-violent transfer.", "name the opponent, or recode as Strategic developments"),
    ProblemCode("actor.parent-kind", "parent of the wrong kind", "An actor's parent is of a kind that cannot hold it (often the two are the wrong way round).", "swap or clear the parent"),
    ProblemCode("event.statement", "statement coded as an event", "An 'Other' development whose every source is someone telling of it: statements, warnings and announcements are quotes.", "keep the words as quotes; make the statement a source of the event it reports"),
    ProblemCode("event.caption-only", "event from a photo caption", "An event whose only evidence lies on photo caption lines.", "code the event from the article's text, or retire it"),
    ProblemCode("event.overstated", "summary says more than its source", "A summary uses a word of destruction, death, injury, expulsion or rout that no evidence span supports.", "use the source's kind of word"),
    ProblemCode("date.expression-window", "date outside its words' window", "An event dated by 'this week', 'last week' or 'over the weekend' lies outside that window of its article's date.", "date the event inside the window"),
    ProblemCode("date.inferred-exact", "inferred date given as exact", "An event at date precision 1 whose every dated source says its date is inferred.", "widen the range and the precision"),
    ProblemCode("claim.count-uncoded", "counted events not coded", "An article counts events (a count claim) that are not all coded with evidence at the count's span.", "code each counted event"),
    ProblemCode("claim.conflict-unpaired", "conflict recorded on one side", "A claim's note names a conflicting claim that does not exist or does not name it back.", "record the conflict in both claims' notes"),
    ProblemCode("retired.live", "retired id in use", "An id recorded in retired_rows is in its live table again: ids are never reused.", "give the live row a new id"),
    ProblemCode("retired.replacement-missing", "replacement that does not exist", "A retired row is replaced by an id that is not in its table.", "name the live replacements, or leave replaced_by empty"),
    ProblemCode("date.order", "dates in the wrong order", "A range ends before it starts.", "swap or correct the dates"),
    ProblemCode("date.after-report", "event after its report", "An event is dated after the article that reports it was published.", "resolve the date against the article's date"),
    ProblemCode("date.quote-after-article", "quote after its article", "A quote is dated after its article was published.", "resolve the attribution's date against the article's date"),
    ProblemCode("date.precision", "precision contradicts the range", "A date precision code does not fit the length of the date range.", "use the precision the range's length gives"),
    ProblemCode("place.outside-country", "place outside its country", "A place's coordinates lie in another country than the one stated.", "check the order and signs of the coordinates, and the country code"),
    ProblemCode("place.half-coordinates", "one coordinate only", "A place has a latitude without a longitude or the reverse.", "give both coordinates from a cited source, or neither"),
    ProblemCode("place.no-source", "coordinates without source", "A place has coordinates but no coord_source.", "name the source of the coordinates"),
    ProblemCode("place.precision-without-coordinates", "precision without coordinates", "A place has a geo_precision but no coordinates.", "leave geo_precision empty until a source gives coordinates"),
    ProblemCode("actor.parent-loop", "actor hierarchy loops", "Following parent_actor_id leads back to the same actor.", "break the loop"),
    ProblemCode("quote.no-speaker", "quote without speaker", "A quote has no speaker.", "set the speaker, or mark it unknown with a note"),
    ProblemCode("quote.unknown-speaker", "unknown speaker without reason", "A quote's speaker is unknown but its note does not say why.", "say in the note why the text does not tell"),
    ProblemCode("event.no-source", "event without source", "An event has no event_sources row.", "add its source row with the verbatim evidence"),
    ProblemCode("event.no-actor", "event without actor", "An event has no event_actors row.", "add at least its actor1"),
    ProblemCode("mention.entity", "mention of the wrong kind", "A mention's ids do not match its kind (an actor id for an actor, a place id for a place).", "fill the id of its kind and empty the other"),
    # drafts
    ProblemCode("draft.unreviewed", "draft row unreviewed", "A draft row's review cell is empty.", "write accept or reject, then apply the draft"),
    ProblemCode("draft.review", "review value unknown", "A draft row's review is neither empty, accept nor reject.", "write accept or reject"),
    ProblemCode("draft.confidence", "confidence out of range", "A draft row's confidence is not a decimal from 0 to 1.", "write a number such as 0.85, or leave it empty"),
    ProblemCode("draft.unapplied", "reviewed draft not applied", "Every row of a draft is reviewed but the draft is still in drafts/.", "run `badia assist --apply ARTICLE_ID`"),
    ProblemCode("draft.pending", "draft rows left to review", "An article's draft still has rows (or links) without a decision; `badia validate --drafts` lists them.", "review them with `badia review ARTICLE_ID`, then apply"),
    ProblemCode("draft.link-undecided", "link to a known event undecided", "A drafted event has suggested links to known events and none is confirmed or refused.", "confirm one (same event) or refuse them (a new event)"),
    ProblemCode("draft.links-header", "links.csv header wrong", "drafts/ARTICLE_ID/links.csv does not have the columns decision,draft_event_id,event_id,score,reasons.", "restore the header the assistant wrote"),
    ProblemCode("draft.links-row", "links.csv row has the wrong number of cells", "A row of links.csv does not have one cell per column.", "one cell per column"),
    ProblemCode("draft.links-decision", "link decision unknown", "A link's decision is neither empty, confirm nor refuse.", "write confirm or refuse"),
    ProblemCode("draft.links-unreadable", "links.csv unreadable", "links.csv is not UTF-8 CSV.", "restore the file the assistant wrote"),
    ProblemCode("draft.link-unknown", "link to an unknown event", "`--link` names an event that is not in events.csv.", "link to an event_id of data/events.csv"),
    ProblemCode("draft.no-event", "no such drafted event", "`--link` names a drafted event that no draft has.", "give the event_id of a row in a draft's events.csv"),
    ProblemCode("draft.empty", "empty draft file", "A draft file has not even a header.", "restore it or draft the article again"),
    ProblemCode("draft.column", "no such column to edit", "An edit names a column the draft table does not have (or review, confidence, draft_note).", "edit one of the table's columns"),
    ProblemCode("draft.row", "no such draft row", "A decision names a row the draft file does not have (it changed since the page was loaded).", "reload the drafts"),
    ProblemCode("add.absent", "words not in the text", "`--add --quote` words do not occur in the article's text (or not at --at).", "copy the words exactly as the text has them"),
    ProblemCode("add.ambiguous", "words occur more than once", "`--add --quote` words occur several times in the text; every occurrence is listed.", "say which with --at CHAR_START"),
    ProblemCode("add.no-article", "article not registered", "`--add` names an article that is not in articles.csv.", "register it with `badia add-article`"),
    ProblemCode("undo.no-journal", "nothing to undo", "No apply of this article is journalled (never applied, or already undone).", "only an article's last apply can be undone, once"),
    ProblemCode("undo.data-changed", "data changed since the apply", "A data file is not as the apply left it: undoing would lose that change.", "undo by hand (git diff, git checkout) or keep the apply"),
    ProblemCode("undo.draft-changed", "draft changed since the apply", "The draft is not as the apply left it: undoing would lose the decisions made since.", "apply them first, or undo by hand"),
    ProblemCode("undo.mismatch", "data file's start changed", "A data file's first bytes are not those it had before the apply.", "undo by hand"),
    ProblemCode("draft.exists", "draft already there", "An article is drafted again while its draft waits for review.", "review and apply it, or delete it to draft again"),
    ProblemCode("draft.missing", "no draft", "`--apply` names an article that has no draft.", "draft it first with `badia assist ARTICLE_ID`"),
    ProblemCode("draft.no-article", "article not registered", "The article to draft is not in articles.csv.", "register it with `badia add-article`"),
    ProblemCode("draft.seed", "seed unreadable", "The seed of the article to draft cannot be read.", "restore the seed from git"),
    ProblemCode("draft.gazetteer", "gazetteer unavailable", "`--gazetteer` was asked for but the optional gazetteer is not installed.", "install the 'gazetteer' extra, or draft without it"),
    # registering articles
    ProblemCode("article.unreadable", "article unreadable", "The file given to `add-article` cannot be read.", "give the path of the article's text file"),
    ProblemCode("article.encoding", "article not UTF-8", "The article's text is not valid UTF-8.", "save it as UTF-8"),
    ProblemCode("article.empty", "empty article", "The article's file holds no text.", "give the file that holds the text"),
    ProblemCode("article.duplicate", "article already registered", "A text with the same SHA-256 is already registered.", "use the existing article"),
    ProblemCode("article.id", "invalid article id", "The article id does not follow the id pattern.", "use lower-case letters, digits, '_', '.', '-'"),
    ProblemCode("article.id-taken", "article id taken", "The article id is already used.", "choose another id, or leave it to badia"),
    ProblemCode("article.seed-exists", "seed file exists", "A different file already has the seed's name in seeds/.", "choose another id"),
    ProblemCode("article.field", "article field invalid", "A field given to `add-article` (date, URL, language, ...) is not valid.", "correct the field as the message says"),
    # releases and evaluation
    ProblemCode("release.missing", "release file missing", "A file the release archive copies is not there.", "restore it from git"),
    ProblemCode("release.version", "version not semantic", "The version in datapackage.json is not MAJOR.MINOR.PATCH.", "write the version as MAJOR.MINOR.PATCH"),
    ProblemCode("release.changelog", "version not in the changelog", "CHANGELOG.md has no entry for the version being released.", "add the version's entry with its date"),
    ProblemCode("release.citation", "citation out of step", "CITATION.cff does not give the version or date being released.", "update CITATION.cff"),
    ProblemCode("release.previous", "previous release not found", "A release after the first needs the previous release to write its changes (archive, git tag or --previous).", "put the previous archive in the output folder, or pass --previous"),
    ProblemCode("release.changelog-counts", "changelog counts out of step", "The version's CHANGELOG entry does not state the counts of its changes that `badia diff` finds.", "paste `badia diff OLD . --format changelog` into the entry"),
    ProblemCode("release.unrecorded-removal", "id dropped without a record", "An id of the previous release is gone without a row in retired_rows.", "add its retired_rows row"),
    ProblemCode("diff.side", "diff side unreadable", "A side of `badia diff` is neither a dataset folder, a release archive nor a git revision.", "name a folder, a .zip release or a commit"),
    ProblemCode("release.exists", "release already published", "An archive of this version exists with other contents: a published version never changes.", "raise the version"),
    ProblemCode("release.share", "article rebuildable from the release", "The spans of one article would cover more of its text than a release may carry (see LICENSE).", "shorten or drop spans of that article"),
    # hostile or careless input (issue 11)
    ProblemCode("package.name", "unsafe resource name", "A resource name is not lower-case letters, digits and '_': it becomes a file and a table name.", "rename the resource"),
    ProblemCode("schema.name", "unsafe field name", "A field name is not lower-case letters, digits and '_': it becomes a database column.", "rename the field"),
    ProblemCode("package.url", "address not http(s)", "A URL in datapackage.json that becomes a link on the site is not an http(s) address.", "write a full http:// or https:// address"),
    ProblemCode("draft.id", "not an article id", "The article id given to assist is not an article id (it holds '/', '..' or other characters).", "give a registered article's id"),
    ProblemCode("draft.path", "draft folder outside drafts/", "The draft folder is a link, or resolves outside the dataset's drafts/ folder.", "keep drafts as plain folders under drafts/"),
    ProblemCode("draft.no-tables", "draft folder without tables", "The draft folder holds no draft table, so there is nothing to apply.", "draft the article again"),
    ProblemCode("article.too-large", "article too large", "The file given to add-article is over the size limit for one article.", "give the text of one article"),
    ProblemCode("build.out", "output folder refused", "--out names the dataset, one of its folders, a file, or a folder that is not a badia build.", "give a new or empty folder, or a previous build"),
    ProblemCode("busy", "another command is writing", "Another badia command holds the dataset's write lock.", "wait for it to finish, then run the command again"),
    ProblemCode("span.too-long", "span too long", "A quote, evidence or other span is longer than one span may be.", "quote only the words the row is about"),
    ProblemCode("problems.more", "more problems not listed", "A file has more problems than validate lists for one file; the rest are counted.", "fix the problems listed and validate again"),
    ProblemCode("evaluate.article", "evaluation article unreadable", "An article of an evaluation split (its .txt and .json) cannot be read.", "follow tests/fixtures/eval/GUIDE.md"),
    ProblemCode("assist.model", "language model unavailable", "spaCy or the language model the assistant reads with is not installed.", "run `make setup`, or set BADIA_SPACY_MODEL to an installed model"),
    ProblemCode("evaluate.seed", "seed unreadable", "The seed of an article to evaluate cannot be read.", "restore the seed file, or run from the dataset's root"),
    # badia itself
    ProblemCode("internal-error", "internal error", "badia stopped on an unexpected error in its own code: a bug in badia, not in the data.", "open an issue with the message (BADIA_DEBUG=1 shows the traceback)"),
]}


def codes_markdown() -> str:
    """The table of problem codes in CONTRIBUTING.md, made from CODES."""
    rows = ["| code | problem | what it means | usual fix |", "|---|---|---|---|"]
    rows += [f"| `{c.code}` | {_cell(c.title)} | {_cell(c.description)} | {_cell(c.fix)} |" for c in CODES.values()]
    return "\n".join(rows)


if __name__ == "__main__":  # python -m badia.problems: print the table for CONTRIBUTING.md
    print(codes_markdown())
