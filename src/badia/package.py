"""The Data Package: datapackage.json and the Table Schemas it points to, read once and checked.

Types and constraints are written once, in schemas/*.schema.json; everything else (pandas dtypes,
pandera schemas, Parquet and SQLite types, Datasette metadata, the data dictionary) is derived here
or from what this module returns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from badia.report import Problem

FIELD_TYPES = ("string", "integer", "number", "date", "boolean")
DEFAULT_TRUE = ("true", "True", "TRUE", "1")
DEFAULT_FALSE = ("false", "False", "FALSE", "0")


class UnusableInput(Exception):
    """The dataset cannot be read at all (exit code 2); carries the problems that say why."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.sentence() for p in problems))
        self.problems = problems


@dataclass
class Resource:
    """One table: its name, CSV path, and Table Schema (a dict, as written in schemas/)."""

    name: str
    path: str
    schema_path: str
    schema: dict

    @property
    def fields(self) -> list[dict]:
        return self.schema["fields"]

    @property
    def field_names(self) -> list[str]:
        return [f["name"] for f in self.fields]

    def field(self, name: str) -> dict:
        return next(f for f in self.fields if f["name"] == name)

    @property
    def primary_key(self) -> list[str]:
        pk = self.schema.get("primaryKey", [])
        return [pk] if isinstance(pk, str) else list(pk)

    @property
    def foreign_keys(self) -> list[dict]:
        return self.schema.get("foreignKeys", [])

    def fields_of_type(self, *types: str) -> list[str]:
        return [f["name"] for f in self.fields if f.get("type", "string") in types]


@dataclass
class Package:
    root: Path
    descriptor: dict
    resources: dict[str, Resource] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.descriptor.get("version", "0.0.0")

    def resource(self, name: str) -> Resource:
        return self.resources[name]


def _load_json(path: Path, rel: str) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UnusableInput([Problem(rel, "file not found", "restore it from git (git checkout -- " + rel + ")", code="package.missing")])
    except UnicodeDecodeError as e:
        raise UnusableInput([Problem(rel, f"not valid UTF-8 (byte {e.start})", "save the file as UTF-8", code="package.encoding")])
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise UnusableInput([Problem(rel, f"invalid JSON: {e.msg}", "fix the JSON syntax at this place (a missing comma, quote or bracket)", line=e.lineno, col=e.colno, code="package.json")])
    if not isinstance(data, dict):
        raise UnusableInput([Problem(rel, "the top level must be a JSON object", "", code="package.json")])
    return data


def inside(root: Path, rel: str) -> Path | None:
    """The path `rel` under `root`, or None if it is absolute or escapes the root."""
    if not rel or Path(rel).is_absolute():
        return None
    path = (root / rel).resolve()
    try:
        path.relative_to(root.resolve())
    except ValueError:
        return None
    return path


def _check_schema(rel: str, schema: dict) -> list[Problem]:
    problems = []
    fields = schema.get("fields")
    if not isinstance(fields, list) or not fields:
        return [Problem(rel, "the schema has no 'fields' list", "add a 'fields' list with one object per CSV column", code="schema.invalid")]
    names = []
    for i, f in enumerate(fields):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str):
            problems.append(Problem(rel, f"field #{i + 1} has no name", "give every field a 'name'", code="schema.invalid"))
            continue
        names.append(f["name"])
        ftype = f.get("type", "string")
        if ftype not in FIELD_TYPES:
            problems.append(Problem(rel, f"field '{f['name']}' has unknown type '{ftype}'", f"use one of: {', '.join(FIELD_TYPES)}", code="schema.type"))
        if not f.get("description"):
            problems.append(Problem(rel, f"field '{f['name']}' has no description", "describe every field: users read it in Datasette and the data dictionary", code="schema.description"))
    for key in schema.get("primaryKey", []) if isinstance(schema.get("primaryKey", []), list) else [schema["primaryKey"]]:
        if key not in names:
            problems.append(Problem(rel, f"primaryKey names '{key}', which is not a field", "name an existing field", code="schema.invalid"))
    for fk in schema.get("foreignKeys", []):
        for key in fk.get("fields", []):
            if key not in names:
                problems.append(Problem(rel, f"foreignKey names '{key}', which is not a field", "name an existing field", code="schema.invalid"))
    return problems


def load_package(root: Path | str) -> Package:
    """Read datapackage.json and every schema it references; raise UnusableInput if they are broken."""
    root = Path(root)
    if not root.is_dir():
        raise UnusableInput([Problem(str(root), "no such dataset folder", "run from the dataset's root or pass --root DIR", code="package.missing")])
    descriptor = _load_json(root / "datapackage.json", "datapackage.json")
    problems: list[Problem] = []
    package = Package(root=root, descriptor=descriptor)
    resources = descriptor.get("resources")
    if not isinstance(resources, list) or not resources:
        raise UnusableInput([Problem("datapackage.json", "no 'resources' list", "list one resource per table in data/", code="package.invalid")])
    for i, res in enumerate(resources):
        name, path, schema_ref = res.get("name"), res.get("path"), res.get("schema")
        if not name or not isinstance(path, str):
            problems.append(Problem("datapackage.json", f"resource #{i + 1} needs a 'name' and a 'path'", "", code="package.invalid"))
            continue
        if inside(root, path) is None:
            problems.append(Problem("datapackage.json", f"resource '{name}' path '{path}' is outside the dataset", "use a relative path under data/", code="package.path"))
            continue
        if isinstance(schema_ref, str):
            if inside(root, schema_ref) is None:
                problems.append(Problem("datapackage.json", f"resource '{name}' schema '{schema_ref}' is outside the dataset", "use a relative path under schemas/", code="package.path"))
                continue
            try:
                schema = _load_json(root / schema_ref, schema_ref)
            except UnusableInput as e:
                problems.extend(e.problems)
                continue
            schema_rel = schema_ref
        elif isinstance(schema_ref, dict):
            schema, schema_rel = schema_ref, "datapackage.json"
        else:
            problems.append(Problem("datapackage.json", f"resource '{name}' has no schema", "point 'schema' to its file in schemas/", code="package.invalid"))
            continue
        schema_problems = _check_schema(schema_rel, schema)
        problems.extend(schema_problems)
        if not schema_problems:
            package.resources[name] = Resource(name, path, schema_rel, schema)
    if problems:
        raise UnusableInput(problems)
    return package
