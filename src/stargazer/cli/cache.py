"""``stargazer cache``: list, clear and explain the local task cache.

The cache lives in Flyte's local database (``.flyte/local-cache/cache.db`` next to the Flyte
config). Stargazer remembers which task wrote each entry, so entries can be listed and cleared
by task; `explain` shows what the key of one task call is made of, so you can see why a call
hit or missed.

    stargazer cache ls
    stargazer cache clear mark_duplicates
    stargazer cache explain prepare_reference -i reference=build=demo
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import click

from stargazer.cli.errors import CLIError, reported
from stargazer.cli.options import task_inputs


def cache_db() -> Path:
    """Where Flyte keeps the local task cache for the config this directory uses."""
    from flyte._persistence._db import CACHE_LOCATION, LocalDB

    return LocalDB._get_cache_dir() / Path(CACHE_LOCATION).name


def _connect() -> sqlite3.Connection | None:
    from stargazer.caching import ENTRIES_DDL

    path = cache_db()
    if not path.is_file():
        return None
    connection = sqlite3.connect(path, timeout=30)
    connection.execute("CREATE TABLE IF NOT EXISTS task_cache (key TEXT PRIMARY KEY, value BLOB)")
    connection.execute(ENTRIES_DDL)
    return connection


def _outputs(value: bytes) -> Any:
    from flyteidl2.task import common_pb2

    outputs = common_pb2.Outputs()
    outputs.ParseFromString(value)
    return outputs


def _state(value: bytes) -> str:
    """``ok`` if every output asset exists, else what is missing."""
    from stargazer.caching import missing_outputs

    missing = missing_outputs(_outputs(value))
    return "ok" if not missing else f"stale: {len(missing)} output(s) gone"


def _matches(task: str, wanted: str) -> bool:
    return task == wanted or task.rsplit(".", 1)[-1] == wanted


@click.group()
def cache() -> None:
    """List, clear and explain the local task cache (.flyte/local-cache/cache.db)."""


@cache.command("ls")
def ls() -> None:
    """List cached task results: task, age, key, whether their outputs still exist."""
    connection = _connect()
    if connection is None:
        click.echo(f"no task cache yet ({cache_db()})")
        return
    with connection:
        rows = connection.execute(
            "SELECT c.key, c.value, e.task, e.created FROM task_cache c "
            "LEFT JOIN stargazer_cache e ON e.key = c.key ORDER BY e.task, e.created"
        ).fetchall()
    if not rows:
        click.echo(f"the task cache is empty ({cache_db()})")
        return
    now = time.time()
    for key, value, task, created in rows:
        age = f"{(now - created) / 3600:.1f}h ago" if created else "?"
        click.echo(f"{task or '(unknown task)'}\t{age}\t{key[:16]}\t{_state(value)}")
    click.echo(f"{len(rows)} entries in {cache_db()}", err=True)


@cache.command()
@click.argument("task", required=False)
def clear(task: str | None) -> None:
    """Delete cached results: all of them, or those of TASK (e.g. mark_duplicates)."""
    connection = _connect()
    if connection is None:
        click.echo("no task cache yet: nothing to clear")
        return
    with connection:
        if task is None:
            (count,) = connection.execute("SELECT count(*) FROM task_cache").fetchone()
            connection.execute("DELETE FROM task_cache")
            connection.execute("DELETE FROM stargazer_cache")
        else:
            keys = [
                key
                for key, name in connection.execute("SELECT key, task FROM stargazer_cache")
                if _matches(name, task)
            ]
            for key in keys:
                connection.execute("DELETE FROM task_cache WHERE key = ?", (key,))
                connection.execute("DELETE FROM stargazer_cache WHERE key = ?", (key,))
            count = len(keys)
    click.echo(f"cleared {count} cached result(s){f' of {task}' if task else ''}")


def find_task(name: str) -> Any:
    """A task by function name (``mark_duplicates``) or ``module:name`` (your own modules)."""
    from stargazer.invoke import load_task

    with reported():
        return load_task(name).task


def _policy(task: Any) -> Any:
    from flyte._cache.cache import cache_from_request

    from stargazer.caching import SourceTreePolicy

    cache_setting = cache_from_request(task.cache)
    policies = cache_setting.policies or []
    policies = policies if isinstance(policies, list) else [policies]
    for policy in policies:
        if isinstance(policy, SourceTreePolicy):
            return cache_setting, policy
    raise CLIError(
        f"{task.name} is not cached with stargazer's policy (stargazer.caching.cache_policy)"
    )


def _short(value: Any) -> str:
    from stargazer.types import Asset

    if isinstance(value, Asset):
        return value.id
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_short(item) for item in value) + "]"
    return repr(value)


def _echo_parts(task_name: str, parts: dict[str, Any]) -> None:
    """The parts of a cache key besides the inputs: task, scope, Python, code, packages."""
    from stargazer.store import open_store

    click.echo(f"task      {task_name}  ({parts.pop('task')})")
    click.echo(f"scope     {parts.pop('scope', '(none)')}  ({open_store().describe()})")
    click.echo(f"python    {parts.pop('python')}")
    code = {k: v for k, v in parts.items() if k.startswith(("code:", "notebook:"))}
    label = "code"
    for name, digest in code.items():
        click.echo(f"{label:<9} {name.split(':', 1)[1]}  {digest}")
        label = ""
    versions = [f"{k.split(':', 1)[1]} {v}" for k, v in parts.items() if k.startswith("tool:")]
    click.echo(f"packages  {len(versions)} (the environment's dependency closure)")
    for line in versions:
        click.echo(f"          {line}")


def _key(task: Any, version: str, ignored: list[str], kwargs: dict[str, Any]) -> str:
    import asyncio

    from flyte._internal.runtime import convert
    from flyte._internal.runtime.types_serde import transform_native_to_typed_interface

    inputs = asyncio.run(convert.convert_from_native_to_inputs(task.native_interface, **kwargs))
    return convert.generate_cache_key_hash(
        task.name,
        convert.generate_inputs_hash_from_proto(inputs.proto_inputs),
        transform_native_to_typed_interface(task.interface),
        version,
        ignored,
        inputs.proto_inputs,
    )


@cache.command()
@click.argument("task_name", metavar="TASK")
@task_inputs("An input of the call, as for `stargazer run`")
def explain(task_name: str, inputs: tuple[str, ...], latest: bool) -> None:
    """Show what the cache key of a call of TASK is made of, and whether it would hit.

    Example: stargazer cache explain align -i reference=build=demo -i reads=sample_id=sample1
    """
    import flyte
    from flyte._cache.cache import VersionParameters

    from stargazer.invoke import Entry, convert_inputs, parameters, parse_assignments

    task = find_task(task_name)
    flyte.init_from_config()
    cache_setting, policy = _policy(task)
    parts = policy.describe(task.func)
    ignored = list(cache_setting.get_ignored_inputs())
    version = cache_setting.get_version(VersionParameters(func=task.func, image=task.image))

    _echo_parts(task.name, parts)
    click.echo(f"version   {version}")

    entry = Entry(name=task.func.__name__, task=task, module=task.func.__module__)
    with reported():
        given = parse_assignments(inputs)
    names = [param.name for param in parameters(entry)]
    required = [param.name for param in parameters(entry) if param.required]
    if any(name not in {n for n, _ in given} for name in required):
        for name in names:
            note = "ignored: cannot change outputs" if name in ignored else "in the key"
            click.echo(f"input     {name}  ({note})")
        click.echo("key       give every required input (-i NAME=VALUE) to see the key")
        return
    with reported():
        kwargs = convert_inputs(entry, given, latest=latest).kwargs
    for name in names:
        shown = _short(kwargs[name]) if name in kwargs else "(default)"
        note = "ignored: cannot change outputs" if name in ignored else "in the key"
        click.echo(f"input     {name} = {shown}  ({note})")
    key = _key(task, version, ignored, kwargs)
    click.echo(f"key       {key}")
    connection = _connect()
    row = None
    if connection is not None:
        with connection:
            row = connection.execute(
                "SELECT value FROM task_cache WHERE key = ?", (key,)
            ).fetchone()
    if row is None:
        click.echo("cache     miss: no result under this key (the task will run)")
    elif (state := _state(row[0])) == "ok":
        click.echo("cache     hit: a result with every output asset present")
    else:
        click.echo(f"cache     miss: {state} (the task will run again)")
