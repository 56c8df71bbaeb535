"""The GitHub Actions workflows: every one passes a real linter (check-jsonschema with the GitHub
workflow schema it vendors), and the pull-request workflow does what CONTRIBUTING.md promises;
its validate step, run here as GitHub would run it, leaves annotations and a Markdown summary."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, edit_cell, read_table

pytestmark = pytest.mark.e2e  # the workflows' steps run by bash, as CI runs them

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
LINTER = Path(sys.executable).with_name("check-jsonschema")


def lint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINTER), "--builtin-schema", "vendor.github-workflows", str(path)],
                          capture_output=True, text=True, timeout=120)


def validate_workflow() -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / "validate.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_workflow_passes_the_linter(path: Path):
    result = lint(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_linter_refuses_a_broken_workflow(tmp_path: Path):
    """The linter is not a rubber stamp: a job without runs-on and a misspelt key fail it."""
    workflow = validate_workflow()
    job = workflow["jobs"]["validate"]
    del job["runs-on"]
    job["step"] = job.pop("steps")
    broken = tmp_path / "broken.yml"
    broken.write_text(yaml.safe_dump(workflow), encoding="utf-8")
    result = lint(broken)
    assert result.returncode != 0
    assert "runs-on" in result.stdout + result.stderr


def test_validate_workflow_runs_on_pull_requests_with_the_pinned_environment():
    workflow = validate_workflow()
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"pull_request", "push"} <= set(triggers)
    script = "\n".join(step.get("run", "") for step in workflow["jobs"]["validate"]["steps"])
    for command in ("-r requirements.lock", "--no-deps -e .", "badia validate --format github",
                    'badia validate --format markdown >> "$GITHUB_STEP_SUMMARY"', "frictionless validate datapackage.json", "bash .ci/run"):
        assert command in script, command
    assert (ROOT / ".ci" / "run").read_text(encoding="utf-8").rstrip().endswith("make test")


def step(name: str) -> str:
    return next(s["run"] for s in validate_workflow()["jobs"]["validate"]["steps"] if s.get("name") == name)


def test_validate_step_annotates_and_summarises_an_invalid_pull_request(dataset: Path, tmp_path: Path):
    edit_cell(dataset / "data" / "events.csv", 0, "event_type", "Battels")
    summary = tmp_path / "summary.md"
    env = dict(os.environ, GITHUB_STEP_SUMMARY=str(summary), PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(["bash", "-e", "-c", step("badia validate")], cwd=dataset, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "::error file=data/events.csv,line=2,col=5,title=constraint::" in result.stdout
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("### badia validate: 1 problem(s)")
    assert "| data/events.csv | 2 | event_type | 'Battels' |" in text


def test_validate_step_passes_on_valid_data(dataset: Path, tmp_path: Path):
    summary = tmp_path / "summary.md"
    env = dict(os.environ, GITHUB_STEP_SUMMARY=str(summary), PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(["bash", "-e", "-c", step("badia validate")], cwd=dataset, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No problems found." in summary.read_text(encoding="utf-8")


def test_diff_step_writes_the_data_change_against_the_base_branch(dataset: Path, tmp_path: Path):
    """The workflow's own step, run in a git repository whose base branch has the committed data
    and whose pull request changes one event's summary: the job summary shows that cell."""
    git = ["git", "-C", str(dataset), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(git[:3] + ["init", "-q", "-b", "base"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "base"], check=True)
    subprocess.run(git + ["update-ref", "refs/remotes/origin/base", "HEAD"], check=True)
    event = read_table(dataset, "events")[1][0]
    edit_cell(dataset / "data" / "events.csv", 0, "summary", "A reworded summary.")
    summary = tmp_path / "summary.md"
    env = dict(os.environ, GITHUB_STEP_SUMMARY=str(summary), BASE_REF="base", PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(["bash", "-e", "-c", step("badia diff against the base branch")], cwd=dataset, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("### badia diff: origin/base")
    assert f"| `{event['event_id']}` | summary | {event['summary']} | A reworded summary. |" in text
