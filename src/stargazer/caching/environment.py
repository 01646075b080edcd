"""The environment part of a key: the dependency closure's versions and the Python version."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, distribution

from stargazer.caching.sources import _lock


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


_closure_cache: dict[tuple[str, ...], dict[str, str]] = {}


def distribution_closure(packages: Iterable[str]) -> dict[str, str]:
    """Installed version of each package and of everything it requires, recursively.

    Read from distribution metadata (``Requires-Dist``, markers evaluated for this Python,
    extras left out); a package that is not installed is ``"absent"``.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    roots = tuple(sorted({_canonical(p) for p in packages}))
    with _lock:
        if roots in _closure_cache:
            return _closure_cache[roots]
    found: dict[str, str] = {}
    pending = list(roots)
    while pending:
        name = _canonical(pending.pop())
        if name in found:
            continue
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            found[name] = "absent"
            continue
        found[name] = dist.version
        for text in dist.requires or ():
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            pending.append(requirement.name)
    result = dict(sorted(found.items()))
    with _lock:
        _closure_cache[roots] = result
    return result


def tool_versions(packages: Iterable[str]) -> dict[str, str]:
    """Installed version of each distribution (``"absent"`` when not installed)."""
    return {p: distribution_closure([p]).get(_canonical(p), "absent") for p in packages}


def python_version() -> str:
    """The interpreter that runs tasks, e.g. ``CPython 3.11.9``."""
    return f"{sys.implementation.name} {sys.version.split()[0]}"
