"""`stargazer run WORKFLOW`: run a workflow on stored assets from the shell.

Workflows are the Flyte tasks exported by `stargazer.workflows` (its `__all__`), by name.
Inputs are given as ``-i NAME=VALUE``; the parameter's type decides how VALUE is read:

- an asset parameter takes an asset id (``reads-3f2a...``) or a metadata query
  (``sample_id=s1`` or ``sample_id=s1,platform=ILLUMINA``); a list parameter takes ``-i``
  several times and a query may match several assets;
- a scalar parameter (int, float, bool, str) takes its value as text.

Example::

    stargazer run germline_variants -i reference=build=demo -i samples=sample_id=sample1
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import json
import re
import time
import types
import typing
from pathlib import Path
from typing import Any

import click

_ASSET_ID = re.compile(r"^[a-z_]+-[0-9a-f]{16,}$")


def workflows() -> dict[str, Any]:
    """The workflows `stargazer.workflows` exports, by name."""
    import importlib

    import flyte

    module = importlib.import_module("stargazer.workflows")
    found = {}
    for name in getattr(module, "__all__", []):
        task = getattr(module, name, None)
        if isinstance(task, flyte.TaskTemplate):
            found[name] = task
    return found


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(inner type, is a list) of a parameter annotation; ``X | None`` becomes ``X``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            annotation = members[0]
    if typing.get_origin(annotation) is list and typing.get_args(annotation):
        return typing.get_args(annotation)[0], True
    return annotation, False


def _is_asset(kind: Any) -> bool:
    from stargazer.types import Asset

    return inspect.isclass(kind) and issubclass(kind, Asset)


def parameters(task: Any) -> list[tuple[str, Any, bool, Any]]:
    """(name, annotation, required, default) of a task's parameters, in order."""
    hints = typing.get_type_hints(task.func)
    return [
        (
            name,
            hints.get(name, str),
            param.default is inspect.Parameter.empty,
            None if param.default is inspect.Parameter.empty else param.default,
        )
        for name, param in inspect.signature(task.func).parameters.items()
    ]


def _type_label(annotation: Any) -> str:
    inner, many = _unwrap(annotation)
    name = getattr(inner, "__name__", str(inner))
    return f"list[{name}]" if many else name


def describe(name: str, task: Any) -> str:
    """One workflow: its first docstring line and its parameters."""
    doc = inspect.cleandoc(task.func.__doc__ or "").splitlines()
    lines = [f"{name}: {doc[0] if doc else ''}"]
    for param, annotation, required, default in parameters(task):
        suffix = "required" if required else f"default {default!r}"
        lines.append(f"    -i {param}=...   {_type_label(annotation)}, {suffix}")
    return "\n".join(lines)


def _query(text: str) -> dict[str, str]:
    query = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(
                f"{text!r} is neither an asset id nor a query of key=value pairs",
                param_hint="--input",
            )
        query[key.strip()] = value.strip()
    return query


def asset_line(asset: Any) -> str:
    """One resolved asset for people: its id, then the label the notebooks' pickers show."""
    from stargazer.utils.pickers import asset_label

    return f"{asset.id} ({asset_label(asset)})"


