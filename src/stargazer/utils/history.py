"""Run history that tells the truth: what ran, what came from the cache, and for how long.

Locally (`local.persistence: true` in `.flyte/config.yaml`) Flyte records every run in
`.flyte/local-cache/cache.db`, next to the config. Each run has a top-level row (action
`a0`, whose `cache_hit` is always 0) and one row per task call it made; only those child
rows say whether a task's result came from the cache. `task_history` reads them:

    for step in task_history(since=started):
        print(step.task, "cached" if step.cached else "ran", step.seconds)

A cached workflow is one row: its inner tasks were not called at all.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stargazer.utils.execution import ExecutionContext, execution_context

#: Where Flyte keeps local run history, relative to the folder of its config file.
HISTORY_FILE = Path("local-cache") / "cache.db"


@dataclass(frozen=True)
class TaskRun:
    """One task call of a run, as Flyte recorded it.

    Attributes:
        run: The run's name (one `flyte.run` call).
        task: The task's short name (`align`, `call_variants`, ...).
        status: "succeeded", "failed", "running", ...
        cached: Whether the result came from the task cache instead of running.
        started: When the call started (UTC), or None if not recorded.
        seconds: How long it took, or None while it runs.
    """

    run: str
    task: str
    status: str
    cached: bool
    started: datetime | None
    seconds: float | None

    def row(self) -> dict[str, Any]:
        """A table row for people: task, result, seconds, start time, run."""
        result = "from cache" if self.cached else ("ran" if self.status == "succeeded" else "")
        return {
            "task": self.task,
            "result": result or self.status,
            "seconds": round(self.seconds, 2) if self.seconds is not None else None,
            "started": self.started.astimezone().strftime("%H:%M:%S") if self.started else "",
            "run": self.run[:8],
        }


def history_database(context: ExecutionContext | None = None) -> Path | None:
    """Flyte's local run-history database, or None when runs are remote or not kept.

    Args:
        context: Where tasks run; read from the Flyte config when not given.
    """
    context = context if context is not None else execution_context()
    if context.mode != "local" or not context.persistence or context.config_path is None:
        return None
    return context.config_path.parent / HISTORY_FILE


def task_history(
    database: str | Path | None = None,
    *,
    since: float | None = None,
    run: str | None = None,
    limit: int = 200,
) -> list[TaskRun]:
    """Task calls recorded in Flyte's local run history, newest first.

    Args:
        database: The `cache.db` to read; by default the one `history_database()` names.
        since: Only calls that started at or after this time (seconds since the epoch).
        run: Only the calls of this run.
        limit: At most this many calls.

    Returns:
        The calls, newest first; empty when there is no local history (yet).
    """
    path = Path(database) if database is not None else history_database()
    if path is None or not path.exists():
        return []
    query = (
        "SELECT run_name, COALESCE(short_name, task_name), status, cache_hit, start_time, "
        "end_time FROM runs WHERE action_name != 'a0'"
    )
    params: list[Any] = []
    if since is not None:
        query += " AND start_time >= ?"
        params.append(since)
    if run is not None:
        query += " AND run_name = ?"
        params.append(run)
    query += " ORDER BY start_time DESC LIMIT ?"
    params.append(limit)
    # read-only: never create or lock the database Flyte writes
    with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as connection:
        rows = connection.execute(query, params).fetchall()
    return [
        TaskRun(
            run=run_name,
            task=str(task).rpartition(".")[2],
            status=status,
            cached=bool(hit),
            started=datetime.fromtimestamp(start, UTC) if start is not None else None,
            seconds=(end - start) if start is not None and end is not None else None,
        )
        for run_name, task, status, hit, start, end in rows
    ]
