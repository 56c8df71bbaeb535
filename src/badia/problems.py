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
