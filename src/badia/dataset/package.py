"""The Data Package: datapackage.json and the Table Schemas it points to, read once and checked.

Types and constraints are written once, in schemas/*.schema.json; everything else (pandas dtypes,
pandera schemas, Parquet and SQLite types, Datasette metadata, the data dictionary) is derived here
or from what this module returns.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from badia.problems import Problem, Refused

DEFAULT_TRUE = ("true", "True", "TRUE", "1")
DEFAULT_FALSE = ("false", "False", "FALSE", "0")


@dataclass(frozen=True)
class FieldType:
    """What a Table Schema type becomes in each form badia reads or writes it in."""

    pandas: str  # the nullable pandas dtype `tables.coerce` produces
    arrow: str  # the pyarrow type factory for Parquet (pa.<arrow>())
    sqlite: str  # the column type in badia.db


FIELD_TYPES = {
    "string": FieldType("string", "string", "TEXT"),
    "integer": FieldType("Int64", "int64", "INTEGER"),
    "number": FieldType("Float64", "float64", "REAL"),
    "boolean": FieldType("boolean", "bool_", "INTEGER"),
    "date": FieldType("datetime64[s]", "date32", "TEXT"),
}


class UnusableInput(Refused):
    """The dataset cannot be read at all (exit code 2); carries the problems that say why."""

    exit_code = 2


@dataclass(frozen=True)
class Field:
    """One column of a table, as its Table Schema describes it."""

    name: str
    type: str = "string"
    description: str = ""
    constraints: dict = field(default_factory=dict)
    true_values: tuple[str, ...] = DEFAULT_TRUE
    false_values: tuple[str, ...] = DEFAULT_FALSE

    @classmethod
    def from_descriptor(cls, descriptor: dict) -> Field:
        return cls(descriptor["name"], descriptor.get("type", "string"), descriptor.get("description", ""), descriptor.get("constraints", {}),
                   tuple(descriptor.get("trueValues", DEFAULT_TRUE)), tuple(descriptor.get("falseValues", DEFAULT_FALSE)))

    @property
    def required(self) -> bool:
        return bool(self.constraints.get("required"))

    @property
    def enum(self) -> list[str] | None:
        return self.constraints.get("enum")

    @property
    def pandas_dtype(self) -> str:
        return FIELD_TYPES[self.type].pandas

    @property
    def sqlite_type(self) -> str:
        return FIELD_TYPES[self.type].sqlite

    @property
    def arrow_type(self):
        """The Parquet column's type: a string with allowed values is dictionary-encoded."""
        import pyarrow as pa  # here, not at the top: `badia serve` and friends need not load it

        if self.type == "string" and self.enum:
            return pa.dictionary(pa.int16(), pa.string())
        return getattr(pa, FIELD_TYPES[self.type].arrow)()


@dataclass(frozen=True)
class ForeignKey:
    """A column whose every value is a key of a table (the same one when `resource` is its own).

    One column only: the package check refuses a composite foreign key (see `_check_schema`)."""

    field: str
    resource: str
    reference_field: str

    @classmethod
    def from_descriptor(cls, descriptor: dict, own_resource: str) -> ForeignKey:
        fields, ref = descriptor["fields"], descriptor["reference"]
        ref_fields = ref["fields"]
        return cls(fields if isinstance(fields, str) else fields[0], ref.get("resource") or own_resource,
                   ref_fields if isinstance(ref_fields, str) else ref_fields[0])


def _names(value: str | list[str]) -> list[str]:
    """A Table Schema key's fields, which the specification lets be one name or a list."""
    return [value] if isinstance(value, str) else list(value)


