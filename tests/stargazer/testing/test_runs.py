"""`run` runs a task for real through flyte.run; `task_runs` and `store_ids` read back."""

from __future__ import annotations

from pathlib import Path

import flyte

from stargazer.testing import anndata_asset, run, store_ids, task_runs

env = flyte.TaskEnvironment(name="testing_runs", cache="auto")


@env.task
async def double(x: int) -> int:
    return 2 * x


@env.task
async def split(x: int) -> tuple[int, int]:
    return x // 10, x % 10


def test_run_returns_one_output_or_a_tuple(workspace: Path):
    assert run(double, x=21) == 42
    assert run(split, x=42) == (4, 2)


def test_task_runs_lists_what_flyte_ran_and_cache_hits(workspace: Path):
    run(double, x=5)
    run(double, x=5)
    runs = task_runs(workspace)
    first, second = dict.fromkeys(run_name for run_name, _name, _hit in runs)
    assert {name for _run, name, _hit in runs} == {"double"}
    assert [hit for run_name, _name, hit in runs if run_name == first] == [0] * 2
    assert max(hit for run_name, _name, hit in runs if run_name == second) == 1


def test_store_ids_lists_the_assets_of_a_kind(workspace: Path):
    assert store_ids() == []
    first = anndata_asset(workspace, "a")
    assert store_ids("anndata") == [first.id]
    assert store_ids("reads") == []
