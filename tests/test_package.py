"""The committed dataset is valid, by our validator and by the stock frictionless CLI."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_badia, run_badia_process


def test_committed_data_validates():
    result = run_badia("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid: no problems found" in result.stdout


@pytest.mark.e2e
def test_the_installed_command_validates_the_committed_data():
    """`python -m badia` in a fresh interpreter, as a contributor runs it (the fast tier calls cli.main)."""
    result = run_badia_process("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "valid: no problems found"


@pytest.mark.e2e
def test_stock_frictionless_validate_passes():
    frictionless = Path(sys.executable).with_name("frictionless")
    result = subprocess.run([str(frictionless), "validate", "--json", "datapackage.json"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    report = json.loads(result.stdout)
    assert report["valid"], json.dumps([t["errors"][:3] for t in report["tasks"] if not t["valid"]], indent=1)[:3000]
    assert result.returncode == 0


def test_every_field_is_described_and_every_resource_has_a_schema_file():
    package = json.loads((ROOT / "datapackage.json").read_text())
    for key in ("name", "title", "version", "licenses", "sources", "contributors"):
        assert package.get(key), key
    for resource in package["resources"]:
        schema = json.loads((ROOT / resource["schema"]).read_text())
        assert schema["description"]
        for field in schema["fields"]:
            assert field.get("description"), (resource["name"], field["name"])


def test_seeds_are_byte_identical_to_the_originals():
    shared = ROOT.parent / "shared" / "seeds"
    if not shared.is_dir():
        import pytest
        pytest.skip("../shared/seeds is not beside this checkout")
    for original in shared.glob("*.txt"):
        assert (ROOT / "seeds" / original.name).read_bytes() == original.read_bytes(), original.name
