"""A tiny project in a scratch workspace for the cache tests: tasks, a helper, a runner.

``cachedemo.tasks`` defines one task in `gatk_env` and one in `scrna_env`; both turn a small
TSV `Table` into a derived `Table` through ``cachedemo.helpers.transform`` and
``otherpkg.util.suffix`` (a helper in another top-level package of the project). Every run of
a task body appends its name to ``calls.log``, so a test sees hits and misses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

HELPERS = "def transform(text):\n    return text.upper()\n"
#: Same size as HELPERS: an edit that keeps the size (and, with os.utime, the mtime).
HELPERS_SAME_SIZE = "def transform(text):\n    return text.lower()\n"
SUFFIX = 'def suffix():\n    return ""\n'

TASKS = textwrap.dedent(
    """
    import tempfile
    from pathlib import Path

    from cachedemo.helpers import transform
    from otherpkg.util import suffix

    from stargazer.config import gatk_env, scrna_env
    from stargazer.types import Table


    def _log(name):
        with open("calls.log", "a") as log:
            log.write(name + "\\n")


    async def _derive(table, name):
        text = (await table.fetch()).read_text()
        out = Path(tempfile.mkdtemp()) / f"{name}.tsv"
        out.write_text(transform(text) + suffix())
        return await Table.create(out, parents=[table], tool="cachedemo", name=name)


    @gatk_env.task
    async def gatk_step(table: Table, threads: int = 2) -> Table:
        _log("gatk_step")
        return await _derive(table, "gatk_step")


    @scrna_env.task
    async def scrna_step(table: Table) -> Table:
        _log("scrna_step")
        return await _derive(table, "scrna_step")
    """
)

#: Runs one task on input.tsv (registered first, as a user would re-add it): prints the output.
RUNNER = textwrap.dedent(
    """
    import json
    import sys
    from pathlib import Path

    import flyte

    from stargazer.types import Table

    from cachedemo import tasks

    flyte.init_from_config()
    table = Table.create_sync(Path("input.tsv"), tool="user", name="input")
    inputs = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    out = flyte.run(getattr(tasks, sys.argv[1]), table=table, **inputs).outputs()[0]
    print("OUTPUT", out.id, out.path.read_text().replace("\\n", "|"))
    """
)


def write_project(workspace: Path) -> None:
    """Write ``cachedemo``, ``otherpkg``, ``run.py`` and ``input.tsv`` into the workspace."""
    for package, modules in {
        "cachedemo": {"helpers.py": HELPERS, "tasks.py": TASKS},
        "otherpkg": {"util.py": SUFFIX},
    }.items():
        folder = workspace / package
        folder.mkdir(exist_ok=True)
        (folder / "__init__.py").write_text("")
        for name, text in modules.items():
            (folder / name).write_text(text)
    (workspace / "run.py").write_text(RUNNER)
    (workspace / "input.tsv").write_text("gene\tcount\nabc\t1\n")


def python(workspace: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run ``python ARGS`` in the workspace with it on the path; fail with its stderr."""
    paths = [str(workspace), env.get("PYTHONPATH", "")]
    env = {**env, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    result = subprocess.run(
        [sys.executable, *args], cwd=workspace, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result


def run_task(workspace: Path, env: dict[str, str], task: str, **inputs) -> tuple[str, str]:
    """Run a task of ``cachedemo.tasks`` in a fresh process; return (output id, text)."""
    result = python(workspace, env, "run.py", task, json.dumps(inputs))
    line = next(x for x in result.stdout.splitlines() if x.startswith("OUTPUT "))
    _, asset, text = line.split(" ", 2)
    return asset, text


def calls(workspace: Path) -> list[str]:
    """Task bodies that ran, in order."""
    log = workspace / "calls.log"
    return log.read_text().split() if log.exists() else []
