"""The folders follow the data's journey and imports run one way along it:

    problems, files  <-  dataset  <-  validate  <-  curate
                                               <-  publish  ->  site (its build-time API)
    site reads dataset only; nothing imports cli (but __main__).

Every import in every module is read (ast, so imports inside functions count too)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "src" / "badia"
BASE = {"problems", "files"}
# For each stage (the first part of a module's name under badia/), the stages it may import.
MAY_IMPORT = {
    "problems": set(),
    "files": set(),
    "lock": {"problems"},  # the write lock: taken by cli around every command that writes
    "dataset": BASE | {"dataset"},
    "validate": BASE | {"dataset", "validate"},
    "curate": BASE | {"dataset", "validate", "curate"},
    "publish": BASE | {"dataset", "validate", "publish", "site"},
    "site": BASE | {"dataset", "site"},
    "cli": BASE | {"dataset", "validate", "curate", "publish", "site", "lock"},
    "__main__": {"cli"},
    "__init__": set(),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.is_dir() or path.with_suffix(".py").is_file()


def stage(module: str) -> str:
    """'badia.validate.checks' -> 'validate'; 'badia' -> '__init__'."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every badia module that `path` imports, anywhere in it."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from badia.site import views` imports the module badia.site.views, not only the package
            found += [(node.lineno, f"{target}.{alias.name}" if is_module(f"{target}.{alias.name}") else target) for alias in node.names]
    return [(line, name) for line, name in found if name == "badia" or name.startswith("badia.")]


def wrong_way_imports() -> list[str]:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        here = stage(module_name(path))
        assert here in MAY_IMPORT, f"{path.relative_to(PACKAGE.parent).as_posix()}: a new top-level module or folder; add it to MAY_IMPORT in tests/test_layout.py"
        for line, target in imported_modules(path):
            there = stage(target)
            if there != here and there not in MAY_IMPORT[here]:
                wrong.append(f"{path.relative_to(PACKAGE.parent).as_posix()}:{line}: {here} imports {target} ({there} is not below {here})")
    return wrong


def test_imports_run_one_way() -> None:
    wrong = wrong_way_imports()
    assert not wrong, "imports against the order dataset <- validate <- {curate, publish}; publish -> site:\n" + "\n".join(wrong)


def test_the_checker_sees_a_wrong_way_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule itself can fail: a copy of the package with one upward import is caught."""
    import shutil

    copy = tmp_path / "badia"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    checks = copy / "validate" / "checks.py"
    checks.write_text(checks.read_text(encoding="utf-8") + "\n\ndef _late():\n    from badia.curate import assist\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", copy)
    wrong = wrong_way_imports()
    assert len(wrong) == 1 and "validate imports badia.curate.assist" in wrong[0], wrong


@pytest.mark.e2e
def test_validate_loads_no_curation_module() -> None:
    """`badia validate` on the seed data imports nothing from curate/ (the assistant's text rules)
    nor publish/ or site/: shown by the interpreter's own import log."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "badia", "--root", str(ROOT), "validate"],
                            capture_output=True, text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stdout + result.stderr
    loaded = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    ours = sorted(name for name in loaded if name == "badia" or name.startswith("badia."))
    assert "badia.validate.checks" in ours, ours  # the log is the one of a real validation
    assert [name for name in ours if stage(name) in ("curate", "publish", "site")] == [], ours