def resolve_assets(
    name: str, kind: type, text: str, latest: bool, many: bool, notes: list[str] | None = None
) -> list[Any]:
    """The assets of ``kind`` that one ``-i name=TEXT`` refers to.

    Args:
        name: The parameter.
        kind: Its asset class.
        text: An asset id or a metadata query.
        latest: Take the newest match (per sample for a list) when several match.
        many: The parameter takes a list.
        notes: When given, gets one line per resolved asset and, when ``--latest`` picked
            among several matches, a line saying which it chose.

    Raises:
        click.ClickException: Nothing matches, the id is of another kind, or (for a single
            asset without ``--latest``) several assets match.
    """
    from stargazer.types import Asset, assemble

    if _ASSET_ID.match(text):
        try:
            asset = Asset.load(text)
        except KeyError as err:
            raise click.ClickException(
                f"{name}: no asset {text} in the store; list them with `stargazer assets ls`"
            ) from err
        except ValueError as err:
            raise click.ClickException(f"{name}: {err}") from err
        if not isinstance(asset, kind):
            raise click.ClickException(
                f"{name} takes a {kind.__name__} asset, but {text} is a {type(asset).__name__}"
            )
        if notes is not None:
            notes.append(f"  {name}: {asset_line(asset)}")
        return [asset]
    query = _query(text)
    asked = query.pop("kind", kind.kind)
    if asked != kind.kind:
        raise click.ClickException(f"{name} takes {kind.kind} assets, not kind={asked}")
    metadata = kind.parse_metadata({k: v for k, v in query.items() if k in kind.metadata_fields()})
    filters = {**query, **metadata}
    try:
        found = assemble(kind=kind.kind, **filters)
    except ValueError as err:
        raise click.ClickException(f"{name}: bad query {text!r}: {err}") from err
    if not found:
        raise click.ClickException(
            f"{name}: no {kind.__name__} asset matches {text!r}; list them with "
            f"`stargazer assets ls --type {kind.kind}`"
        )
    chosen = found
    if latest and not many:
        chosen = found[-1:]
    elif latest:
        newest: dict[str, Any] = {}
        for asset in found:  # oldest first, so the newest per sample wins
            newest[getattr(asset, "sample_id", asset.id) or asset.id] = asset
        chosen = list(newest.values())
    elif not many and len(found) > 1:
        shown = "".join(f"\n  {asset_line(asset)}" for asset in reversed(found[-5:]))
        more = f"\n  ... and {len(found) - 5} older" if len(found) > 5 else ""
        raise click.ClickException(
            f"{name}: {len(found)} {kind.__name__} assets match {text!r}; pass one id, "
            f"narrow the query, or add --latest to take the newest:{shown}{more}"
        )
    if notes is not None:
        notes += [f"  {name}: {asset_line(asset)}" for asset in chosen]
        if len(chosen) < len(found):
            which = "the newest" if not many else f"{len(chosen)}, the newest per sample,"
            notes.append(
                f"    --latest chose {which} of {len(found)} {kind.__name__} assets matching "
                f"{text!r}"
            )
    return chosen


def _scalar(name: str, annotation: Any, text: str) -> Any:
    kind, _ = _unwrap(annotation)
    try:
        if kind is bool:
            lowered = text.strip().lower()
            if lowered not in ("true", "false", "yes", "no", "1", "0"):
                raise ValueError("expected true or false")
            return lowered in ("true", "yes", "1")
        if kind in (int, float, str):
            return kind(text)
    except ValueError as err:
        raise click.BadParameter(f"{name}={text!r}: {err}", param_hint="--input") from err
    raise click.ClickException(
        f"{name} has type {_type_label(annotation)}, which `stargazer run` cannot read from "
        "text; run this workflow from Python instead"
    )


def resolve_inputs(
    task: Any, given: list[tuple[str, str]], latest: bool, notes: list[str] | None = None
) -> dict[str, Any]:
    """Turn ``-i NAME=VALUE`` pairs into keyword arguments for the workflow.

    ``notes``, when given, gets one line per resolved asset (see `resolve_assets`).

    Raises:
        click.ClickException: Unknown or missing parameters, or unresolvable values.
    """
    params = {name: (annotation, required) for name, annotation, required, _ in parameters(task)}
    unknown = sorted({name for name, _ in given} - set(params))
    if unknown:
        raise click.ClickException(
            f"{task.short_name} has no parameter {', '.join(unknown)}; its parameters are "
            f"{', '.join(params)}"
        )
    named = {name for name, _ in given}
    missing = [name for name, (_, required) in params.items() if required and name not in named]
    if missing:
        raise click.ClickException(
            f"{task.short_name} needs {', '.join(missing)}: pass -i {missing[0]}=..."
        )
    kwargs: dict[str, Any] = {}
    for name, text in given:
        annotation, _ = params[name]
        inner, many = _unwrap(annotation)
        if _is_asset(inner):
            value = resolve_assets(name, inner, text, latest, many, notes)
            if many:
                kwargs.setdefault(name, []).extend(value)
            elif name in kwargs:
                raise click.ClickException(f"{name} takes one asset; -i {name}= was given twice")
            else:
                kwargs[name] = value[0]
        elif many:
            kwargs.setdefault(name, []).append(_scalar(name, inner, text))
        else:
            kwargs[name] = _scalar(name, annotation, text)
    return kwargs


def _outputs(value: Any) -> list[Any]:
    if isinstance(value, tuple | list):
        return [item for part in value for item in _outputs(part)]
    return [value]


