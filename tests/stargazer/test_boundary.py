"""The boundary rule: the source checks, and pre-commit enforcing them (with ruff's TID251)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stargazer.boundary import (
    LAYERS,
    PUBLIC_API,
    check_paths,
    check_source,
    is_public,
    layer_of,
    refers_to_notebooks,
)
from stargazer.testing import checkout_root

REPO_ROOT = checkout_root()

BIN = Path(sys.executable).parent


def codes(source: str, **options) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in check_source(source, "x.py", **options)]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import importlib\nimportlib.import_module('notebooks.scratch.x')\n", [(2, "SG001")]),
        ("from importlib import import_module as im\nim('notebooks')\n", [(2, "SG001")]),
        ("mod = __import__('notebooks.welcome')\n", [(1, "SG001")]),
        (
            "import importlib.util\n"
            "spec = importlib.util.spec_from_file_location('w', 'notebooks/welcome.py')\n",
            [(2, "SG001")],
        ),
        ("import runpy\nrunpy.run_path('notebooks/welcome.py')\n", [(2, "SG002")]),
        ("import runpy\nrunpy.run_module('notebooks.welcome')\n", [(2, "SG002")]),
        (
            "from pathlib import Path\nROOT = Path('.')\nNB = ROOT / 'notebooks'\n"
            "exec((NB / 'x.py').read_text())\n",
            [(4, "SG002")],
        ),
        ("import sys\nsys.path.insert(0, 'notebooks')\n", [(2, "SG003")]),
        ("import sys\nsys.path.append('../notebooks/scratch')\n", [(2, "SG003")]),
        ("import sys\nsys.path += ['notebooks']\n", [(2, "SG003")]),
        ("import site\nsite.addsitedir('notebooks')\n", [(2, "SG003")]),
        ("import os\nos.environ['PYTHONPATH'] = 'notebooks'\n", [(2, "SG003")]),
        ("from marimo._ast.load import load_app\napp = load_app(path)\n", [(2, "SG004")]),
        ("import marimo._ast.load\nmarimo._ast.load.load_app(p)\n", [(2, "SG004")]),
    ],
)
def test_sdk_violations_are_found(source: str, expected: list[tuple[int, str]]):
    assert codes(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "import importlib\nimportlib.import_module('stargazer.tasks')\n",
        "import runpy\nrunpy.run_path('scripts/tool.py')\n",
        "import sys\nsys.path.insert(0, 'src')\n",
        # Running a notebook as a script in a subprocess is how tests check notebooks.
        "import subprocess, sys\nsubprocess.run([sys.executable, 'notebooks/welcome.py'])\n",
        "notebook_count = 3\nexec('x = 1')\n",
    ],
)
def test_sdk_code_that_respects_the_boundary_passes(source: str):
    assert codes(source) == []


def test_tests_may_run_notebooks_through_marimo():
    source = "from marimo._ast.load import load_app\napp = load_app(path)\n"
    assert codes(source, in_tests=True) == []


def test_notebooks_import_only_the_public_sdk():
    source = (
        "import stargazer.types._base\n"
        "from stargazer.store import _index\n"
        "from stargazer.types._base import Asset\n"
        "from stargazer.types import Reference\n"
        "import stargazer\n"
        "from stargazer import __version__\n"
        "import importlib\nimportlib.import_module('stargazer._private')\n"
    )
    found = check_source(source, "nb.py", notebook=True)
    assert [(f.line, f.code) for f in found] == [
        (1, "SG010"),
        (2, "SG010"),
        (3, "SG010"),
        (8, "SG010"),
    ]
    assert "`_base`" in found[0].message and "stargazer.types" in found[0].message


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("import notebooks.welcome\n", 1),
        ("import os\nimport notebooks\n", 2),
        ("from notebooks.scratch import template\n", 1),
        ("from notebooks import welcome as w\n", 1),
        ("def f():\n    import notebooks.tutorials.x\n", 2),
    ],
)
def test_static_imports_of_notebooks_are_found_everywhere_outside_notebooks(source, line):
    assert codes(source) == [(line, "SG005")]
    assert codes(source, in_tests=True) == [(line, "SG005")]
    assert codes(source, module="stargazer.cli.run") == [(line, "SG005")]


@pytest.mark.parametrize(
    "source",
    [
        "from stargazer.store import open_store\n",
        "import stargazer.store\n",
        "from stargazer import store\n",
        "import stargazer.cli.main as cli\n",
        "from stargazer.invoke import Catalog\n",
        "from stargazer.mcp import create_server\n",
        "import importlib\nm = importlib.import_module('stargazer.caching')\n",
    ],
)
def test_notebooks_importing_off_the_public_surface_are_reported(source: str):
    (finding,) = check_source(source, "notebooks/x.py", notebook=True)
    assert finding.code == "SG011"
    assert "is not part of the public SDK" in finding.message
    assert "`stargazer.types`" in finding.message  # says what to use instead


@pytest.mark.parametrize(
    "source",
    [
        "import stargazer\nfrom stargazer import __version__\n",
        "from stargazer.types import Reads, assemble\n",
        "from stargazer.tasks.scrna.qc_filter import suggest_thresholds\n",
        "from stargazer.workflows.germline import qc_for\n",
        "from stargazer.access import check_path\n",
        "from stargazer.errors import InvalidAssetError\n",
        "from stargazer.demo.germline import GermlineSpec\n",
        "import stargazer.utils as u\nfrom stargazer.config import gatk_env\n",
    ],
)
def test_the_public_surface_is_open_to_notebooks(source: str):
    assert check_source(source, "notebooks/x.py", notebook=True) == []


def test_the_ai_rules_and_the_public_surface_agree():
    """What marimo.toml's chat rules call public is public; what they call private is not."""
    import re
    import tomllib

    rules = tomllib.loads((REPO_ROOT / "marimo.toml").read_text())["ai"]["rules"]
    public_line = next(line for line in rules.splitlines() if "Import only the public API" in line)
    paragraph = rules[rules.index(public_line) :].split("\n- ")[0]
    named = re.findall(r"`(stargazer\.\w+)`", paragraph.split("Never import")[0])
    private = re.findall(r"`(stargazer\.\w+)`", paragraph.split("Never import")[1])
    assert named and private == ["stargazer.store"]
    assert set(named) <= set(PUBLIC_API)
    assert not any(is_public(module) for module in private)
    (finding,) = check_source("from stargazer.store import open_store\n", "nb.py", notebook=True)
    assert finding.code == "SG011"


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("stargazer.types.base", "from stargazer.invoke import Catalog\n", [(1, "SG020")]),
        ("stargazer.store.local", "import stargazer.types\n", [(1, "SG020")]),
        ("stargazer.tasks.general.bwa", "from stargazer.workflows import g\n", [(1, "SG020")]),
        ("stargazer.invoke.convert", "from stargazer.cli.errors import CLIError\n", [(1, "SG020")]),
        (
            "stargazer.errors",
            "def f():\n    import importlib\n    importlib.import_module('stargazer.mcp')\n",
            [(3, "SG020")],
        ),
        ("stargazer.newpkg.x", "import os\n", [(1, "SG021")]),
        ("stargazer.cli.x", "import stargazer.newthing\n", [(1, "SG021")]),
    ],
)
def test_sdk_imports_up_the_layers_are_found(module, source, expected):
    assert codes(source, module=module) == expected


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("stargazer.cli.run", "from stargazer.invoke import Catalog\nimport stargazer.mcp\n"),
        ("stargazer.mcp.tools", "from stargazer.invoke import convert_inputs\n"),
        ("stargazer.invoke.resolve", "from stargazer.types import assemble\n"),
        ("stargazer.types.base", "from stargazer.store import open_store\nimport stargazer\n"),
        ("stargazer.types.query", "from stargazer.types.base import Asset\n"),  # own package
        ("stargazer.tasks.x", "from stargazer.store import open_store\n"),  # skipping is down
        ("stargazer", "from importlib.metadata import version\n"),
    ],
)
def test_sdk_imports_down_the_layers_pass(module, source):
    assert codes(source, module=module) == []


