"""Every problem code is declared once, in badia.problems.CODES, with its title, meaning and fix;
the code uses only declared codes, and CONTRIBUTING.md's table of codes is the registry's."""

from __future__ import annotations

import ast
import re

from badia.problems import CODES, codes_markdown
from conftest import ROOT

PACKAGE = ROOT / "src" / "badia"


def codes_in_the_code() -> dict[str, list[str]]:
    """Each code given to a Problem(...) anywhere in src/badia, with where (file:line); a code that
    is not a plain string is reported as such, since the registry could not vouch for it."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "Problem":
                code = next((k.value for k in node.keywords if k.arg == "code"), None)
                key = code.value if isinstance(code, ast.Constant) else f"<no literal code: {ast.unparse(code) if code else 'missing'}>"
                found.setdefault(key, []).append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno}")
    return found


def test_every_code_used_is_declared():
    used = codes_in_the_code()
    missing = {code: where for code, where in used.items() if code not in CODES}
    assert not missing, "problem codes used but not declared; add to CODES in src/badia/problems.py:\n" + "\n".join(
        f'    ProblemCode("{code}", "<title>", "<what went wrong, in plain words>", "<the usual fix>"),  # used at {", ".join(where)}'
        for code, where in missing.items())


def test_every_declared_code_is_used():
    unused = sorted(set(CODES) - set(codes_in_the_code()))
    assert not unused, f"declared in CODES but never used: remove them from src/badia/problems.py: {unused}"


def test_every_code_says_what_it_means_and_what_to_do():
    for entry in CODES.values():
        assert re.fullmatch(r"[a-z0-9]+(?:[.-][a-z0-9]+)*", entry.code), entry
        assert entry.title and entry.description.endswith(".") and entry.fix, entry


def test_contributing_shows_the_registry():
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- problem codes: generated[^\n]*-->\n(.*?)\n<!-- end of problem codes -->", text, re.S)
    assert found, "CONTRIBUTING.md lost its table of problem codes and its two marker comments"
    assert found[1] == codes_markdown(), (
        "CONTRIBUTING.md's table of problem codes is out of step with CODES: replace the lines between the two "
        "marker comments by the output of `PYTHONPATH=src python -m badia.problems`")
