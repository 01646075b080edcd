"""Modules edited on disk after this process imported them: warn once, write nothing.

A long-lived process (a marimo kernel, the MCP server) runs the code it imported, while a
fresh process would hash the files as they are now. Once one of the modules in a key changed,
this process may no longer write to the cache (`cache_writes_allowed`).
"""

from __future__ import annotations

import warnings

from stargazer.caching.notebook import NOTEBOOK_MODULES
from stargazer.caching.sources import _changed, _lock, _sources, file_digest

#: Modules that are part of a key computed in this process (`SourceTreePolicy` adds them).
_watched: set[str] = set()
_warned = False


def changed_sources() -> dict[str, str]:
    """Modules in a cache key whose file no longer holds the source this process imported.

    Only modules that are part of a cache key computed in this process are watched. A module
    reloaded since (``importlib.reload``, marimo's autoreload) runs its new source and is no
    longer reported.

    Returns:
        Module name -> file, sorted.
    """
    with _lock:
        sources = [_sources[name] for name in _watched if name in _sources]
        changed = dict(_changed)  # imported after a key was computed from other bytes
    for source in sources:
        if source.module in NOTEBOOK_MODULES:
            continue  # a notebook's or script's own code is hashed from what was captured
        try:
            same = file_digest(source.path) == source.digest
        except OSError:
            same = False
        if not same:
            changed[source.module] = source.path
    return dict(sorted(changed.items()))


def _warn_changed(changed: dict[str, str]) -> None:
    global _warned
    with _lock:
        if _warned:
            return
        _warned = True
    files = ", ".join(changed.values())
    warnings.warn(
        f"{files} changed on disk after this process imported it: this process runs the old "
        "code, so it writes nothing more to the task cache. Restart the kernel (or the "
        "process) to run and cache the new code.",
        RuntimeWarning,
        stacklevel=3,
    )


def cache_writes_allowed() -> bool:
    """False (after one warning) once any imported module changed on disk."""
    changed = changed_sources()
    if changed:
        _warn_changed(changed)
    return not changed
