import asyncio
import time

import flyte

from stargazer.config import gatk_env
from stargazer.utils import execution_context, history_database, task_history


@gatk_env.task
async def square(x: int) -> int:
    """Square of x."""
    return x * x


@gatk_env.task
async def sum_of_squares(x: int) -> int:
    """Sum of the squares of x and x+1, as two task calls."""
    a, b = await asyncio.gather(square(x), square(x + 1))
    return a + b


def test_reads_child_actions_and_tells_cache_hits_from_runs(workspace):
    flyte.init_from_config()
    database = history_database()
    assert database == workspace / ".flyte" / "local-cache" / "cache.db"

    started = time.time()
    assert flyte.run(sum_of_squares, x=41).outputs()[0] == 41 * 41 + 42 * 42
    first = task_history(since=started)
    assert sorted(step.task for step in first) == ["square", "square", "sum_of_squares"]
    assert not any(step.cached for step in first)
    assert all(step.status == "succeeded" and step.seconds >= 0 for step in first)
    assert len({step.run for step in first}) == 1

    again = time.time()
    assert flyte.run(sum_of_squares, x=41).outputs()[0] == 41 * 41 + 42 * 42
    second = task_history(since=again)
    # the workflow came from the cache, so its tasks were never called
    assert [(s.task, s.cached) for s in second] == [("sum_of_squares", True)]
    assert second[0].row()["result"] == "from cache"
    assert first[0].row()["result"] == "ran"
    # the top-level a0 row (cache_hit always 0) is never reported
    assert len(task_history()) == 4
    assert task_history(run=second[0].run) == second


def test_no_local_history_is_empty_not_an_error(tmp_path):
    remote = tmp_path / "remote.yaml"
    remote.write_text("admin:\n  endpoint: dns:///flyte.example.org\n")
    assert history_database(execution_context(remote)) is None
    assert task_history(tmp_path / "missing.db") == []
