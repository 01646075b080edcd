"""Promotion from notebook to SDK, on real marimo notebooks in throwaway git checkouts."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests.stargazer.promote_project import (
    ASSETS,
    BIN,
    EXPERIMENT,
    git,
    git_identity,
    make_project,
    project_env,
    snapshot,
)

from stargazer.errors import PromotionError
from stargazer.promote import (
    PromoteRequest,
    free_names,
    parse_spec,
    plan_promotion,
    promote,
)
from stargazer.testing import checkout_root

REPO_ROOT = checkout_root()

NOTEBOOK = "notebooks/scratch/exp.py"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    git_identity(monkeypatch)
    return make_project(tmp_path / "project")


def request(root: Path, name: str, to: str = "tasks/seq.py", **options) -> PromoteRequest:
    return PromoteRequest(root / NOTEBOOK, name, to, **options)


def run(command: list[str], root: Path, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=root, env=project_env(root), capture_output=True, text=True, **kwargs
    )


def ruff_clean(root: Path, *paths: Path) -> None:
    for command in (["check"], ["format", "--check"]):
        result = run([str(BIN / "ruff"), *command, *map(str, paths)], root)
        assert result.returncode == 0, result.stdout + result.stderr


def test_round_trip_cell_task_with_helper(project: Path):
    """Promoted, the task runs from the SDK with the result it had in the notebook."""
    notebook = project / NOTEBOOK
    before = run([sys.executable, str(notebook)], project, timeout=300)
    assert before.returncode == 0, before.stderr[-3000:]
    assert "RESULT kmer_count=4" in before.stdout

    outcome = promote(
        PromoteRequest(notebook, "kmer_task", "tasks/kmers.py", helpers=("normalise",)),
        root=project,
    )

    module = project / "src/stargazer/tasks/kmers.py"
    test_file = project / "tests/stargazer/tasks/test_kmers.py"
    text = module.read_text()
    assert text.startswith('"""')
    assert "import math as m\nimport statistics as stats\n" in text
    assert "from stargazer.config import gatk_env" in text
    assert text.index("def normalise(") < text.index("async def kmer_count(")
    assert (
        '@gatk_env.task\nasync def kmer_count(sequence: str, k: int) -> int:\n    """Number' in text
    )
    ruff_clean(project, module, test_file, project / "src/stargazer/tasks/__init__.py", notebook)

    # The generated test passes under pytest.
    tested = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
                 project, timeout=300)  # fmt: skip
    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr[-3000:]
    assert "1 passed" in tested.stdout

    # The rewritten notebook imports the task from the SDK, runs it through flyte.run with the
    # same result as before, still runs as a script and passes marimo check.
    rewritten = notebook.read_text()
    assert "from stargazer.tasks import kmer_count" in rewritten
    assert "async def kmer_count" not in rewritten
    assert "# Promoted to src/stargazer/tasks/kmers.py" in rewritten
    after = run([sys.executable, str(notebook)], project, timeout=300)
    assert after.returncode == 0, after.stderr[-3000:]
    assert "RESULT kmer_count=4" in after.stdout
    checked = run([str(BIN / "marimo"), "check", "--strict", str(notebook)], project)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # Everything is committed on promote/NAME; the working tree is clean.
    assert outcome.git is not None
    assert git(project, "branch", "--show-current").strip() == "promote/kmer_task"
    committed = set(git(project, "show", "--name-only", "--format=", "HEAD").split())
    assert committed == {
        "src/stargazer/tasks/kmers.py",
        "src/stargazer/tasks/__init__.py",
        "tests/stargazer/tasks/test_kmers.py",
        NOTEBOOK,
    }
    assert "git push -u origin promote/kmer_task" in outcome.git.commands[0]


def test_app_function_task_keeps_decorators_and_aliased_imports(project: Path):
    promote(request(project, "gc_percent"), root=project, git=False)
    text = (project / "src/stargazer/tasks/seq.py").read_text()
    assert "@app.function" not in text
    assert "from collections import Counter as Tally\n" in text
    assert (
        "@gatk_env.task\nasync def gc_percent(sequence: str, digits: int = 1) -> float:\n"
        '    """Percent of G and C bases in a sequence."""\n'
    ) in text
    assert "import math" not in text

    notebook = (project / NOTEBOOK).read_text()
    assert "async def gc_percent" not in notebook
    setup = notebook[notebook.index("with app.setup:") : notebook.index("@app.function")]
    assert "from stargazer.tasks import gc_percent" in setup
    assert "Tally" not in setup  # only the promoted task used it
    assert "import math as m" in setup  # kmer_count still does
    checked = run([str(BIN / "marimo"), "check", "--strict", str(project / NOTEBOOK)], project)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    ruff_clean(project, project / NOTEBOOK, project / "src/stargazer/tasks/seq.py")
    assert git(project, "branch", "--show-current").strip() == "main"


