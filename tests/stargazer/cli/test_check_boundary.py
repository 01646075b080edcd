"""`stargazer check-boundary`: output, exit codes and the --check selection."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from stargazer.cli.main import cli


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "ok.py").write_text("import sys\nsys.path.insert(0, 'src')\n")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "nb.py").write_text("from stargazer.types import Reference\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str):
    return CliRunner().invoke(cli, ["check-boundary", *args])


def test_clean_tree_exits_0_with_a_summary(tree: Path):
    result = invoke()
    assert result.exit_code == 0, result.output
    assert result.output == "check-boundary: 2 files checked, no boundary violations\n"


def test_findings_print_file_line_col_and_exit_1(tree: Path):
    (tree / "src" / "bad.py").write_text(
        "import importlib\n\nmod = importlib.import_module('notebooks.nb')\n"
    )
    (tree / "notebooks" / "private.py").write_text("from stargazer.types._base import Asset\n")
    result = invoke()
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "notebooks/private.py:1:1 SG010 " in result.output
    assert any(line.startswith(f"{tree}/src/bad.py:3:7 SG001 ") for line in lines), lines
    assert "2 boundary violation(s) in 4 files checked" in result.output


def test_paths_and_check_selection(tree: Path):
    (tree / "notebooks" / "private.py").write_text("import stargazer._internal\n")
    (tree / "src" / "bad.py").write_text("import runpy\nrunpy.run_path('notebooks/nb.py')\n")
    sdk = invoke("--check", "sdk", "src", "notebooks")
    assert sdk.exit_code == 1
    assert "src/bad.py:2:1 SG002" in sdk.output and "SG010" not in sdk.output
    notebooks = invoke("--check", "notebooks", "src", "notebooks")
    assert notebooks.exit_code == 1
    assert "notebooks/private.py:1:1 SG010" in notebooks.output and "SG002" not in notebooks.output
    one = invoke("src/ok.py")
    assert one.exit_code == 0
    assert "1 file checked" in one.output


def test_missing_path_is_a_clear_error(tree: Path):
    result = invoke("nowhere.py")
    assert result.exit_code == 1
    assert "nowhere.py: no such file or folder to check" in result.output


def test_static_notebook_imports_and_private_sdk_imports_are_reported(tree: Path):
    """`import notebooks.welcome` in src/ and `stargazer.store` in a notebook both fail."""
    (tree / "src" / "stargazer" / "cli").mkdir(parents=True)
    (tree / "src" / "stargazer" / "cli" / "uses_notebook.py").write_text(
        "import notebooks.welcome\n"
    )
    (tree / "notebooks" / "store.py").write_text("from stargazer.store import open_store\n")
    result = invoke()
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(
        line.startswith(f"{tree}/src/stargazer/cli/uses_notebook.py:1:1 SG005 ") for line in lines
    ), lines
    assert any(line.startswith(f"{tree}/notebooks/store.py:1:1 SG011 ") for line in lines), lines
    assert "2 boundary violation(s)" in result.output
