"""The one command line: `badia validate | build | serve | ...`, on the dataset in the current
directory or the one named by --root."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from badia.package import UnusableInput
from badia.report import FORMATS, Problem

EXIT_VALID, EXIT_INVALID, EXIT_UNUSABLE = 0, 1, 2


def _print_problems(problems: list[Problem], fmt: str, stream=sys.stdout) -> None:
    print(FORMATS[fmt](problems), file=stream)


def cmd_validate(args) -> int:
    from badia.validate import validate

    try:
        if args.state:
            from badia.incremental import validate_incremental

            problems, kind = validate_incremental(args.root, args.state)
            print(f"{kind} validation (state in {args.state})", file=sys.stderr)
        else:
            problems = validate(args.root)
    except UnusableInput as e:
        _print_problems(e.problems, args.format)
        return EXIT_UNUSABLE
    _print_problems(problems, args.format)
    return EXIT_INVALID if problems else EXIT_VALID


def cmd_build(args) -> int:
    from badia.build import BuildRefused, build

    try:
        out = build(args.root, Path(args.out) if args.out else None)
    except UnusableInput as e:
        _print_problems(e.problems, "text", sys.stderr)
        return EXIT_UNUSABLE
    except BuildRefused as e:
        _print_problems(e.problems, "text", sys.stderr)
        print("build refused: the data is invalid; the previous build is untouched", file=sys.stderr)
        return EXIT_INVALID
    print(f"built {out}")
    return EXIT_VALID


def cmd_serve(args) -> int:
    from badia.serve import serve

    return serve(args.root, host=args.host, port=args.port, build_dir=Path(args.build) if args.build else None)


def cmd_release(args) -> int:
    from badia.build import BuildRefused
    from badia.release import ReleaseRefused, release, sha256_file

    try:
        archive = release(args.root, Path(args.out) if args.out else None)
    except UnusableInput as e:
        _print_problems(e.problems, "text", sys.stderr)
        return EXIT_UNUSABLE
    except (BuildRefused, ReleaseRefused) as e:
        _print_problems(e.problems, "text", sys.stderr)
        print("release refused: nothing was written", file=sys.stderr)
        return EXIT_INVALID
    print(f"released {archive} (sha256 {sha256_file(archive)})")
    return EXIT_VALID


def cmd_docs(args) -> int:
    from badia.build import BuildRefused
    from badia.release import write_docs

    try:
        out = write_docs(args.root, Path(args.out) if args.out else None)
    except UnusableInput as e:
        _print_problems(e.problems, "text", sys.stderr)
        return EXIT_UNUSABLE
    except BuildRefused as e:
        _print_problems(e.problems, "text", sys.stderr)
        print("docs refused: the data is invalid; the docs are untouched", file=sys.stderr)
        return EXIT_INVALID
    print(f"wrote {out / 'data-dictionary.md'} and {out / 'figures'}")
    return EXIT_VALID


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="badia", description="Validate, build and serve the badia dataset.")
    p.add_argument("--root", type=Path, default=Path("."), help="dataset root (default: the current directory)")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check every table, key, span and date; never writes")
    v.add_argument("--format", choices=sorted(FORMATS), default="text", help="text (default), github annotations, markdown summary, json")
    v.add_argument("--state", type=Path, help="folder of the last valid state: validate only the rows appended since (see badia.incremental)")
    v.set_defaults(func=cmd_validate)

    b = sub.add_parser("build", help="validate, then write CSV, Parquet, SQLite and Datasette metadata to build/")
    b.add_argument("--out", help="output folder (default: ROOT/build)")
    b.set_defaults(func=cmd_build)

    s = sub.add_parser("serve", help="serve the built database read-only with Datasette")
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    s.add_argument("--port", type=int, default=8001)
    s.add_argument("--build", help="build folder to serve (default: ROOT/build)")
    s.set_defaults(func=cmd_serve)

    r = sub.add_parser("release", help="build afresh and write build/release/badia-<version>.zip with SHA256SUMS")
    r.add_argument("--out", help="output folder (default: ROOT/build/release)")
    r.set_defaults(func=cmd_release)

    d = sub.add_parser("docs", help="write docs/data-dictionary.md and docs/figures/ from the schemas and the data")
    d.add_argument("--out", help="output folder (default: ROOT/docs)")
    d.set_defaults(func=cmd_docs)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
