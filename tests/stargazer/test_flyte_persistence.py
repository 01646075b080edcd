"""The repo's .flyte/config.yaml keeps the task cache and run history across processes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    import flyte

    env = flyte.TaskEnvironment(name="persistence_check", cache="auto")

    @env.task
    async def square(x: int) -> int:
        with open("calls.log", "a") as log:
            log.write(f"{x}\\n")
        return x * x

    flyte.init_from_config()
    print(flyte.run(square, x=int(sys.argv[1])).outputs()[0])
    """
)


def _run(workspace, value: int) -> str:
    result = subprocess.run(
        [sys.executable, "task.py", str(value)],
        cwd=workspace,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_cached_task_is_a_hit_in_a_new_process(workspace):
    (workspace / "task.py").write_text(SCRIPT)
    assert _run(workspace, 7) == "49"
    assert _run(workspace, 7) == "49"
    assert (workspace / "calls.log").read_text().split() == ["7"], "second run was not a cache hit"
    assert _run(workspace, 8) == "64"
    assert (workspace / "calls.log").read_text().split() == ["7", "8"], "new input must miss"


def test_run_history_is_kept_on_disk(workspace):
    (workspace / "task.py").write_text(SCRIPT)
    _run(workspace, 3)
    _run(workspace, 4)
    database = workspace / ".flyte" / "local-cache" / "cache.db"
    assert database.exists()
    with sqlite3.connect(database) as connection:
        (runs,) = connection.execute("select count(*) from runs").fetchone()
    assert runs >= 2
