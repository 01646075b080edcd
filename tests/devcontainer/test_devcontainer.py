"""The devcontainer: valid JSONC against the spec's schema, and its lifecycle commands run.

The lifecycle test recreates the container's situation without Docker: a copy of the
workspace (its own git repo), and a fresh virtualenv standing in for the image's environment
(/home/stargazer/venv), its dependencies taken from the shared .venv through a .pth file so
nothing is downloaded but pip and the build backend. Then it runs the commands exactly as
devcontainer.json names them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import jsonschema
import pytest
from tests.conftest import REPO_ROOT, free_port

DEVCONTAINER = REPO_ROOT / ".devcontainer" / "devcontainer.json"
SCHEMA = json.loads((Path(__file__).parent / "devcontainer.schema.json").read_text())
LIFECYCLE = ("onCreateCommand", "updateContentCommand", "postCreateCommand", "postStartCommand")


def strip_jsonc(text: str) -> str:
    """JSON with `//` and `/* */` comments removed (comment markers inside strings are kept)."""
    token = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.DOTALL)
    return token.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)


def load() -> dict:
    return json.loads(strip_jsonc(DEVCONTAINER.read_text()))


def test_parses_as_jsonc_and_validates_against_the_schema():
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    jsonschema.validate(load(), SCHEMA)


@pytest.mark.parametrize(
    "change",
    [
        {"forwardPorts": ["eighty"]},
        {"postStartCommand": 5},
        {"image": "stargazer:note"},
        {"forwardPort": [8080]},
        {"portsAttributes": {"8080": {"onAutoForward": "sometimes"}}},
    ],
    ids=["bad-port", "bad-command", "image-and-build", "typo", "bad-enum"],
)
def test_schema_refuses_broken_files(change):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**load(), **change}, SCHEMA)


def test_jsonc_stripping_keeps_urls_in_strings():
    assert json.loads(strip_jsonc('{"a": "http://x//y" // note\n}')) == {"a": "http://x//y"}


def test_builds_the_note_stage_and_points_vscode_at_its_environment():
    config = load()
    dockerfile = (DEVCONTAINER.parent / config["build"]["dockerfile"]).resolve()
    assert dockerfile == REPO_ROOT / "Dockerfile"
    stages = re.findall(r"^FROM \S+ AS (\w+)", dockerfile.read_text(), flags=re.MULTILINE)
    assert config["build"]["target"] in stages
    env = re.search(r"VIRTUAL_ENV=(\S+)", dockerfile.read_text()).group(1)
    vscode = config["customizations"]["vscode"]
    assert {"marimo-team.vscode-marimo", "ms-python.python", "charliermarsh.ruff"} <= set(
        vscode["extensions"]
    )
    assert vscode["settings"]["python.defaultInterpreterPath"] == f"{env}/bin/python"
    assert vscode["settings"]["marimo.pythonPath"] == f"{env}/bin/python"
    assert 8080 in config["forwardPorts"]
    assert config["portsAttributes"]["8080"]["label"]
    user = re.search(r"useradd .*? (\w+) \\?$", dockerfile.read_text(), flags=re.MULTILINE)
    assert user and user.group(1) == config["remoteUser"]


def _commands(config: dict) -> list[tuple[str, list[str] | str]]:
    found = []
    for key in LIFECYCLE:
        value = config.get(key)
        if value is None:
            continue
        parts = value.values() if isinstance(value, dict) else [value]
        found += [(key, part) for part in parts]
    return found


def test_every_lifecycle_command_names_an_existing_executable():
    for key, command in _commands(load()):
        program = command[0] if isinstance(command, list) else command.split()[0]
        path = REPO_ROOT / program
        assert path.is_file() and os.access(path, os.X_OK), f"{key}: {program} is not executable"


def _copy_workspace(target: Path) -> None:
    ignore = shutil.ignore_patterns(
        ".git", ".venv", ".stargazer", "local-cache", "__pycache__", "*.egg-info", "node_modules"
    )
    shutil.copytree(REPO_ROOT, target, ignore=ignore, symlinks=True)
    subprocess.run(["git", "init", "-q", str(target)], check=True)


def _fresh_env(venv: Path) -> dict[str, str]:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "ensurepip", "--default-pip"],
        check=True,
        capture_output=True,
    )
    site = next((venv / "lib").glob("python3*/site-packages"))
    shared = next((REPO_ROOT / ".venv" / "lib").glob("python3*/site-packages"))
    (site / "zz_shared_dependencies.pth").write_text(f"{shared}\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    return env


def _run(command: list[str] | str, cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        command, shell=isinstance(command, str), cwd=cwd, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-3000:]}{result.stderr}"
    return result.stdout


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_lifecycle_commands_run_on_a_fresh_environment(tmp_path):
    workspace, venv = tmp_path / "workspace", tmp_path / "venv"
    _copy_workspace(workspace)
    env = _fresh_env(venv)
    env["STARGAZER_NOTE_PORT"] = str(free_port())
    env["HOME"] = str(tmp_path / "home")
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-cache")
    config = load()
    try:
        for key, command in _commands(config):
            output = _run(command, workspace, env)
            if key == "postStartCommand":
                port = env["STARGAZER_NOTE_PORT"]
                assert f"http://localhost:{port}/?access_token=" in output
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as r:
                    assert r.status == 200
        assert (workspace / ".venv").resolve() == venv.resolve()
        where = _run(
            [str(venv / "bin" / "python"), "-c", "import stargazer; print(stargazer.__file__)"],
            tmp_path,
            env,
        )
        assert Path(where.strip()).resolve() == workspace / "src" / "stargazer" / "__init__.py"
        assert (workspace / ".git" / "hooks" / "pre-commit").is_file()
        assert (venv / ".stargazer-installed").is_file()
    finally:
        _run([str(workspace / "scripts" / "devcontainer.sh"), "stop"], workspace, env)
