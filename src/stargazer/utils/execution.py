"""Where tasks run: read from the Flyte config that `flyte.init_from_config()` uses.

Notebooks show this near the top so a researcher always knows whether a cell runs on the
laptop or on a cluster. Nothing in a task or workflow depends on it; only
`.flyte/config.yaml` decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ExecutionContext:
    """The execution settings in force.

    Attributes:
        mode: "local" when tasks run in this process, "remote" when an endpoint is set.
        endpoint: The Flyte cluster endpoint, or None for local execution.
        config_path: The config file that was read, or None when flyte found none.
        persistence: Whether local run history and the task cache are kept on disk.
        project: The Flyte project (remote only).
        domain: The Flyte domain (remote only).
    """

    mode: str
    endpoint: str | None
    config_path: Path | None
    persistence: bool
    project: str | None = None
    domain: str | None = None

    def describe(self) -> str:
        """One line for people: where tasks run and where the config came from."""
        source = str(self.config_path) if self.config_path else "no config file (defaults)"
        if self.mode == "remote":
            return (
                f"remote: {self.endpoint} (project {self.project}, domain {self.domain}) — {source}"
            )
        kept = "run history and cache kept on disk" if self.persistence else "nothing kept"
        return f"local: tasks run in this process, {kept} — {source}"


def execution_context(config_path: str | Path | None = None) -> ExecutionContext:
    """Read the Flyte config the way `flyte.init_from_config()` does.

    Args:
        config_path: An explicit config file; by default flyte's own search order
            (`./.flyte/config.yaml`, the git root's `.flyte/config.yaml`, `FLYTECTL_CONFIG`, ...).

    Returns:
        The execution context described by that config.
    """
    import flyte.config

    config = flyte.config.auto(str(config_path) if config_path else None)
    endpoint = config.platform.endpoint or None
    source = Path(config.source).resolve() if config.source else None
    return ExecutionContext(
        mode="remote" if endpoint else "local",
        endpoint=endpoint,
        config_path=source,
        persistence=bool(config.local.persistence),
        project=config.task.project if endpoint else None,
        domain=config.task.domain if endpoint else None,
    )
