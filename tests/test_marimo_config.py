"""marimo.toml: its rules are accurate to the code, and it reaches marimo.

marimo 0.25 reads `[tool.marimo]` from the nearest pyproject.toml (project layer) and
`~/.config/marimo/marimo.toml` (user layer), never a project file called `marimo.toml`. The
checkout reaches marimo through the generated `[tool.marimo]` block; the image through the
user-layer copy the Dockerfile makes. Both are checked with `marimo config show`.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import importlib
import keyword
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import marimo
import pytest

from stargazer.cli.main import COMMANDS
from stargazer.testing import checkout_root
from stargazer.types import Alignment, Asset
from stargazer.types.base import REGISTRY

REPO_ROOT = checkout_root()

CONFIG = tomllib.loads((REPO_ROOT / "marimo.toml").read_text())
RULES = CONFIG["ai"]["rules"]
SYNC = REPO_ROOT / "scripts" / "sync_marimo_config.py"

#: Example names in the rules that stand for a value, mapped to the class they stand for
#: (None: a value whose attributes are not checked, such as a Flyte run or a task).
PLACEHOLDERS: dict[str, type | None] = {
    "alignment": Alignment,
    "asset": Asset,
    "app": marimo.App,
    "run": None,
    "task": None,
    "value": None,
    "out": None,
}
ASSET_FIELDS = {f.name for f in dataclasses.fields(Asset)} | {"create", "fetch", "load"}


def _marimo_config_show(cwd: Path, home: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CONFIG_HOME",)}
    env["HOME"] = str(home)
    result = subprocess.run(
        [str(Path(sys.executable).with_name("marimo")), "config", "show"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)


def _assert_shows_stargazer(shown: str) -> None:
    assert "[mcp.mcpServers.stargazer]" in shown
    assert 'command = "stargazer"' in shown
    assert 'args = ["mcp"]' in shown
    assert "You are helping a researcher in Stargazer" in shown


def test_marimo_config_show_from_the_repo_root_shows_rules_and_mcp_server(tmp_path):
    shown = _marimo_config_show(REPO_ROOT, tmp_path)
    project = shown.split("User config from")[0]
    assert f"Project overrides from {REPO_ROOT / 'pyproject.toml'}" in project
    _assert_shows_stargazer(project)


def test_image_user_config_reaches_marimo_without_a_pyproject(tmp_path):
    """The Dockerfile copies marimo.toml to the user config of the image's user."""
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    destination = re.search(r"^COPY .*marimo\.toml (\S+)$", dockerfile, flags=re.MULTILINE)
    assert destination, "the Dockerfile does not copy marimo.toml"
    home = Path(re.search(r"^WORKDIR (/home/\w+)/", dockerfile, flags=re.MULTILINE).group(1))
    relative = Path(destination.group(1)).relative_to(home)
    assert relative == Path(".config/marimo/marimo.toml")
    fake_home, workspace = tmp_path / "home", tmp_path / "workspace"
    (fake_home / relative).parent.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "marimo.toml", fake_home / relative)
    workspace.mkdir()
    shown = _marimo_config_show(workspace, fake_home)
    assert "Project overrides" not in shown
    assert f"User config from {fake_home / relative}" in shown
    _assert_shows_stargazer(shown)


