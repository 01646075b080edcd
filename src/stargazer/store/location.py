"""Where the local store lives: `$STARGAZER_HOME`, the workspace's `.stargazer/`, or the user's.

See docs/assets.md, "Where the store lives".
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from stargazer.errors import StoreWarning


def workspace_root(start: Path | None = None) -> Path:
    """The nearest folder (from `start`, default cwd, upwards) with `.git` or `pyproject.toml`."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists() or (folder / "pyproject.toml").exists():
            return folder
    return here


def user_store_root() -> Path:
    """The per-user store used outside a workspace: `$XDG_DATA_HOME/stargazer`.

    `XDG_DATA_HOME` defaults to `~/.local/share` (and is ignored unless absolute, as the XDG
    spec says).
    """
    data = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(data) if data and Path(data).is_absolute() else Path.home() / ".local" / "share"
    return base / "stargazer"


def default_root() -> Path:
    """Where the store lives (docs/assets.md, "Where the store lives").

    1. `$STARGAZER_HOME` when set;
    2. `.stargazer/` in the nearest folder, from the cwd upwards, with a `.git`, a
       `pyproject.toml` or an existing store (`.stargazer/manifests/`);
    3. outside any workspace, the per-user store (`user_store_root()`), said once on stderr
       (a `StoreWarning`) so a command never silently makes `./.stargazer` in a random folder.
    """
    home = os.environ.get("STARGAZER_HOME")
    if home:
        return Path(home).expanduser().resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists() or (folder / "pyproject.toml").exists():
            return folder / ".stargazer"
        if (folder / ".stargazer" / "manifests").is_dir():
            return folder / ".stargazer"
    root = user_store_root()
    warnings.warn(
        f"no workspace (.git or pyproject.toml) in {here} or above: using your per-user store "
        f"{root} (set STARGAZER_HOME to choose another)",
        StoreWarning,
        stacklevel=2,
    )
    return root
