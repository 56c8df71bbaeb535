"""The one command line: `badia validate | build | serve | ...`, on the dataset in the current
directory or the one named by --root."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from badia.dataset.package import UnusableInput, load_package
from badia.problems import FORMATS, Problem, Refused

EXIT_VALID, EXIT_INVALID, EXIT_UNUSABLE = 0, 1, 2


def _print_problems(problems: list[Problem], fmt: str, stream=None) -> None:
    print(FORMATS[fmt](problems), file=stream or sys.stdout)


def cmd_validate(args) -> int:
    from badia.validate.checks import validate

    try:
        if args.state:
            from badia.validate.incremental import validate_incremental

            problems, kind = validate_incremental(args.root, args.state)
            print(f"{kind} validation (state in {args.state})", file=sys.stderr)
        else:
            problems = validate(args.root, drafts=args.drafts)
    except UnusableInput as e:
        _print_problems(e.problems, args.format)
        return EXIT_UNUSABLE
    _print_problems(problems, args.format)
    return EXIT_INVALID if problems else EXIT_VALID


def cmd_build(args) -> int:
    from badia.publish.build import build

    out = build(args.root, Path(args.out) if args.out else None)
    print(f"built {out}")
    return EXIT_VALID


def cmd_serve(args) -> int:
    from badia.site.serve import serve

    return serve(args.root, host=args.host, port=args.port, build_dir=Path(args.build) if args.build else None)


def cmd_release(args) -> int:
    from badia.publish.release import release, sha256_file

    archive = release(args.root, Path(args.out) if args.out else None, args.previous)
    print(f"released {archive} (sha256 {sha256_file(archive)})")
    return EXIT_VALID


def cmd_diff(args) -> int:
    from badia.publish.diff import FORMATS as DIFF_FORMATS, diff, read_side

    result = diff(read_side(args.old, args.root), read_side(args.new, args.root))
    text = DIFF_FORMATS[args.format](result)
    if args.out:
        from badia.files import atomic_write

        atomic_write(Path(args.out), text.encode("utf-8"))
    else:
        sys.stdout.write(text)
    return EXIT_VALID


def cmd_docs(args) -> int:
    from badia.publish.release import write_docs

    out = write_docs(args.root, Path(args.out) if args.out else None)
    print(f"wrote {out / 'data-dictionary.md'} and {out / 'figures'}")
    return EXIT_VALID


def cmd_add_article(args) -> int:
    from badia.dataset.corpus import register_article

    row = register_article(args.root, Path(args.path), args.publisher, args.title, args.date, author=args.author,
                           dateline=args.dateline, url=args.url, language=args.language, article_id=args.id,
                           date_inferred=args.date_inferred, date_note=args.date_note)
    print(f"registered {row['article_id']}: {row['seed_path']} (sha256 {row['sha256']})")
    print(f"next: badia assist {row['article_id']}")
    return EXIT_VALID


def cmd_assist(args) -> int:
    from badia.curate.evaluate import evaluate

    if args.evaluate is not None:
        from badia.curate.measures import measure

        for folder in args.evaluate or [args.root]:
            curated = (Path(folder) / "data" / "articles.csv").is_file()
            if curated:
                result = evaluate(folder)
                if not result.articles:
                    print(f"{folder}: no articles in data/articles.csv to evaluate", file=sys.stderr)
                    return EXIT_UNUSABLE
                print(f"{folder}: {len(result.articles)} article(s)\n{result.table()}")
                if args.verbose:
                    print("\n".join(f"  {kind}: {miss}" for kind, score in result.scores.items() for miss in score.misses))
            cards = measure(folder, args.root)
            if not cards:
                print(f"{folder}: neither a dataset (data/articles.csv) nor evaluation articles (*.json, or dev/ and test/ of them)", file=sys.stderr)
                return EXIT_UNUSABLE
            for card in cards:
                print(card.table())
                if args.verbose:
                    print("\n".join(f"  {key}: {miss}" for key, ratio in card.ratios.items() for miss in ratio.misses))
        return EXIT_VALID
    if args.link:
        return _assist_link(args)
    if not args.article_id:
        print("badia assist: name the article (badia assist ARTICLE_ID), or use --evaluate", file=sys.stderr)
        return EXIT_UNUSABLE
    if args.apply:
        from badia.curate.apply import apply_drafts

        done = apply_drafts(load_package(args.root), args.article_id)
        added = ", ".join(f"{n} {table}" for table, n in done.added.items()) or "no rows"
        print(f"applied drafts/{args.article_id}: added {added}; {done.rejected} rejected; {done.linked} dropped by confirmed links; "
              + ("draft folder removed" if done.folder_removed else f"{done.waiting} row(s) still to review" if done.waiting
                 else f"draft files removed; drafts/{args.article_id}/ kept for the other files in it"))
        print(f"undo it with: badia assist --undo {args.article_id}")
        return EXIT_VALID
    if args.undo:
        from badia.curate.apply import undo

        done = undo(load_package(args.root), args.article_id)
        print(f"undid the apply of {args.article_id} made at {done.applied_at}: restored {', '.join(done.restored)}")
        return EXIT_VALID
    if args.accept or args.reject:
        from badia.curate.decide import decide_many

        value, which = ("accept", args.accept) if args.accept else ("reject", args.reject)
        n = decide_many(args.root, args.article_id, value, which, args.threshold)
        print(f"drafts/{args.article_id}: {value}ed {n} row(s) ({which}{'' if which == 'all' else f', threshold {args.threshold}'})")
        return EXIT_VALID
    if args.add:
        from badia.curate.decide import add_quote

        if not args.quote:
            print("badia assist --add: give the exact words with --quote \"...\"", file=sys.stderr)
            return EXIT_UNUSABLE
        quote_id = add_quote(load_package(args.root), args.article_id, args.quote, args.at, args.speaker or "", args.kind)
        print(f"drafts/{args.article_id}/quotes.csv: added {quote_id} (accepted)" + ("" if args.speaker else "; speaker unknown: set it in review"))
        return EXIT_VALID
    from badia.curate.drafts import draft_to_folder

    folder, counts = draft_to_folder(args.root, args.article_id, gazetteer=args.gazetteer)
    print(f"drafted {folder}: " + ", ".join(f"{n} {table}" for table, n in counts.items()))
    print(f"review: badia review {args.article_id} (in the browser), or set the 'review' column of each row to accept or reject; then badia assist --apply {args.article_id}")
    return EXIT_VALID


def _assist_link(args) -> int:
    from badia.curate.decide import find_draft_event, link

    draft_event_id, event_id = args.link
    article_id = args.article_id or find_draft_event(args.root, draft_event_id)
    accepted = link(load_package(args.root), article_id, draft_event_id, None if event_id == "new" else event_id)
    if event_id == "new":
        print(f"drafts/{article_id}/links.csv: {draft_event_id} is a new event (its suggested links refused)")
    else:
        print(f"drafts/{article_id}/links.csv: {draft_event_id} confirmed as {event_id}; {accepted} evidence row(s) accepted as its reports")
    return EXIT_VALID


def cmd_review(args) -> int:
    from badia.curate.review.server import review

    return review(args.root, args.article_id, host=args.host, port=args.port, allow_remote=args.allow_remote)


def cmd_fix_offsets(args) -> int:
    from badia.curate.offsets import apply_offset_fixes, plan_offset_fixes

    plan = plan_offset_fixes(args.root)
    for fix in plan.fixes:
        print(fix.describe())
    if plan.fixes and args.write:
        written = apply_offset_fixes(args.root, plan.fixes)
        print(f"rewrote the offsets of {len(plan.fixes)} row(s) in {', '.join(written)}; every other byte is unchanged")
    elif plan.fixes:
        print(f"{len(plan.fixes)} row(s) can be repaired: run `badia fix-offsets --write` to write them (nothing was written)")
    if plan.unresolved:
        print("left for a person to fix:")
        _print_problems(plan.unresolved, "text")
    elif not plan.fixes:
        print("every span's offsets match its text")
    if plan.unreadable:
        return EXIT_UNUSABLE
    return EXIT_INVALID if plan.unresolved or (plan.fixes and not args.write) else EXIT_VALID


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="badia", description="Validate, build and serve the badia dataset.")
    p.add_argument("--root", type=Path, default=Path("."), help="dataset root (default: the current directory)")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check every table, key, span and date; never writes")
    v.add_argument("--format", choices=sorted(FORMATS), default="text", help="text (default), github annotations, markdown summary, json")
    v.add_argument("--drafts", action="store_true", help="list every draft row left to review (default: one line per article)")
    v.add_argument("--state", type=Path, help="folder of the last valid state: validate only the rows appended since (see badia.validate.incremental)")
    v.set_defaults(func=cmd_validate)

    b = sub.add_parser("build", help="validate, then write CSV, Parquet, SQLite and Datasette metadata to build/")
    b.add_argument("--out", help="output folder (default: ROOT/build)")
    b.set_defaults(func=cmd_build)

    f = sub.add_parser("fix-offsets", help="recompute char_start/char_end of span rows whose text occurs once in the seed")
    f.add_argument("--write", action="store_true", help="rewrite those cells in data/ (atomically; every other byte unchanged); without it, only report")
    f.set_defaults(func=cmd_fix_offsets)

    s = sub.add_parser("serve", help="serve the built database read-only with Datasette")
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    s.add_argument("--port", type=int, default=8001)
    s.add_argument("--build", help="build folder to serve (default: ROOT/build)")
    s.set_defaults(func=cmd_serve)

    r = sub.add_parser("release", help="build afresh and write releases/badia-<version>.zip with SHA256SUMS")
    r.add_argument("--out", help="output folder (default: ROOT/releases)")
    r.add_argument("--previous", help="the previous release, to write this one's changes: its archive, an extracted release or a git revision "
                                      "(default: badia-<previous version>.zip in the output folder, else the git tag v<previous version>)")
    r.set_defaults(func=cmd_release)

    g = sub.add_parser("diff", help="the keyed difference of two versions: rows added, removed (with their replacements) and changed cells, per table")
    g.add_argument("old", help="the older version: a folder, a release archive (.zip) or a git revision of the repository at --root")
    g.add_argument("new", help="the newer version (same kinds); its retired_rows table says what replaced each removed row")
    g.add_argument("--format", choices=["text", "markdown", "json", "csv", "changelog"], default="text",
                   help="text (default), markdown (a pull request's summary), json, csv (one line per change), changelog (the counts a CHANGELOG entry carries)")
    g.add_argument("--out", help="write to this file (atomically) instead of standard output")
    g.set_defaults(func=cmd_diff)

    d = sub.add_parser("docs", help="write docs/data-dictionary.md and docs/figures/ from the schemas and the data")
    d.add_argument("--out", help="output folder (default: ROOT/docs)")
    d.set_defaults(func=cmd_docs)

    a = sub.add_parser("add-article", help="copy an article's text into seeds/ and register it in data/articles.csv")
    a.add_argument("path", help="the article's text file (UTF-8)")
    a.add_argument("--publisher", required=True, help="outlet that published it")
    a.add_argument("--title", required=True, help="headline exactly as the text gives it")
    a.add_argument("--date", required=True, help="publication date, YYYY-MM-DD")
    a.add_argument("--date-inferred", action="store_true", help="the text prints no date: it was inferred (say how in --date-note)")
    a.add_argument("--date-note", default="", help="how the date was read or inferred")
    a.add_argument("--author", default="", help="byline as the text gives it")
    a.add_argument("--dateline", default="", help="dateline place as the text gives it (e.g. AMMAN)")
    a.add_argument("--url", default="", help="address of the original (only if known, never guessed)")
    a.add_argument("--language", default="en", help="ISO 639-1 code (default: en)")
    a.add_argument("--id", help="article id (default: the next number and the text's sha256 prefix, e.g. 005_1a2b...)")
    a.set_defaults(func=cmd_add_article)

    x = sub.add_parser("assist", help="draft an article's rows for review, decide, apply or undo them, or measure the drafts")
    x.add_argument("article_id", nargs="?", help="the article to draft (or whose drafts to decide, apply or undo)")
    mode = x.add_mutually_exclusive_group()
    mode.add_argument("--apply", action="store_true", help="append the accepted rows of drafts/ARTICLE_ID/ to data/, if the dataset stays valid")
    mode.add_argument("--undo", action="store_true", help="restore data/ and drafts/ARTICLE_ID/ as they were before its last --apply")
    mode.add_argument("--accept", choices=("confident", "all"), help="accept every undecided row: at or above the threshold, or all")
    mode.add_argument("--reject", choices=("unconfident", "all"), help="reject every undecided row: below the threshold (or without a confidence), or all")
    mode.add_argument("--link", nargs=2, metavar=("DRAFT_EVENT_ID", "EVENT_ID"), help="the drafted event is the known EVENT_ID (or 'new': refuse its suggested links)")
    mode.add_argument("--add", action="store_true", help="add a span the assistant missed (with --quote)")
    mode.add_argument("--evaluate", nargs="*", metavar="FOLDER", help="measure the drafts: for each FOLDER (default: the dataset), a curated dataset (every curated article drafted with the others' knowledge) or evaluation articles in the format of tests/fixtures/eval/GUIDE.md (a split, or a folder of splits); prints the entity-level table per dataset and split")
    x.add_argument("--threshold", type=float, default=0.9, help="with --accept/--reject: the confidence threshold (default 0.9)")
    x.add_argument("--quote", help="with --add: the quotation's exact words; refused if absent or ambiguous")
    x.add_argument("--at", type=int, help="with --add: the char_start of the occurrence meant, when the words occur more than once")
    x.add_argument("--speaker", help="with --add: the speaker's actor_id")
    x.add_argument("--kind", choices=("direct", "partial", "term"), default="partial", help="with --add: the quotation's kind (default partial)")
    x.add_argument("--gazetteer", action="store_true", help="look unknown places up in the offline GeoNames gazetteer (needs the 'gazetteer' extra)")
    x.add_argument("--verbose", action="store_true", help="with --evaluate: list every miss")
    x.set_defaults(func=cmd_assist)

    w = sub.add_parser("review", help="review an article's drafts in the browser (serves on 127.0.0.1; writes only drafts/ARTICLE_ID/)")
    w.add_argument("article_id", help="the article whose drafts to review")
    w.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    w.add_argument("--port", type=int, default=8002)
    w.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host (anyone who can reach it and has the page can write the drafts)")
    w.set_defaults(func=cmd_review)
    return p


def internal_error(error: BaseException, command: str) -> Problem:
    """An unexpected exception as a located problem: the innermost line of badia's own code that
    it passed through, what went wrong, and what to do (it is a bug in badia, not in the data)."""
    frames = traceback.extract_tb(error.__traceback__)
    package_dir = Path(__file__).resolve().parent
    ours = [f for f in frames if Path(f.filename).resolve().is_relative_to(package_dir)] or frames
    frame = ours[-1]
    path = Path(frame.filename).resolve()
    where = f"src/badia/{path.relative_to(package_dir).as_posix()}" if path.is_relative_to(package_dir) else str(path)
    return Problem(where, f"badia {command} stopped on an unexpected error in {frame.name}(): {type(error).__name__}: {error}",
                   "this is a bug in badia rather than in your data; please open an issue with this message and the file you last changed",
                   line=frame.lineno, code="internal-error")


# What a refused command adds after its problems: what it did not touch.
REFUSAL_NOTES = {
    "build": "build refused: the data is invalid; the previous build is untouched",
    "release": "release refused: nothing was written",
    "docs": "docs refused: the data is invalid; the docs are untouched",
}


def writes(args) -> bool:
    """Whether the command writes data/, seeds/, drafts/, build/, releases/ or docs/ (and so takes the lock)."""
    if args.command == "assist":
        return args.evaluate is None
    if args.command == "fix-offsets":
        return args.write
    return args.command in ("build", "release", "docs", "add-article")


def run(args) -> int:
    """The command, holding the dataset's write lock if it writes; a writer first clears what a
    killed one left behind."""
    if not writes(args) or not args.root.is_dir():
        return args.func(args)
    from badia.lock import clear_leftovers, writer

    with writer(args.root, args.command):
        for path in clear_leftovers(args.root):
            print(f"removed {path.relative_to(args.root)}, left by an interrupted command", file=sys.stderr)
        return args.func(args)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return run(args)
    except Refused as refusal:
        _print_problems(refusal.problems, "text", sys.stderr)
        if refusal.exit_code == EXIT_INVALID and args.command in REFUSAL_NOTES:
            print(REFUSAL_NOTES[args.command], file=sys.stderr)
        return refusal.exit_code
    except KeyboardInterrupt:
        print("badia: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # the last resort: a contributor sees a located message, never a traceback
        if os.environ.get("BADIA_DEBUG") == "1":
            raise  # for developers: the whole traceback
        problem = internal_error(error, args.command)
        fmt = getattr(args, "format", "text")
        _print_problems([problem], fmt if fmt in FORMATS else "text", sys.stdout if args.command == "validate" else sys.stderr)
        return EXIT_UNUSABLE


if __name__ == "__main__":
    raise SystemExit(main())