@dataclass
class Resource:
    """One table: its name, CSV path, and Table Schema (the dict as written in schemas/, for
    frictionless and pandera; and the typed fields and keys read from it, for everything else)."""

    name: str
    path: str
    schema_path: str
    schema: dict
    fields: list[Field] = field(init=False)
    primary_key: list[str] = field(init=False)
    foreign_keys: list[ForeignKey] = field(init=False)

    def __post_init__(self) -> None:
        self.fields = [Field.from_descriptor(f) for f in self.schema["fields"]]
        self.primary_key = _names(self.schema.get("primaryKey", []))
        self.foreign_keys = [ForeignKey.from_descriptor(fk, self.name) for fk in self.schema.get("foreignKeys", [])]

    @property
    def description(self) -> str:
        return self.schema.get("description", "")

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def fields_of_type(self, *types: str) -> list[str]:
        return [f.name for f in self.fields if f.type in types]


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


def _load_json(path: Path, rel: str) -> tuple[dict, str]:
    """A JSON object file, parsed, and its text (to locate problems by line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UnusableInput([Problem(rel, "file not found", "restore it from git (git checkout -- " + rel + ")", code="package.missing")])
    except UnicodeDecodeError as e:
        raise UnusableInput([Problem(rel, f"not valid UTF-8 (byte {e.start})", "save the file as UTF-8", code="package.encoding")])
    except IsADirectoryError:
        raise UnusableInput([Problem(rel, "is a folder, not a JSON file", "restore the file from git (git checkout -- " + rel + ")", code="package.missing")])
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise UnusableInput([Problem(rel, f"invalid JSON: {e.msg}", "fix the JSON syntax at this place (a missing comma, quote or bracket)", line=e.lineno, col=e.colno, code="package.json")])
    except RecursionError:
        raise UnusableInput([Problem(rel, "JSON nested too deeply to read", "a descriptor or schema is a few levels deep: restore the file from git", code="package.json")])
    if not isinstance(data, dict):
        raise UnusableInput([Problem(rel, "the top level must be a JSON object", "wrap the content in { }", line=1, col=1, code="package.json")])
    return data, text


def _line_of(text: str, key: str, value: object) -> int | None:
    """The line of the first `"key": value` in a JSON text, to point a contributor at it."""
    found = re.search(rf'"{re.escape(key)}"\s*:\s*{re.escape(json.dumps(value))}', text)
    return text.count("\n", 0, found.start()) + 1 if found else None


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


def _check_schema(rel: str, schema: dict, text: str) -> list[Problem]:
    """The schema against the Table Schema profile (frictionless), then what badia relies on:
    types it knows, patterns that compile, bounds that are numbers, descriptions, keys that exist."""
    import frictionless  # here, not at the top: `badia serve` and friends need not load it

    report = frictionless.Schema.validate_descriptor(schema)
    if not report.valid:
        problems = []
        for error in report.errors:
            unknown_type = re.search(r'field type "(.*)" is not supported', error.note)
            if unknown_type:
                problems.append(Problem(rel, f"unknown field type '{unknown_type[1]}'", f"use one of: {', '.join(FIELD_TYPES)}",
                                        line=_line_of(text, "type", unknown_type[1]), code="schema.type"))
            else:
                problems.append(Problem(rel, f"not a valid Table Schema: {error.note}", "compare with the Table Schema specification (specs.frictionlessdata.io/table-schema) or restore the file from git",
                                        code="schema.invalid"))
        return problems
    problems = []
    fields = schema.get("fields")
    if not fields:
        return [Problem(rel, "the schema has no fields", "add a 'fields' list with one object per CSV column", code="schema.invalid")]
    names = [f["name"] for f in fields]
    for f in fields:
        name, ftype, cons = f["name"], f.get("type", "string"), f.get("constraints", {})
        line = _line_of(text, "name", name)
        if ftype not in FIELD_TYPES:
            problems.append(Problem(rel, f"field '{name}' has unknown type '{ftype}'", f"use one of: {', '.join(FIELD_TYPES)}", line=_line_of(text, "type", ftype) or line, code="schema.type"))
        if not f.get("description"):
            problems.append(Problem(rel, f"field '{name}' has no description", "describe every field: users read it in Datasette and the data dictionary", line=line, code="schema.description"))
        if "pattern" in cons:
            try:
                re.compile(cons["pattern"])
            except (re.error, TypeError) as e:
                problems.append(Problem(rel, f"field '{name}' has a pattern that is not a valid regular expression ({e})", "correct the pattern",
                                        line=_line_of(text, "pattern", cons["pattern"]) or line, code="schema.pattern"))
        for bound in ("minimum", "maximum"):
            if bound in cons and (isinstance(cons[bound], bool) or not isinstance(cons[bound], int | float)):
                problems.append(Problem(rel, f"field '{name}' has a {bound} that is not a number", f"write the {bound} as a number, without quotes",
                                        line=_line_of(text, bound, cons[bound]) or line, code="schema.invalid"))
    for key in [k for k in _names(schema.get("primaryKey", [])) if k not in names]:
        problems.append(Problem(rel, f"primaryKey names '{key}', which is not a field", "name an existing field", line=_line_of(text, "primaryKey", [key]), code="schema.invalid"))
    for i, fk in enumerate(schema.get("foreignKeys", [])):
        fields, ref_fields = _names(fk["fields"]), _names(fk["reference"]["fields"])
        for key in [k for k in fields if k not in names]:
            problems.append(Problem(rel, f"foreignKey names '{key}', which is not a field", "name an existing field", code="schema.invalid"))
        if len(fields) != 1 or len(ref_fields) != 1:
            # Refused rather than half-checked: validate, incremental validation, drafts and the
            # SQLite build all compare one column with one column.
            problems.append(Problem(rel, f"foreign key #{i + 1} ({', '.join(fields)} -> {', '.join(ref_fields)}) has more than one column: badia checks foreign keys of one column",
                                    "refer to the other table's key through one column (an id column), or ask the maintainers to support composite foreign keys",
                                    line=_nth_line(text, '"reference"', i), code="schema.foreign-key"))
    return problems


# Names that become file names (csv/<resource>.csv), SQL identifiers, URL paths and HTML ids;
# URLs that become links on every page. Checked here, whatever the Table Schema and Data Package
# specifications allow, so that no later step has to trust them.
SAFE_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
SAFE_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f\"'<>\\`]+")
URL_KEYS = (("homepage",), ("image",), ("licenses", "path"), ("sources", "path"), ("contributors", "path"))


def _unsafe_names_and_urls(package: Package, text: str) -> list[Problem]:
    """Resource and field names outside SAFE_NAME, and descriptor URLs that are not http(s)."""
    problems = []
    for res in package.descriptor.get("resources", []):
        name = res.get("name") if isinstance(res, dict) else None
        if isinstance(name, str) and not SAFE_NAME.fullmatch(name):
            problems.append(Problem("datapackage.json", f"resource name {name!r} is not allowed", "use lower-case letters, digits and '_', "
                                    "starting with a letter (at most 63 characters): the name becomes a file and a table name",
                                    line=_line_of(text, "name", name), column="name", value=name, code="package.name"))
    for res in package.resources.values():
        schema_text = text if res.schema_path == "datapackage.json" else (package.root / res.schema_path).read_text(encoding="utf-8")
        for fdef in res.fields:
            if not SAFE_NAME.fullmatch(str(fdef.name)):
                problems.append(Problem(res.schema_path, f"field name {fdef.name!r} is not allowed", "use lower-case letters, digits and '_', "
                                        "starting with a letter (at most 63 characters): the name becomes a column of the database",
                                        line=_line_of(schema_text, "name", fdef.name), column="name", value=str(fdef.name), code="schema.name"))
    for keys in URL_KEYS:
        entries = package.descriptor.get(keys[0])
        values = [entries] if len(keys) == 1 else [e.get(keys[1]) for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
        for value in values:
            if value is not None and not (isinstance(value, str) and SAFE_URL.fullmatch(value)):
                problems.append(Problem("datapackage.json", f"{'.'.join(keys)} {value!r} is not an http(s) address", "write a full http:// or https:// "
                                        "address (it becomes a link on every page of the site)", line=_line_of(text, keys[-1], value),
                                        column=".".join(keys), value=str(value), code="package.url"))
    return problems


def _nth_line(text: str, needle: str, n: int) -> int | None:
    """The line of the n-th (from 0) occurrence of `needle` in `text`."""
    at = -1
    for _ in range(n + 1):
        at = text.find(needle, at + 1)
        if at < 0:
            return None
    return text.count("\n", 0, at) + 1


def _check_references(package: Package) -> list[Problem]:
    """Every foreign key points at a table of the package and at a field that table has."""
    problems = []
    for res in package.resources.values():
        for fk in res.foreign_keys:
            target = package.resources.get(fk.resource)
            if target is None:
                problems.append(Problem(res.schema_path, f"foreign key refers to resource '{fk.resource}', which is not in datapackage.json",
                                        "name one of: " + ", ".join(package.resources), line=_line_of((package.root / res.schema_path).read_text(encoding="utf-8"), "resource", fk.resource), code="schema.foreign-key"))
            elif fk.reference_field not in target.field_names:
                problems.append(Problem(res.schema_path, f"foreign key refers to field '{fk.reference_field}', which {target.schema_path} does not have",
                                        "name one of its fields: " + ", ".join(target.field_names), code="schema.foreign-key"))
    return problems


def load_package(root: Path | str) -> Package:
    """Read datapackage.json and every schema it references; raise UnusableInput if they are broken."""
    root = Path(root)
    if not root.is_dir():
        raise UnusableInput([Problem(str(root), "no such dataset folder", "run from the dataset's root or pass --root DIR", code="package.missing")])
    descriptor, text = _load_json(root / "datapackage.json", "datapackage.json")
    problems: list[Problem] = []
    package = Package(root=root, descriptor=descriptor)
    resources = descriptor.get("resources")
    if not isinstance(resources, list) or not resources:
        raise UnusableInput([Problem("datapackage.json", "no 'resources' list", "list one resource per table in data/", code="package.invalid")])
    for i, res in enumerate(resources):
        if not isinstance(res, dict) or not isinstance(res.get("name"), str) or not isinstance(res.get("path"), str):
            problems.append(Problem("datapackage.json", f"resource #{i + 1} needs a 'name' and a 'path'", "each resource is an object with at least a name, a path and a schema",
                                    line=_line_of(text, "name", res.get("name")) if isinstance(res, dict) else None, code="package.invalid"))
            continue
        name, path, schema_ref = res["name"], res["path"], res.get("schema")
        if inside(root, path) is None:
            problems.append(Problem("datapackage.json", f"resource '{name}' path '{path}' is outside the dataset", "use a relative path under data/",
                                    line=_line_of(text, "path", path), code="package.path"))
            continue
        if isinstance(schema_ref, str):
            if inside(root, schema_ref) is None:
                problems.append(Problem("datapackage.json", f"resource '{name}' schema '{schema_ref}' is outside the dataset", "use a relative path under schemas/",
                                        line=_line_of(text, "schema", schema_ref), code="package.path"))
                continue
            try:
                schema, schema_text = _load_json(root / schema_ref, schema_ref)
            except UnusableInput as e:
                problems.extend(e.problems)
                continue
            schema_rel = schema_ref
        elif isinstance(schema_ref, dict):
            schema, schema_rel, schema_text = schema_ref, "datapackage.json", text
        else:
            problems.append(Problem("datapackage.json", f"resource '{name}' has no schema", "point 'schema' to its file in schemas/", code="package.invalid"))
            continue
        schema_problems = _check_schema(schema_rel, schema, schema_text)
        problems.extend(schema_problems)
        if not schema_problems:
            package.resources[name] = Resource(name, path, schema_rel, schema)
    if problems:
        raise UnusableInput(problems)
    import frictionless  # here, not at the top: `badia serve` and friends need not load it

    report = frictionless.Package.validate_descriptor(descriptor)
    problems = [Problem("datapackage.json", f"not a valid Data Package: {error.note}", "compare with the Data Package specification (specs.frictionlessdata.io/data-package) or restore the file from git",
                        code="package.invalid") for error in report.errors]
    problems += _check_references(package)
    problems += _unsafe_names_and_urls(package, text)
    if problems:
        raise UnusableInput(problems)
    return package