def test_the_layers_follow_the_design():
    order = ["cli", "invoke", "workflows", "tasks", "types", "store"]
    assert [layer_of(f"stargazer.{name}") for name in order] == sorted(
        layer_of(f"stargazer.{name}") for name in order
    )
    assert len({layer_of(f"stargazer.{name}") for name in order}) == len(order)
    placed = {package for layer in LAYERS for package in layer}
    packages = {
        path.stem if path.is_file() else path.name
        for path in (REPO_ROOT / "src" / "stargazer").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").exists())
    }
    assert packages <= placed, f"not placed in LAYERS: {sorted(packages - placed)}"


def test_findings_format_as_file_line_col():
    finding = check_source("import runpy\n\n  runpy.run_path('notebooks/x.py')\n", "src/a.py")
    assert finding == [] or finding[0].format().startswith("src/a.py:")
    finding = check_source("import runpy\nif True:\n    runpy.run_path('notebooks/x.py')\n", "a.py")
    assert finding[0].format().startswith("a.py:3:5 SG002 runpy.run_path(...)")


def test_unparsable_file_is_a_finding():
    assert codes("def (:\n") == [(1, "SG000")]


def test_refers_to_notebooks():
    assert refers_to_notebooks("notebooks.scratch.x")
    assert refers_to_notebooks("../notebooks/x.py")
    assert not refers_to_notebooks("notebooks_old")
    assert not refers_to_notebooks("my notebooks are great")


