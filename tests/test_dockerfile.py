"""The Dockerfile: hadolint-clean, shaped as the design says, and its commands work here.

The images themselves are built and run by `make image-check` (in CI, after `make test`);
here the image's commands are run directly, so a broken step shows up in the test suite too:
the install steps are `scripts/package.sh build` + `install`, which `make wheel-check` runs in
CI (.ci/run); the entrypoint and the health check are run below against a workspace laid out
like the image's, with marimo.toml where the image puts it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stargazer.testing import checkout_root, free_port

REPO_ROOT = checkout_root()

DOCKERFILE = REPO_ROOT / "Dockerfile"
TEXT = DOCKERFILE.read_text()
HADOLINT = Path(sys.executable).with_name("hadolint")


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", text)
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def _stage(name: str) -> list[tuple[str, str]]:
    stages: dict[str, list[tuple[str, str]]] = {}
    current = None
    for instruction, args in _instructions(TEXT):
        if instruction == "FROM":
            current = args.split(" AS ")[-1].strip()
            stages[current] = []
        if current:
            stages[current].append((instruction, args))
    return stages[name]


def _last(stage_names: list[str], instruction: str) -> str:
    found = [a for s in stage_names for i, a in _stage(s) if i == instruction]
    assert found, f"no {instruction} in {stage_names}"
    return found[-1]


def test_hadolint_passes():
    result = subprocess.run([str(HADOLINT), str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_catches_a_bad_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /tmp && pip install flask\n")
    result = subprocess.run([str(HADOLINT), str(bad)], capture_output=True, text=True)
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # :latest


def test_pre_commit_runs_hadolint_on_the_dockerfile():
    config = (REPO_ROOT / ".pre-commit-config.yaml").read_text()
    hook = config.split("id: hadolint")[1].split("- id:")[0]
    assert "entry: .venv/bin/hadolint" in hook
    files = re.search(r"files: (\S+)", hook).group(1)
    assert re.search(files, "Dockerfile")


def test_stages_base_then_note_from_pip_only_then_dev():
    froms = [args for instruction, args in _instructions(TEXT) if instruction == "FROM"]
    assert [f.split(" AS ")[-1] for f in froms] == ["base", "note", "dev"]
    assert froms[1].startswith("base ") and froms[2].startswith("note ")
    runs = " ".join(args for instruction, args in _stage("base") if instruction == "RUN")
    assert "scripts/package.sh build" in runs and "scripts/package.sh install" in runs
    for stage in ("base", "note"):
        stage_runs = " ".join(args for instruction, args in _stage(stage) if instruction == "RUN")
        assert not re.search(r"\b(conda|mamba|apt-get|curl|wget)\b", stage_runs), stage
    assert "-e " not in runs and "--editable" not in runs


def test_base_compiles_the_scrna_numba_code_and_makes_the_store_folder():
    runs = [args for instruction, args in _stage("base") if instruction == "RUN"]
    assert any("python -m stargazer.tasks.scrna.warm_up" in run for run in runs)
    assert "/home/stargazer/workspace/.stargazer" in runs[0]
    assert "-o stargazer -g stargazer" in runs[0]


def test_dev_stage_adds_the_dev_hats_tools_and_returns_to_the_user():
    dev = _stage("dev")
    runs = " ".join(args for instruction, args in dev if instruction == "RUN")
    for package in ("git", "make", "chromium", "libatomic1", "bwa"):
        assert re.search(rf"\b{package}\b", runs), package
    assert [args for instruction, args in dev if instruction == "USER"][-1] == "1000:1000"
    assert not [i for i, _ in dev if i in ("ENTRYPOINT", "CMD", "COPY")]


@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        ("notebooks/scratch/my_experiment.py", True),
        ("notebooks/scratch/template.py", False),
        ("notebooks/welcome.py", False),
        ("src/stargazer/__init__.py", False),
        ("src/stargazer/__pycache__/config.cpython-311.pyc", True),
        (".venv", True),
        (".stargazer/index.sqlite", True),
        (".git/HEAD", True),
        (".flyte/local-cache/cache.db", True),
        ("notebooks/__marimo__/session.json", True),
        (".mypy_cache/3.11/x.json", True),
        ("pyproject.toml", False),
    ],
)
def test_dockerignore_keeps_scratch_work_and_caches_out_of_the_build(path, ignored):
    from flyte._internal.imagebuild.docker import PatternMatcher

    lines = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert PatternMatcher(patterns).matches(path) is ignored


def test_install_steps_are_the_ones_ci_runs():
    makefile = (REPO_ROOT / "Makefile").read_text()
    target = makefile.split("\nwheel-check:")[1].split("\n\n")[0]
    assert "scripts/package.sh check" in target
    package = (REPO_ROOT / "scripts" / "package.sh").read_text()
    check = package.split("check() {")[1].split("\n}")[0]
    assert "build " in check and "install " in check and "notebooks " in check
    assert "make wheel-check" in (REPO_ROOT / ".ci" / "run").read_text()


def test_note_runs_as_a_non_root_user_on_port_8080_with_a_health_check():
    user = _last(["base", "note"], "USER")
    assert user.split(":")[0] not in ("0", "root")
    assert _last(["note"], "EXPOSE") == "8080"
    healthcheck = _last(["note"], "HEALTHCHECK")
    assert "127.0.0.1:8080/health" in healthcheck
    entrypoint = json.loads(_last(["note"], "ENTRYPOINT"))
    assert entrypoint == ["stargazer", "note", "--host", "0.0.0.0", "--port", "8080"]
    assert json.loads(_last(["note"], "CMD")) == ["notebooks"]
    assert "--no-token" not in entrypoint


def _descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(parent)], capture_output=True)
        children = [int(p) for p in out.stdout.split()]
        found += children
        queue += children
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return ""


@pytest.mark.timeout(120)
def test_entrypoint_serves_the_notebooks_healthcheck_passes_and_mcp_server_starts(tmp_path):
    """The image's ENTRYPOINT + CMD and HEALTHCHECK, run against an image-shaped workspace."""
    home, workspace, port = tmp_path / "home", tmp_path / "workspace", free_port()
    shutil.copytree(REPO_ROOT / "notebooks", workspace / "notebooks")
    (workspace / ".flyte").mkdir(parents=True)
    shutil.copy(REPO_ROOT / ".flyte" / "config.yaml", workspace / ".flyte" / "config.yaml")
    (home / ".config" / "marimo").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "marimo.toml", home / ".config" / "marimo" / "marimo.toml")
    bin_dir = Path(sys.executable).parent
    command = json.loads(_last(["note"], "ENTRYPOINT")) + json.loads(_last(["note"], "CMD"))
    command = [c.replace("8080", str(port)) for c in command]
    command[0] = str(bin_dir / command[0])
    env = {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",  # like the image: only what the entrypoint puts on PATH
        "STARGAZER_HOME": str(workspace / ".stargazer"),
    }
    process = subprocess.Popen(
        command,
        cwd=workspace,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    healthcheck = _last(["note"], "HEALTHCHECK").split(" CMD ", 1)[1]
    probe = [c.replace("8080", str(port)) for c in json.loads(healthcheck)]
    probe[0] = str(bin_dir / probe[0])
    try:
        deadline = time.monotonic() + 60
        while subprocess.run(probe, capture_output=True).returncode != 0:
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "HEALTHCHECK did not pass within 60 s"
            time.sleep(0.5)
        mcp = []
        while not mcp and time.monotonic() < deadline:
            mcp = [p for p in _descendants(process.pid) if "stargazer mcp" in _cmdline(p)]
            time.sleep(0.5)
        assert mcp, "marimo did not start the `stargazer mcp` server from marimo.toml"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    assert f"http://localhost:{port}/?access_token=" in output
    assert "MCP servers" in output and "stargazer" in output, shlex.quote(output[-2000:])