def test_pyproject_block_matches_marimo_toml():
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    assert pyproject["tool"]["marimo"] == CONFIG
    result = subprocess.run([sys.executable, str(SYNC), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_sync_check_fails_when_marimo_toml_changes(tmp_path):
    for name in ("marimo.toml", "pyproject.toml"):
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    edited = (tmp_path / "marimo.toml").read_text().replace('args = ["mcp"]', 'args = ["mcp2"]')
    (tmp_path / "marimo.toml").write_text(edited)
    check = [sys.executable, str(SYNC), "--root", str(tmp_path), "--check"]
    result = subprocess.run(check, capture_output=True, text=True)
    assert result.returncode == 1
    assert "out of date" in result.stderr
    subprocess.run([sys.executable, str(SYNC), "--root", str(tmp_path)], check=True)
    synced = tomllib.loads((tmp_path / "pyproject.toml").read_text())
    assert synced["tool"]["marimo"]["mcp"]["mcpServers"]["stargazer"]["args"] == ["mcp2"]
    assert synced["project"]["name"] == "stargazer"
    assert subprocess.run(check, capture_output=True).returncode == 0


def test_mcp_server_is_the_stargazer_mcp_command():
    server = CONFIG["mcp"]["mcpServers"]["stargazer"]
    assert [server["command"], *server["args"]] == ["stargazer", "mcp"]
    assert "mcp" in COMMANDS


# -- every name the rules use exists --------------------------------------------------------


def _resolve(chain: list[str], where: str) -> None:
    root = chain[0]
    if root in PLACEHOLDERS:
        cls = PLACEHOLDERS[root]
        if cls is not None and len(chain) > 1:
            assert hasattr(cls, chain[1]), f"{where}: {cls.__name__} has no {chain[1]!r}"
        return
    for size in range(len(chain), 0, -1):
        try:
            obj = importlib.import_module(".".join(chain[:size]))
        except ModuleNotFoundError:
            continue
        for attribute in chain[size:]:
            assert hasattr(obj, attribute), f"{where}: {'.'.join(chain)} does not exist"
            obj = getattr(obj, attribute)
        return
    public = set(importlib.import_module("stargazer.types").__all__)
    public |= set(importlib.import_module("stargazer.config").__all__)
    known = public | ASSET_FIELDS | set(dir(builtins)) | set(keyword.kwlist)
    assert root in known, f"{where}: {root!r} is not a Stargazer name, module or builtin"


def _chains(tree: ast.AST) -> list[list[str]]:
    chains = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute | ast.Name) and isinstance(node.ctx, ast.Load):
            parts, current = [], node
            while isinstance(current, ast.Attribute):
                parts.insert(0, current.attr)
                current = current.value
            if isinstance(current, ast.Name):
                chains.append([current.id, *parts])
    # keep only maximal chains (a.b.c, not also a.b and a)
    return [c for c in chains if not any(len(o) > len(c) and o[: len(c)] == c for o in chains)]


def _imported(tree: ast.AST) -> dict[str, object]:
    names: dict[str, object] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = importlib.import_module(node.module)
            for alias in node.names:
                assert hasattr(module, alias.name), f"{node.module} has no {alias.name}"
                names[alias.asname or alias.name] = getattr(module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name] = importlib.import_module(alias.name)
    return names


def _check_code(source: str, where: str) -> None:
    wrapped = "async def _snippet():\n" + "\n".join(f"    {line}" for line in source.splitlines())
    tree = ast.parse(wrapped)
    imported = _imported(tree)
    bound = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    bound |= {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "assemble":
            for kw in node.keywords:
                if kw.arg == "kind" and isinstance(kw.value, ast.Constant):
                    assert kw.value.value in REGISTRY, f"{where}: no asset kind {kw.value.value!r}"
    for chain in _chains(tree):
        if chain[0] in imported:
            obj = imported[chain[0]]
            for attribute in chain[1:]:
                assert hasattr(obj, attribute), f"{where}: {'.'.join(chain)} does not exist"
                obj = getattr(obj, attribute)
        elif chain[0] in bound and chain[0] not in PLACEHOLDERS:
            continue
        else:
            _resolve(chain, where)


def _inline_references() -> list[str]:
    prose = re.sub(r"```python\n.*?```", "", RULES, flags=re.DOTALL)
    return re.findall(r"`([^`]+)`", prose)


def test_code_blocks_in_the_rules_import_and_decorate_real_names():
    blocks = re.findall(r"```python\n(.*?)```", RULES, flags=re.DOTALL)
    assert blocks
    for block in blocks:
        tree = ast.parse(block)
        for node in ast.walk(tree):
            if isinstance(node, ast.AsyncFunctionDef):
                (decorator,) = node.decorator_list
                assert ast.unparse(decorator) in ("gatk_env.task", "scrna_env.task")
        _check_code(block, "code block")


@pytest.mark.parametrize("reference", _inline_references())
def test_every_inline_reference_exists(reference: str):
    text = reference.strip()
    if text.startswith("stargazer ") or text == "stargazer mcp":
        command = text.split()[1]
        assert command in COMMANDS, f"`{text}`: no `stargazer {command}` command"
    elif "/" in text and " " not in text:
        path = REPO_ROOT / text.rstrip("/")
        assert path.exists(), f"`{text}`: no such path in the repo"
    elif text.startswith("@"):
        _check_code(text[1:], f"`{text}`")
    elif text == "async def" or keyword.iskeyword(text):
        return
    elif re.fullmatch(r"\w+=\[\.\.\.\]", text):
        assert text.split("=")[0] in ASSET_FIELDS, f"`{text}`: not an asset field"
    else:
        _check_code(text, f"`{text}`")


def test_kinds_and_metadata_listed_in_the_rules_match_the_types():
    paragraph = RULES.split("Kinds and their metadata:")[1].split("Unknown metadata")[0]
    listed = dict(re.findall(r"(\w+) \(([^)]*)\)", " ".join(paragraph.split())))
    assert set(listed) == set(REGISTRY), "the rules must list every asset kind"
    for kind, fields in listed.items():
        cls = REGISTRY[kind]
        metadata, _, companions = fields.partition(";")
        names = {n for n in re.split(r",| or ", metadata) if n.strip()}
        for name in names:
            assert name.strip() in cls.metadata_fields(), f"{kind}: no metadata field {name}"
        roles = {r.replace("companion", "").strip() for r in companions.split(",") if r.strip()}
        assert roles <= set(cls.roles), f"{kind}: companion roles {roles} vs {cls.roles}"
