"""Where a notebook may send its runs: this machine, or the cluster in `.flyte/config.yaml`.

A "run where" control offers both; the cluster only when the config names one. Either way
the notebook runs the same code, `flyte.with_runcontext(mode=target.mode).run(task, ...)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from stargazer.utils.execution import ExecutionContext


@dataclass(frozen=True)
class RunTarget:
    """One place runs can go.

    Attributes:
        label: What a person reads ("this machine", "cluster flyte.example.org").
        mode: The `flyte.with_runcontext` mode: "local" or "remote".
        available: Whether runs can go there with the config in force.
        reason: Why not, with the fix, when it is not available ("" otherwise).
    """

    label: str
    mode: Literal["local", "remote"]
    available: bool
    reason: str = ""


def run_targets(context: ExecutionContext) -> list[RunTarget]:
    """The places runs can go under this execution context, the config's own choice first.

    Args:
        context: From `stargazer.utils.execution_context()`.
    """
    local = RunTarget("this machine (local)", "local", True)
    if context.endpoint:
        cluster = RunTarget(f"cluster {context.endpoint.split('///')[-1]}", "remote", True)
        return [cluster, local]
    where = context.config_path or ".flyte/config.yaml"
    reason = (
        f"no cluster is configured in {where}: add an `admin: endpoint:` (and `task: project:` "
        "/ `domain:`) there to run on one"
    )
    return [local, RunTarget("cluster", "remote", False, reason)]