def _record(value: Any) -> Any:
    from stargazer.types import Asset

    if isinstance(value, Asset):
        record = dataclasses.asdict(value)
        record["kind"] = value.kind
        record["path"] = str(value.path)
        return record
    return value


def task_runs(run: Any, context: Any) -> list[tuple[str, bool]] | None:
    """(task, came from cache) for each task a local run executed, from Flyte's run history.

    None when the history is not on this machine (a cluster run, or persistence off).
    """
    import sqlite3

    if context.mode != "local" or context.config_path is None or not context.persistence:
        return None
    database = context.config_path.parent / "local-cache" / "cache.db"
    run_name = Path(str(getattr(run, "url", ""))).name
    if not run_name or not database.exists():
        return None
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        rows = db.execute(
            "SELECT short_name, cache_hit FROM runs WHERE run_name = ? AND action_name != 'a0' "
            "ORDER BY start_time",
            (run_name,),
        ).fetchall()
    return [(str(name), bool(hit)) for name, hit in rows]


def summary(
    workflow: str, results: list[Any], runs: list[tuple[str, bool]] | None, seconds: float
) -> str:
    """The one line that ends `stargazer run`: outputs, cache hits against runs, wall time.

    ``runs`` holds the workflow's own call too: when it is a hit, nothing below it ran.
    """
    from stargazer.types import Asset

    outputs = [
        f"{value.kind} {value.id}" if isinstance(value, Asset) else repr(value) for value in results
    ]
    if runs is None:
        tasks = "task cache use not recorded on this machine"
    elif (workflow, True) in runs:
        tasks = "the whole workflow came from the cache (no task ran)"
    else:
        steps = [hit for name, hit in runs if name != workflow]
        hits = sum(steps)
        tasks = f"{len(steps)} task(s): {len(steps) - hits} ran, {hits} from cache"
    return f"Done in {seconds:.1f} s: {'; '.join(outputs) or 'no outputs'} — {tasks}"


def _inputs(values: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{value!r} is not NAME=VALUE", param_hint="--input")
        pairs.append((name.strip(), text.strip()))
    return pairs


@click.command()
@click.argument("workflow", required=False)
@click.option(
    "--input",
    "-i",
    "inputs",
    multiple=True,
    metavar="NAME=VALUE",
    help="A workflow input: an asset id, a metadata query (key=value[,key=value]) or a scalar. "
    "Repeat for list inputs.",
)
@click.option(
    "--latest",
    is_flag=True,
    help="When a query matches several assets, take the newest (per sample for list inputs).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the outputs as JSON records.")
def run(workflow: str | None, inputs: tuple[str, ...], latest: bool, as_json: bool) -> None:
    """Run a workflow on stored assets (locally or on the cluster in .flyte/config.yaml).

    Without WORKFLOW, lists the workflows and their inputs. Example:

        stargazer run germline_variants -i reference=build=demo -i samples=sample_id=sample1
    """
    known = workflows()
    if workflow is None:
        for name, task in known.items():
            click.echo(describe(name, task))
        return
    if workflow not in known:
        raise click.ClickException(
            f"no workflow named {workflow!r}; known: {', '.join(known) or '(none)'}"
        )
    task = known[workflow]
    notes: list[str] = []
    kwargs = resolve_inputs(task, _inputs(inputs), latest, notes)

    import flyte
    import flyte.errors

    from stargazer.utils import execution_context

    if notes:
        click.echo("Inputs:\n" + "\n".join(notes), err=True)
    context = execution_context()
    click.echo(f"Running {workflow} — {context.describe()}", err=True)
    flyte.init_from_config()
    started = time.monotonic()
    try:
        handle = flyte.run(task, **kwargs)
        outputs = handle.outputs()
    except flyte.errors.BaseRuntimeError as err:
        raise click.ClickException(f"{workflow} failed: {err}") from err
    seconds = time.monotonic() - started
    results = _outputs(outputs)
    if as_json:
        click.echo(json.dumps([_record(value) for value in results], indent=2, default=str))
    else:
        for value in results:
            record = _record(value)
            if isinstance(record, dict):
                click.echo(f"{record['kind']}\t{record['id']}\t{record['path']}")
            else:
                click.echo(str(record))
    click.echo(summary(workflow, results, task_runs(handle, context), seconds), err=True)
