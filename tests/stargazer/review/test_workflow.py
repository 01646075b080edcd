"""The promote-review workflow: what it runs, and that `make lint` validates it offline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from stargazer.testing import checkout_root

REPO_ROOT = checkout_root()

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "promote-review.yml"
CHECK = [str(Path(sys.executable).parent / "check-jsonschema"), "--builtin-schema"]
CHECK += ["vendor.github-workflows"]


def test_runs_lint_tests_and_the_posted_review_on_promote_branches():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert "pull_request" in triggers and "pull_request_target" not in triggers
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    job = workflow["jobs"]["review"]
    assert job["if"] == "startsWith(github.head_ref, 'promote/')"
    runs = [step.get("run", "") for step in job["steps"]]
    assert "make lint" in runs and "make test" in runs
    [review] = [step for step in job["steps"] if "stargazer review" in step.get("run", "")]
    assert "--post" in review["run"] and review["if"] == "${{ !cancelled() }}"
    assert review["env"]["GH_TOKEN"] == "${{ github.token }}"


def test_make_lint_checks_the_workflow_against_githubs_schema(tmp_path: Path):
    hooks = yaml.safe_load((REPO_ROOT / ".pre-commit-config.yaml").read_text())
    [hook] = [
        h for repo in hooks["repos"] for h in repo["hooks"] if h["id"] == "check-github-workflows"
    ]
    assert hook["entry"] == ".venv/bin/check-jsonschema --builtin-schema vendor.github-workflows"
    ok = subprocess.run([*CHECK, str(WORKFLOW)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("runs-on: ubuntu-latest", "runs_on: ubuntu"))
    bad = subprocess.run([*CHECK, str(broken)], capture_output=True, text=True, check=False)
    assert bad.returncode == 1
    assert "runs_on" in bad.stdout + bad.stderr