def test_exported_from_the_package(project: Path):
    promote(request(project, "gc_percent"), root=project, git=False)
    promote(request(project, "kmer_count", helpers=("normalise",)), root=project, git=False)
    init = (project / "src/stargazer/tasks/__init__.py").read_text()
    tree = ast.parse(init)
    exported = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign) and "__all__" in ast.unparse(node)
    )
    names = ast.literal_eval(exported)
    assert "gc_percent" in names and "kmer_count" in names
    assert names == sorted(names)
    assert "from stargazer.tasks.seq import gc_percent, kmer_count" in init
    code = "from stargazer.tasks import gc_percent, kmer_count; print(gc_percent.name)"
    result = run([sys.executable, "-c", code], project)
    assert result.returncode == 0, result.stderr[-2000:]
    # Appending merged the imports of both tasks into one sorted, ruff-clean header.
    module = project / "src/stargazer/tasks/seq.py"
    assert module.read_text().count("from stargazer.config import gatk_env") == 1
    ruff_clean(project, module, project / "src/stargazer/tasks/__init__.py")


def test_refuses_notebook_only_state(project: Path):
    before = snapshot(project)
    with pytest.raises(PromotionError) as refused:
        promote(request(project, "windowed"), root=project)
    message = str(refused.value)
    assert re.search(r"window: variable defined in an unnamed cell at notebooks/scratch/exp.py:\d+",
                     message)  # fmt: skip
    assert snapshot(project) == before


def test_refuses_helper_unless_brought_with(project: Path):
    with pytest.raises(PromotionError, match=r"normalise: function defined at the top level"):
        promote(request(project, "kmer_count"), root=project, git=False)
    assert not (project / "src/stargazer/tasks/seq.py").exists()


def test_missing_name_lists_the_task_like_functions(project: Path):
    with pytest.raises(PromotionError) as refused:
        promote(request(project, "align"), root=project)
    message = str(refused.value)
    assert "has no task `align`" in message
    for name in ("gc_percent", "kmer_count", "windowed"):
        assert f"  - {name} (@gatk_env.task" in message
    assert "normalise" not in message


def test_ambiguous_name_is_refused(project: Path, tmp_path: Path):
    twice = EXPERIMENT.replace("def _(window):", "def kmer_count(window):")
    (project / NOTEBOOK).write_text(twice)
    with pytest.raises(PromotionError, match=r"`kmer_count` is ambiguous"):
        promote(request(project, "kmer_count", helpers=("normalise",)), root=project, git=False)


def test_not_a_task_is_refused(project: Path):
    with pytest.raises(PromotionError, match=r"`normalise` is not a task"):
        promote(request(project, "normalise"), root=project, git=False)


def test_collision_refused_then_replaced(project: Path):
    promote(request(project, "gc_percent", keep_notebook=True), root=project, git=False)
    module = project / "src/stargazer/tasks/seq.py"
    first = module.read_text()
    with pytest.raises(PromotionError, match=r"seq.py:\d+: `gc_percent` is already defined"):
        promote(request(project, "gc_percent", keep_notebook=True), root=project, git=False)
    assert module.read_text() == first

    notebook = project / NOTEBOOK
    notebook.write_text(notebook.read_text().replace("Percent of G and C", "GC content"))
    promote(request(project, "gc_percent", replace=True), root=project, git=False)
    text = module.read_text()
    assert text.count("async def gc_percent") == 1
    assert "GC content" in text and "Percent of G and C" not in text
    ruff_clean(project, module, project / "tests/stargazer/tasks/test_seq.py")


def test_dry_run_changes_nothing(project: Path):
    before = snapshot(project)
    outcome = promote(request(project, "gc_percent"), root=project, dry_run=True)
    diff = outcome.plan.diff()
    assert "--- /dev/null\n+++ b/src/stargazer/tasks/seq.py" in diff
    assert "+++ b/tests/stargazer/tasks/test_seq.py" in diff
    assert "--- a/notebooks/scratch/exp.py\n+++ b/notebooks/scratch/exp.py" in diff
    assert "--- a/src/stargazer/tasks/__init__.py" in diff
    assert snapshot(project) == before
    assert git(project, "branch", "--list").split() == ["*", "main"]


def test_failed_write_leaves_the_tree_as_it_was(project: Path):
    (project / "tests/stargazer").mkdir(parents=True)
    (project / "tests/stargazer/tasks").write_text("a file where the test folder should go\n")
    before = snapshot(project)
    with pytest.raises(PromotionError, match="nothing was changed"):
        promote(request(project, "gc_percent"), root=project, git=False)
    assert snapshot(project) == before


