"""Allowed roots: the workspace and the listed data folders, checked after resolving symlinks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stargazer.access import DATA_DIRS_ENV, MAX_PATH_CHARS, allowed_roots, check_path, is_loopback


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    workspace = tmp_path / "workspace"
    data = tmp_path / "data"
    (workspace / "sub").mkdir(parents=True)
    data.mkdir()
    (workspace / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (workspace / "sub" / "a.fq").write_text("@r\nA\n+\nI\n")
    (data / "b.fq").write_text("@r\nA\n+\nI\n")
    monkeypatch.chdir(workspace / "sub")
    monkeypatch.delenv(DATA_DIRS_ENV, raising=False)
    return workspace.resolve(), data.resolve()


def test_the_workspace_is_allowed_and_symlinks_out_of_it_are_not(layout):
    workspace, data = layout
    assert allowed_roots() == (workspace,)
    assert check_path("a.fq") == workspace / "sub" / "a.fq"
    (workspace / "escape.fq").symlink_to(data / "b.fq")
    (workspace / "up").symlink_to(data)
    for path in (data / "b.fq", workspace / "escape.fq", workspace / "up" / "b.fq", "/etc/passwd",
                 workspace / ".." / "data" / "b.fq"):  # fmt: skip
        with pytest.raises(PermissionError) as refused:
            check_path(path)
        message = str(refused.value)
        assert str(workspace) in message and DATA_DIRS_ENV in message
        assert "[tool.stargazer]" in message


def test_data_folders_from_the_environment_and_pyproject(layout, monkeypatch, tmp_path):
    workspace, data = layout
    monkeypatch.setenv(DATA_DIRS_ENV, os.pathsep.join([str(data), "", str(tmp_path / "nope")]))
    assert allowed_roots() == (workspace, data, tmp_path.resolve() / "nope")
    assert check_path(data / "b.fq") == data / "b.fq"
    monkeypatch.delenv(DATA_DIRS_ENV)
    (workspace / "pyproject.toml").write_text('[tool.stargazer]\ndata_dirs = ["../data"]\n')
    assert allowed_roots() == (workspace, data)
    (workspace / "pyproject.toml").write_text('[tool.stargazer]\ndata_dirs = "../data"\n')
    with pytest.raises(ValueError, match="data_dirs must be a list of folder paths"):
        allowed_roots()


def test_oversized_and_malformed_paths_are_refused_with_a_reason(layout):
    huge = "/" + "a" * (1024 * 1024)
    with pytest.raises(ValueError, match=rf"too long: {len(huge)} characters, at most 4096") as e:
        check_path(huge)
    assert len(str(e.value)) < 300
    assert check_path("x" * (MAX_PATH_CHARS - 10)).name.startswith("x")
    with pytest.raises(ValueError, match="NUL byte"):
        check_path("a\x00b")
    with pytest.raises(ValueError, match="empty"):
        check_path("  ")


def test_loopback_hosts():
    assert all(map(is_loopback, ["127.0.0.1", "127.0.0.2", "::1", "localhost", "[::1]"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "192.168.1.2", "example.org", ""]))


def test_notebook_file_pickers_open_only_allowed_roots():
    """Every file picker starts at an allowed root, cannot leave it, and picks are re-checked."""
    import ast

    from stargazer.testing import checkout_root

    REPO_ROOT = checkout_root()

    notebooks = sorted((REPO_ROOT / "notebooks").rglob("*.py"))
    pickers = 0
    for notebook in notebooks:
        source = notebook.read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "mo.ui.file_browser":
                pickers += 1
                options = {k.arg: ast.unparse(k.value) for k in node.keywords}
                assert options.get("restrict_navigation") == "True", notebook
                assert options.get("initial_path") == "Path(data_root.value)", notebook
                assert "data_root = mo.ui.dropdown(roots" in source
                assert "roots = [str(root) for root in allowed_roots()]" in source
                assert "check_path(entry.path) for entry in browse.value" in source
    assert pickers >= 2
