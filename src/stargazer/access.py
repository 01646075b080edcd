"""The folders Stargazer may open files from when a notebook widget or an agent names a path.

MCP `add_asset` and the notebooks' file pickers open files by path on behalf of someone who
may not be the user (an AI client, a visitor of a shared notebook). They are confined to the
*allowed roots*:

- the workspace (the nearest folder above the current directory with `.git` or
  `pyproject.toml`);
- the folders listed in `STARGAZER_DATA_DIRS` (separated by `os.pathsep`, `:` on Linux);
- the folders listed under `data_dirs` in the workspace's `pyproject.toml`:

```toml
[tool.stargazer]
data_dirs = ["/data/shared/fastq", "../reference"]
```

Relative entries are relative to the workspace. A path is checked after resolving every
symlink in it, so a link inside the workspace that points at `/etc/shadow` is refused:

```python
from stargazer.access import check_path

path = check_path("data/s1_R1.fastq.gz")  # the resolved path, or PermissionError
```
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from pathlib import Path

from stargazer.store import workspace_root

#: Environment variable listing extra data folders, separated by `os.pathsep`.
DATA_DIRS_ENV = "STARGAZER_DATA_DIRS"

#: The longest path accepted (Linux PATH_MAX); longer input is refused before any file call.
MAX_PATH_CHARS = 4096

#: How much of an over-long or refused value is quoted back in a message.
QUOTE_CHARS = 120


def quote(value: str, limit: int = QUOTE_CHARS) -> str:
    """`value` shortened for a message or a log line, saying how much was cut."""
    if len(value) <= limit:
        return value
    return f"{value[:limit]}... ({len(value)} characters)"


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback interface (`127.0.0.1`, `::1`, `localhost`).

    `0.0.0.0`, `::` and every other address are reachable from the network.
    """
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def write_private(path: Path, text: str) -> None:
    """Write a secret readable by its owner only (0600), in a 0700 folder if one is created.

    The text goes to a new 0600 file beside `path` that is renamed over it, so it is never
    readable by others, not even for a moment, and a symlink at `path` is replaced, never
    followed.
    """
    import tempfile

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _configured_dirs(root: Path) -> list[str]:
    """`[tool.stargazer] data_dirs` from the workspace's pyproject.toml (empty if none)."""
    pyproject = root / "pyproject.toml"
    try:
        with open(pyproject, "rb") as handle:
            config = tomllib.load(handle)
    except FileNotFoundError:
        return []
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ValueError(
            f"{pyproject}: cannot read [tool.stargazer] data_dirs ({err}); fix the file"
        ) from err
    entries = config.get("tool", {}).get("stargazer", {}).get("data_dirs", [])
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise ValueError(
            f"{pyproject}: [tool.stargazer] data_dirs must be a list of folder paths, "
            f'e.g. data_dirs = ["/data/fastq"], got {entries!r}'
        )
    return entries


def allowed_roots(start: Path | None = None) -> tuple[Path, ...]:
    """The folders files may be opened from: the workspace, then the listed data folders.

    Args:
        start: Where to look for the workspace; by default the current directory.

    Returns:
        Resolved folders, without duplicates, the workspace first.

    Raises:
        ValueError: `[tool.stargazer] data_dirs` in pyproject.toml is not a list of strings.
    """
    root = workspace_root(start)
    listed = [e for e in os.environ.get(DATA_DIRS_ENV, "").split(os.pathsep) if e.strip()]
    listed += _configured_dirs(root)
    roots = [root]
    for entry in listed:
        folder = Path(entry.strip()).expanduser()
        resolved = Path(os.path.realpath(root / folder))
        if resolved not in roots:
            roots.append(resolved)
    return tuple(roots)


def how_to_allow() -> str:
    """One sentence saying how to add an allowed root."""
    return (
        f"to allow another folder, add it to {DATA_DIRS_ENV} (separate folders with "
        f"{os.pathsep!r}) or to data_dirs under [tool.stargazer] in the workspace's "
        "pyproject.toml, then restart"
    )


def check_path(
    path: str | os.PathLike[str], roots: Sequence[Path] | None = None, what: str = "path"
) -> Path:
    """The resolved path, if it lies under an allowed root; refuse it otherwise.

    Args:
        path: The path as given (`~` is expanded; relative paths are relative to the cwd).
        roots: The allowed roots; by default `allowed_roots()`.
        what: What the path is, for messages (`"path"`, `"companion 'r2'"`).

    Returns:
        The path with every symlink resolved; open this one, not the one given.

    Raises:
        ValueError: The path is not text, is longer than `MAX_PATH_CHARS` or holds a NUL byte.
        PermissionError: The resolved path is outside every allowed root.
    """
    if not isinstance(path, str | os.PathLike):
        raise ValueError(f"{what} must be a string, got {type(path).__name__}")
    text = os.fspath(path)
    if len(text) > MAX_PATH_CHARS:
        raise ValueError(
            f"{what} {quote(text, 60)!r} is too long: {len(text)} characters, at most "
            f"{MAX_PATH_CHARS}; pass the path of a file in the workspace or a data folder"
        )
    if "\x00" in text:
        raise ValueError(f"{what} {quote(text)!r} holds a NUL byte; pass a plain file path")
    if not text.strip():
        raise ValueError(f"{what} is empty; pass the path of a file")
    resolved = Path(os.path.realpath(Path(text).expanduser()))
    allowed = tuple(roots) if roots is not None else allowed_roots()
    if any(resolved.is_relative_to(root) for root in allowed):
        return resolved
    shown = f"{text} (which resolves to {resolved})" if str(resolved) != text else text
    raise PermissionError(
        f"{shown} is outside the folders Stargazer may open files from: "
        f"{', '.join(str(r) for r in allowed)}; {how_to_allow()}"
    )