def test_failed_commit_restores_files_index_and_branch(project: Path, monkeypatch):
    for key in ("AUTHOR", "COMMITTER"):
        monkeypatch.delenv(f"GIT_{key}_NAME")
        monkeypatch.delenv(f"GIT_{key}_EMAIL")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    git(project, "config", "user.useConfigOnly", "true")
    before = snapshot(project)
    with pytest.raises(PromotionError, match=r"git commit .*failed"):
        promote(request(project, "gc_percent"), root=project)
    assert snapshot(project) == before
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "branch", "--list").split() == ["*", "main"]


def test_existing_branch_is_refused_before_writing(project: Path):
    git(project, "branch", "promote/gc_percent")
    before = snapshot(project)
    with pytest.raises(PromotionError, match="promote/gc_percent already exists"):
        promote(request(project, "gc_percent"), root=project)
    assert snapshot(project) == before


def test_asset_tasks_and_the_scratch_template_get_tests_that_run(tmp_path: Path):
    """Asset inputs are built from tiny files; inputs it cannot build give a strict xfail."""
    template = (REPO_ROOT / "notebooks/scratch/template.py").read_text()
    root = make_project(
        tmp_path / "assets", {"scratch/exp.py": ASSETS, "scratch/template.py": template}
    )
    promote(request(root, "reference_length", to="tasks/sizes.py"), root=root, git=False)
    promote(request(root, "frame_rows", to="tasks/sizes.py"), root=root, git=False)
    notebook = root / "notebooks/scratch/template.py"
    promote(
        PromoteRequest(notebook, "contig_lengths", "tasks/general/contigs.py"), root=root, git=False
    )
    test_file = root / "tests/stargazer/tasks/test_sizes.py"
    text = test_file.read_text()
    assert 'reference = reference_asset(workspace, "reference")' in text
    assert "from stargazer.testing import reference_asset" in text
    assert "xfail(" in text and "strict=True" in text and "TODO" in text
    assert "frame: pd.DataFrame" in text
    template_test = root / "tests/stargazer/tasks/general/test_contigs.py"
    assert "xfail" not in template_test.read_text()
    ruff_clean(root, test_file, template_test, root / "src/stargazer/tasks/sizes.py", notebook)
    tested = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rxX",
                  str(test_file), str(template_test)], root, timeout=300)  # fmt: skip
    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr[-3000:]
    assert "2 passed, 1 xfailed" in tested.stdout
    # The scratch template, rewritten, still runs as a script and passes marimo check.
    ran = run([sys.executable, str(notebook)], root, timeout=300)
    assert ran.returncode == 0, ran.stderr[-3000:]
    checked = run([str(BIN / "marimo"), "check", "--strict", str(notebook)], root)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_import_from_another_notebook_is_refused(project: Path):
    notebook = project / NOTEBOOK
    text = notebook.read_text().replace(
        "    import flyte\n", "    import flyte\n    from notebooks.shared import Tally2\n"
    )
    notebook.write_text(text.replace("counts = Tally(", "counts = Tally2("))
    with pytest.raises(PromotionError, match=r"notebook module `notebooks.shared`.*boundary"):
        promote(request(project, "gc_percent"), root=project, git=False)


def test_to_must_be_a_module_under_tasks_or_workflows(project: Path):
    with pytest.raises(PromotionError, match="relative to src/stargazer"):
        plan_promotion(request(project, "gc_percent", to="/abs/x.py"), project)
    with pytest.raises(PromotionError, match="tasks/ or workflows/"):
        plan_promotion(request(project, "gc_percent", to="utils/x.py"), project)


def test_sub_package_module_is_created_with_its_init(project: Path):
    plan = plan_promotion(request(project, "gc_percent", to="tasks/general/gc.py"), project)
    paths = {plan.relative(change.path) for change in plan.changes}
    assert "src/stargazer/tasks/general/gc.py" in paths
    assert "tests/stargazer/tasks/general/test_gc.py" in paths
    if not (project / "src/stargazer/tasks/general/__init__.py").exists():
        assert "src/stargazer/tasks/general/__init__.py" in paths


def test_spec_and_free_names():
    assert parse_spec("notebooks/x.py::my_task") == (Path("notebooks/x.py"), "my_task")
    with pytest.raises(PromotionError, match="NOTEBOOK::NAME"):
        parse_spec("notebooks/x.py")
    source = (
        "@env.task(cache='auto')\nasync def f(x: 'Ref', n: int = N) -> Out:\n"
        "    import os\n    y = [i for i in range(n)]\n"
        "    def inner():\n        return helper(y)\n    return os.sep + inner() + CONST\n"
    )
    assert free_names(source) == {"env", "Ref", "int", "N", "Out", "range", "helper", "CONST"}
