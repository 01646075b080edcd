"""Stage 4, the plan: every file a promotion writes, computed without writing anything.

`plan_promotion` reads the notebook, selects and resolves the definitions, and asks the
rewriters (`rewrite_module`, `rewrite_notebook`, `write_tests`) for each file's new text;
the `PromotionPlan` holds each file's text before and after, and its diff.
"""

from __future__ import annotations

import ast
import difflib
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from stargazer.errors import PromotionError
from stargazer.import_bindings import ImportSpec
from stargazer.promote.notebook import Candidate, Notebook
from stargazer.promote.request import PromoteRequest
from stargazer.promote.resolve import Resolution, resolve_names
from stargazer.promote.rewrite_module import add_imports, export_from_package, place_definitions
from stargazer.promote.rewrite_notebook import rewrite_notebook
from stargazer.promote.selection import (
    check_inside,
    check_shadowing,
    find_root,
    select_helpers,
    select_task,
    target_module,
)
from stargazer.promote.syntax import FunctionNode, top_level_bindings
from stargazer.promote.tidy import must_parse, ruff_findings, ruff_tidy
from stargazer.promote.write_tests import generate_test


@dataclass
class FileChange:
    """One file the promotion writes: its text before (None if new) and after."""

    path: Path
    old: str | None
    new: str
    what: str


