"""The devcontainer: valid JSONC against the spec's schema, shaped as the Dockerfile is.

Its lifecycle is checked inside the real image, not here: `make image-check`
(scripts/image_check.sh `dev`) brings it up with @devcontainers/cli and checks that
onCreateCommand and postStartCommand succeeded, that an edit under src/ is seen, that the
notebook server answers, that `git status` is clean, and runs `make lint` and these tests
inside. What stays here needs no container: the file against the schema, the stage it builds,
the commands it names, and the ignore rules the lifecycle relies on.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from stargazer.testing import checkout_root

REPO_ROOT = checkout_root()

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


def test_builds_the_dev_stage_over_note_and_points_vscode_at_its_environment():
    config = load()
    dockerfile = (DEVCONTAINER.parent / config["build"]["dockerfile"]).resolve()
    assert dockerfile == REPO_ROOT / "Dockerfile"
    found = re.findall(r"^FROM (\S+) AS (\w+)", dockerfile.read_text(), flags=re.MULTILINE)
    parents = {name: parent for parent, name in found}
    assert config["build"]["target"] == "dev" and parents["dev"] == "note"
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


def test_image_check_runs_the_lifecycle_inside_the_container():
    script = (REPO_ROOT / "scripts" / "image_check.sh").read_text()
    dev = script.split("check_devcontainer() {")[1].split("\n}\n")[0]
    assert '"$cli" up --workspace-folder' in dev and '"$cli" exec' in dev
    for check in (".stargazer-installed", "note.pid", "git status --porcelain", "make lint"):
        assert check in dev, check
    assert "check_devcontainer" in script.split("all)")[1].split(";;")[0]


def test_gitignore_matches_the_venv_symlink_create_makes(tmp_path):
    """`scripts/devcontainer.sh create` links .venv to the image's environment: a symlink."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    shutil.copy(REPO_ROOT / ".gitignore", tmp_path / ".gitignore")
    (tmp_path / ".venv").symlink_to(sys.prefix)
    (tmp_path / ".stargazer").mkdir()
    (tmp_path / ".stargazer" / "note.log").write_text("x")
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert status.split() == ["??", ".gitignore"], status
