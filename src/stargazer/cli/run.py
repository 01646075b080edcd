"""`stargazer run WORKFLOW`: run a workflow on stored assets from the shell.

Workflows are the Flyte tasks exported by `stargazer.workflows` (its `__all__`), by name.
Inputs are given as ``-i NAME=VALUE``; the parameter's type decides how VALUE is read:

- an asset parameter takes an asset id (``reads-3f2a...``) or a metadata query
  (``sample_id=s1`` or ``sample_id=s1,platform=ILLUMINA``); a list parameter takes ``-i``
  several times and a query may match several assets;
- a scalar parameter (int, float, bool, str) takes its value as text.

The names, the conversion and the messages come from `stargazer.invoke`, which the MCP tools
`run_workflow` / `run_task` use too, so both accept and refuse the same inputs.

Example::

    stargazer run germline_variants -i reference=build=demo -i samples=sample_id=sample1
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any

import click

from stargazer.cli.errors import CLIError, reported
from stargazer.cli.options import task_inputs


def workflows() -> dict[str, Any]:
    """The workflows `stargazer.workflows` exports, by name."""
    from stargazer.invoke import Catalog

    return {name: entry.task for name, entry in Catalog().entries("workflow").items()}


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


@click.command()
@click.argument("workflow", required=False)
@task_inputs("A workflow input")
@click.option("--json", "as_json", is_flag=True, help="Print the outputs as JSON records.")
def run(workflow: str | None, inputs: tuple[str, ...], latest: bool, as_json: bool) -> None:
    """Run a workflow on stored assets (locally or on the cluster in .flyte/config.yaml).

    Without WORKFLOW, lists the workflows and their inputs. Example:

        stargazer run germline_variants -i reference=build=demo -i samples=sample_id=sample1
    """
    from stargazer.invoke import (
        Catalog,
        convert_inputs,
        describe_text,
        flatten,
        output_record,
        parse_assignments,
    )

    catalog = Catalog()
    if workflow is None:
        for entry in catalog.entries("workflow").values():
            click.echo(describe_text(entry))
        return
    with reported():
        entry = catalog.find(workflow, kind="workflow")
        converted = convert_inputs(entry, parse_assignments(inputs), latest=latest)

    import flyte
    import flyte.errors

    from stargazer.utils import execution_context

    if converted.notes:
        click.echo("Inputs:\n" + "\n".join(converted.notes), err=True)
    context = execution_context()
    click.echo(f"Running {entry.name} — {context.describe()}", err=True)
    flyte.init_from_config()
    started = time.monotonic()
    try:
        handle = flyte.run(entry.task, **converted.kwargs)
        outputs = handle.outputs()
    except flyte.errors.BaseRuntimeError as err:
        raise CLIError(f"{entry.name} failed: {err}") from err
    seconds = time.monotonic() - started
    results = flatten(outputs)
    records = [output_record(value) for value in results]
    if as_json:
        click.echo(json.dumps(records, indent=2, default=str))
    else:
        for record in records:
            if isinstance(record, dict) and "path" in record:
                click.echo(f"{record['kind']}\t{record['id']}\t{record['path']}")
            else:
                click.echo(str(record))
    click.echo(summary(entry.name, results, task_runs(handle, context), seconds), err=True)