def test_this_repository_respects_the_boundary():
    """Notebooks, tests and tools use no notebook; notebooks only the public SDK; layers hold."""
    findings, checked = check_paths([REPO_ROOT], root=REPO_ROOT)
    assert checked > 10
    assert [f.format() for f in findings] == []


def test_a_static_notebook_import_in_the_sdk_is_reported_by_the_repository_check(tmp_path):
    root = tmp_path / "repo"
    (root / "src" / "stargazer" / "cli").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    module = root / "src" / "stargazer" / "cli" / "welcome.py"
    module.write_text("import notebooks.welcome\nfrom stargazer.cli import main\n")
    layered = root / "src" / "stargazer" / "types" / "x.py"
    layered.parent.mkdir()
    layered.write_text("from stargazer.cli import main\n")
    findings, checked = check_paths([root])
    assert checked == 2
    assert [(Path(f.path).name, f.line, f.code) for f in findings] == [
        ("welcome.py", 1, "SG005"),
        ("x.py", 1, "SG020"),
    ]


# --- pre-commit enforces the rule in a fresh git repository ------------------------------

CLEAN_NOTEBOOK = """import marimo

__generated_with = "0.25.2"
app = marimo.App()

with app.setup:
    from stargazer.types import Reference


@app.cell
def _():
    kinds = [Reference.kind]
    return (kinds,)


if __name__ == "__main__":
    app.run()
"""

CLEAN_MODULE = '''"""A module that respects the boundary."""

import subprocess
import sys


def run_notebook(path: str) -> int:
    """Run a notebook as a script in a subprocess (allowed)."""
    return subprocess.run([sys.executable, path], check=False).returncode
'''

