"""The `workspace` fixture's reset gives every workspace its own Flyte task cache."""

import shutil

import flyte

from stargazer.testing import checkout_root, forget_flyte_local_db

env = flyte.TaskEnvironment(name="workspace_isolation", cache="auto")
calls: list[int] = []


@env.task
async def increment(x: int) -> int:
    calls.append(x)
    return x + 1


def test_each_workspace_has_its_own_task_cache(tmp_path, monkeypatch):
    for name in ("first", "second"):
        folder = tmp_path / name / ".flyte"
        folder.mkdir(parents=True)
        shutil.copy(checkout_root() / ".flyte" / "config.yaml", folder / "config.yaml")
        monkeypatch.chdir(folder.parent)
        forget_flyte_local_db()
        flyte.init_from_config()
        assert flyte.run(increment, x=1).outputs()[0] == 2
    forget_flyte_local_db()
    assert calls == [1, 1], "the second workspace got a cache hit from the first one"
    assert (tmp_path / "second" / ".flyte" / "local-cache" / "cache.db").exists()
