"""Run tasks for real in a test: `flyte.run` in local mode, and what Flyte recorded.

```python
def test_normalize(workspace):
    normalized = run(normalize, adata=raw)  # the task's output (a tuple if several)
    assert task_runs(workspace)[-1][1] == "normalize"
```
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from stargazer.testing.workspace import forget_flyte_local_db


def run(task: Any, **inputs: Any) -> Any:
    """Run `task` through `flyte.run` in local mode on `inputs`; returns its output.

    Flyte's local cache is reopened first, in the current workspace (see
    `forget_flyte_local_db`). A task with several outputs returns them as a tuple.
    """
    import flyte

    forget_flyte_local_db()
    flyte.init_from_config()
    outputs = flyte.run(task, **inputs).outputs()
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


def task_runs(workspace: Path) -> list[tuple[str, str, int]]:
    """(run name, task name, cache hit) of every action Flyte ran in `workspace`, in order."""
    database = workspace / ".flyte" / "local-cache" / "cache.db"
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "select run_name, task_name, cache_hit from runs order by start_time"
        ).fetchall()
    return [(run_name, name.split(".")[-1], hit) for run_name, name, hit in rows]