# (file, text, line, what pre-commit must print)
VIOLATIONS = {
    "static-import": (
        "src/pkg/static.py",
        '"""Static."""\n\nfrom notebooks.scratch import exp\n\nprint(exp)\n',
        3,
        "TID251",
    ),
    "importlib": (
        "src/pkg/dynamic.py",
        '"""Dynamic."""\n\nimport importlib\n\nexp = importlib.import_module("notebooks.exp")\n',
        5,
        "SG001",
    ),
    "runpy": (
        "tests/test_runs.py",
        "import runpy\nfrom pathlib import Path\n\nROOT = Path(__file__).parent.parent\n"
        'NOTEBOOKS = ROOT / "notebooks"\n\n\ndef test_x():\n'
        '    runpy.run_path(str(NOTEBOOKS / "exp.py"))\n',
        9,
        "SG002",
    ),
    "exec": (
        "tools/load.py",
        '"""Exec."""\n\nfrom pathlib import Path\n\nexec(Path("notebooks/exp.py").read_text())\n',
        5,
        "SG002",
    ),
    "sys-path": (
        "tools/path.py",
        '"""Path."""\n\nimport sys\n\nsys.path.insert(0, "notebooks")\n',
        5,
        "SG003",
    ),
    "marimo-load": (
        "src/pkg/serve.py",
        '"""Serve."""\n\nfrom marimo._ast.load import load_app\n\n\n'
        'def app(path: str) -> object:\n    """Load."""\n    return load_app(path)\n',
        8,
        "SG004",
    ),
    "private-sdk": (
        "notebooks/private.py",
        CLEAN_NOTEBOOK.replace(
            "    from stargazer.types import Reference\n",
            "    from stargazer.types._base import Asset as Reference\n",
        ),
        7,
        "SG010",
    ),
}


# The hooks that enforce the boundary (the repo's config has more, for other checks).
BOUNDARY_HOOKS = {"ruff-check", "ruff-format", "check-boundary", "check-notebook-imports",
                  "marimo-check"}  # fmt: skip


@pytest.fixture(scope="module")
def hooks_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean git repo whose .pre-commit-config.yaml is this repo's, on this venv's tools."""
    root = tmp_path_factory.mktemp("hooks")
    config = yaml.safe_load((REPO_ROOT / ".pre-commit-config.yaml").read_text())
    for repo in config["repos"]:
        repo["hooks"] = [hook for hook in repo["hooks"] if hook["id"] in BOUNDARY_HOOKS]
        for hook in repo["hooks"]:
            hook["entry"] = hook["entry"].replace(".venv/bin/", f"{BIN}/")
    assert sum(len(repo["hooks"]) for repo in config["repos"]) == len(BOUNDARY_HOOKS)
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    (root / "pyproject.toml").write_text((REPO_ROOT / "pyproject.toml").read_text())
    (root / "notebooks").mkdir()
    (root / "notebooks" / "clean.py").write_text(CLEAN_NOTEBOOK)
    # Notebooks may import each other: TID251 does not apply inside notebooks/.
    (root / "notebooks" / "uses_other.py").write_text(
        CLEAN_NOTEBOOK.replace(
            "    from stargazer.types import Reference\n",
            "    from notebooks.clean import app as clean_app\n"
            "    from stargazer.types import Reference\n",
        ).replace("kinds = [Reference.kind]", "kinds = [Reference.kind, clean_app]")
    )
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "src" / "pkg" / "clean.py").write_text(CLEAN_MODULE)
    subprocess.run(["git", "init", "--quiet"], cwd=root, check=True)
    subprocess.run(["git", "add", "--all"], cwd=root, check=True)
    return root


def pre_commit(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PRE_COMMIT_HOME"] = str(root.parent / f"{root.name}-pre-commit-home")
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [str(BIN / "pre-commit"), "run", "--color", "never", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )


def test_pre_commit_passes_a_clean_tree(hooks_repo: Path):
    result = pre_commit(hooks_repo, "--all-files")
    assert result.returncode == 0, result.stdout + result.stderr
    for hook in ("ruff check", "boundary rule", "notebooks import only the public SDK", "marimo"):
        assert hook in result.stdout


@pytest.mark.parametrize("kind", sorted(VIOLATIONS))
def test_pre_commit_fails_naming_file_and_line(hooks_repo: Path, kind: str):
    relative, text, line, code = VIOLATIONS[kind]
    path = hooks_repo / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    try:
        subprocess.run(["git", "add", relative], cwd=hooks_repo, check=True)
        result = pre_commit(hooks_repo, "--files", relative)
    finally:
        subprocess.run(["git", "rm", "--quiet", "--cached", relative], cwd=hooks_repo, check=True)
        path.unlink()
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"{relative}:{line}:" in output, output
    assert code in output, output