@dataclass
class PromotionPlan:
    """Everything a promotion would write, computed without touching the disk.

    Attributes:
        request: The request this plan answers.
        root: The workspace root (the folder holding `src/stargazer`).
        module: The dotted name of the target module (`stargazer.tasks.coverage`).
        package: The package the task is exported from (`stargazer.tasks`).
        task: The promoted function's name (NAME may have named its cell).
        changes: The files to write, in the order they are reported.
        warnings: Things review should look at (ruff findings, xfail tests).
    """

    request: PromoteRequest
    root: Path
    module: str
    package: str
    task: str = ""
    changes: list[FileChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def relative(self, path: Path) -> str:
        """A path relative to the workspace root, for messages and diffs."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def diff(self) -> str:
        """The unified diff of every file the plan touches."""
        chunks: list[str] = []
        for change in self.changes:
            rel = self.relative(change.path)
            chunks += difflib.unified_diff(
                (change.old or "").splitlines(keepends=True),
                change.new.splitlines(keepends=True),
                fromfile="/dev/null" if change.old is None else f"a/{rel}",
                tofile=f"b/{rel}",
            )
        return "".join(chunks)


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


def _docstring(summary: str, *paragraphs: str) -> str:
    """A module docstring with its paragraphs wrapped at 96 columns."""
    wrapped = [textwrap.fill(p, width=96, break_on_hyphens=False) for p in paragraphs]
    return '"""' + "\n\n".join([summary, *wrapped]) + '\n"""\n'


def _module_docstring(notebook_rel: str, test_rel: str) -> str:
    return _docstring(
        "Tasks promoted from a notebook by `stargazer promote-task`.",
        f"Promoted from `{notebook_rel}`; `{test_rel}` runs each task through `flyte.run`. "
        "TODO(review): say what these tasks do and for whom.",
    )


def plan_promotion(request: PromoteRequest, root: Path | None = None) -> PromotionPlan:
    """Compute every file a promotion writes, without writing anything.

    Args:
        request: What to promote and where.
        root: The workspace root; by default found above the notebook (then the cwd).

    Returns:
        The plan: each file's old and new text, and warnings for review.

    Raises:
        PromotionError: The promotion is refused; the message says why and how to fix it.
    """
    notebook_path = request.notebook
    if not notebook_path.is_file():
        raise PromotionError(f"{notebook_path}: no such notebook; give NOTEBOOK::NAME")
    root = (root or find_root(notebook_path.parent, Path.cwd())).resolve()
    notebook_path = notebook_path.resolve()
    target, module, package = target_module(root, request.to)
    plan = PromotionPlan(request, root, module, package)
    notebook = Notebook(
        Path(plan.relative(notebook_path)), notebook_path.read_text(encoding="utf-8")
    )
    task = select_task(notebook, request.name)
    plan.task = task.name
    package_init = root / "src" / "stargazer" / Path(request.to).parts[0] / "__init__.py"
    check_shadowing(root, request.to, task.name, package_init.read_text(encoding="utf-8"))
    helpers = select_helpers(notebook, request.helpers, task)
    old_module = _read(target)
    target_names = set(top_level_bindings(ast.parse(old_module))) if old_module else set()
    resolution = resolve_names(notebook, task, helpers, target_names)

    test_path = root / "tests" / "stargazer" / Path(request.to).parent / f"test_{target.stem}.py"
    _plan_module(plan, notebook, [*helpers, task], resolution, target, old_module, test_path)
    package_root = root / "src" / "stargazer" / Path(request.to).parts[0]
    _plan_subpackages(plan, target.parent, package_root)
    _plan_export(plan, package_root / "__init__.py")
    _plan_test(plan, notebook, task, test_path)
    if not request.keep_notebook:
        _plan_notebook(plan, notebook, task, notebook_path, target, resolution)
    check_inside(root, [change.path for change in plan.changes])
    return plan


def _plan_module(
    plan: PromotionPlan,
    notebook: Notebook,
    definitions: list[Candidate],
    resolution: Resolution,
    target: Path,
    old_module: str | None,
    test_path: Path,
) -> None:
    """The SDK module: the definitions placed in it and the imports they need."""
    blocks = [(c.name, notebook.segment(c.node)) for c in definitions]
    if old_module is None:
        text = _module_docstring(str(notebook.path), plan.relative(test_path))
    else:
        text = old_module
    text, replaced = place_definitions(
        text, blocks, Path(plan.relative(target)), plan.request.replace
    )
    text = add_imports(text, list(resolution.imports.values()), Path(plan.relative(target)))
    text = ruff_tidy(text, target, plan.root)
    must_parse(text, target)
    if old_module is None:
        what = "created"
    else:
        what = "replaced " + ", ".join(replaced) if replaced else "appended"
    plan.changes.append(FileChange(target, old_module, text, what))
    plan.warnings += [f"ruff: {line}" for line in ruff_findings(text, target, plan.root)]


def _plan_subpackages(plan: PromotionPlan, folder: Path, package_root: Path) -> None:
    """Sub-packages on the way to the module need an `__init__.py`."""
    while folder != package_root:
        init = folder / "__init__.py"
        if not init.exists():
            doc = f'"""`{folder.name}` tasks (see the modules in this folder)."""\n'
            plan.changes.append(FileChange(init, None, doc, "created (sub-package)"))
        folder = folder.parent


def _plan_export(plan: PromotionPlan, init_path: Path) -> None:
    """Export the task from its package, so `from stargazer.tasks import NAME` works."""
    init_old = init_path.read_text(encoding="utf-8")
    init_text = export_from_package(
        init_old, plan.task, plan.module, plan.package, plan.relative(init_path)
    )
    if init_text != init_old:
        init_text = ruff_tidy(init_text, init_path, plan.root)
        must_parse(init_text, init_path)
        plan.changes.append(FileChange(init_path, init_old, init_text, f"exports {plan.task}"))


def _plan_test(plan: PromotionPlan, notebook: Notebook, task: Candidate, test_path: Path) -> None:
    """The generated test, added to the test module (created if missing)."""
    assert isinstance(task.node, FunctionNode)
    test = generate_test(task.node, plan.package, _notebook_imports(notebook))
    test_old = _read(test_path)
    if test_old is None:
        test_text = _docstring(
            f"Tests for `{plan.module}`.",
            f"Generated by `stargazer promote-task` from `{notebook.path}`: each test runs a "
            "task through `flyte.run` on tiny generated inputs.",
        )
    else:
        test_text = test_old
    test_text, _ = place_definitions(
        test_text, [(test.name, test.source)], Path(plan.relative(test_path)), plan.request.replace
    )
    test_text = add_imports(test_text, test.imports, Path(plan.relative(test_path)))
    test_text = ruff_tidy(test_text, test_path, plan.root)
    must_parse(test_text, test_path)
    what = (
        "runs the task through flyte.run"
        if test.runs
        else ("xfail(strict): cannot build " + "; ".join(test.missing))
    )
    plan.changes.append(FileChange(test_path, test_old, test_text, what))
    if not test.runs:
        plan.warnings.append(
            f"{plan.relative(test_path)}: the test is xfail(strict) until it gets inputs for "
            + "; ".join(test.missing)
        )


def _plan_notebook(
    plan: PromotionPlan,
    notebook: Notebook,
    task: Candidate,
    notebook_path: Path,
    target: Path,
    resolution: Resolution,
) -> None:
    """The notebook, importing the task from the SDK instead of defining it."""
    rewritten = rewrite_notebook(
        notebook, task, plan.package, plan.relative(target), frozenset(resolution.imports)
    )
    rewritten = ruff_tidy(rewritten, notebook_path, plan.root, format_code=False)
    must_parse(rewritten, notebook_path)
    plan.changes.append(
        FileChange(
            notebook_path, notebook.source, rewritten, f"imports {task.name} from {plan.package}"
        )
    )


def _notebook_imports(notebook: Notebook) -> dict[str, ImportSpec]:
    found: dict[str, ImportSpec] = {}
    for name, entries in notebook.imports.items():
        for spec, _node, _cell in entries:
            if spec is not None:
                found.setdefault(name, spec)
    return found
