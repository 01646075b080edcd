"""Guards patched into Flyte's local task cache, so that a hit is never stale.

A hit whose outputs are gone is a miss, nothing is written once the process's code changed
on disk, and each key written is remembered with its task for `stargazer cache ls | clear`.
"""

from __future__ import annotations

import logging
from typing import Any

from stargazer.caching.changed_on_disk import cache_writes_allowed
from stargazer.caching.outputs import missing_outputs

#: The package's logger (one name to configure for everything the cache reports).
logger = logging.getLogger("stargazer.caching")

#: cache key -> (task name, version), filled as Flyte computes keys in this process.
_keys: dict[str, tuple[str, str]] = {}

#: The table beside Flyte's cache that names the task of each key (`stargazer cache ls`).
ENTRIES_DDL = """
CREATE TABLE IF NOT EXISTS stargazer_cache (
    key TEXT PRIMARY KEY,
    task TEXT NOT NULL,
    version TEXT NOT NULL,
    created REAL NOT NULL
)
"""


def _remember_entry(key: str) -> None:
    from flyte._persistence._db import LocalDB

    task, version = _keys.get(key, ("", ""))
    import time

    conn = LocalDB.get_sync()
    with LocalDB._write_lock:
        conn.execute(ENTRIES_DDL)
        conn.execute(
            "INSERT OR REPLACE INTO stargazer_cache (key, task, version, created) "
            "VALUES (?, ?, ?, ?)",
            (key, task, version, time.time()),
        )
        conn.commit()


def install_cache_guards() -> None:
    """Wrap Flyte's local task cache (flyte 2.12): check outputs on a hit, refuse stale writes.

    - A hit whose output assets are gone is reported as a miss, so the task runs again (and
      its new result replaces the entry).
    - Nothing is written once a module changed on disk since it was imported.
    - Each key written is remembered with its task name, for `stargazer cache ls | clear`.

    Remote runs are untouched: the cluster keeps its own cache, next to the remote store.
    """
    import asyncio

    from flyte._internal.runtime import convert
    from flyte._persistence._task_cache import LocalTaskCache

    if getattr(LocalTaskCache, "_stargazer_guarded", False):
        return
    original_get = LocalTaskCache.get
    original_set = LocalTaskCache.set
    original_key = convert.generate_cache_key_hash

    async def get(cache_key: str) -> Any:
        out = await original_get(cache_key)
        if out is None:
            return None
        missing = await asyncio.to_thread(missing_outputs, out.proto_outputs)
        if missing:
            task = _keys.get(cache_key, ("a task", ""))[0]
            logger.warning(
                "cached result of %s is stale (%s no longer exists): running it again",
                task,
                ", ".join(missing[:3]),
            )
            return None
        return out

    async def set_(cache_key: str, value: Any) -> None:
        if not await asyncio.to_thread(cache_writes_allowed):
            return
        await original_set(cache_key, value)
        await asyncio.to_thread(_remember_entry, cache_key)

    def key(
        task_name: str,
        inputs_hash: str,
        task_interface: Any,
        cache_version: str,
        ignored_input_vars: Any,
        proto_inputs: Any,
    ) -> str:
        found = original_key(
            task_name, inputs_hash, task_interface, cache_version, ignored_input_vars, proto_inputs
        )
        _keys[found] = (task_name, cache_version)
        return found

    LocalTaskCache.get = staticmethod(get)  # type: ignore[method-assign]  # flyte 2.12 hook
    LocalTaskCache.set = staticmethod(set_)  # type: ignore[method-assign]  # flyte 2.12 hook
    convert.generate_cache_key_hash = key
    LocalTaskCache._stargazer_guarded = True  # type: ignore[attr-defined]  # marker
