"""One source of version pins: the `[project] dependencies` of this workspace.

Images for the cluster, the task environments' cache keys and the checks that compare an
image with its spec all read the pins from here, so a version is written once, in
`pyproject.toml`. In a checkout the file itself is read; in a wheel install (an image, a pod)
the same list comes from the installed distribution's metadata (`Requires-Dist`).

    from stargazer import pins
    pins.requirement("pysam")            # 'pysam==0.24.1'
    pins.requirements("pysam", "pybwa")  # ('pysam==0.24.1', 'pybwa==2.3.2')
    pins.pinned_version("pysam")         # '0.24.1'
"""

from __future__ import annotations

import functools
import importlib.metadata
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

#: This distribution's name in its own metadata (not the unrelated package of that name on PyPI).
DISTRIBUTION = "stargazer"

#: pyproject.toml of a checkout (src/stargazer/pins.py -> the repository root).
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _from_pyproject(path: Path) -> list[str] | None:
    try:
        project = tomllib.loads(path.read_text())["project"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return None
    if project.get("name") != DISTRIBUTION:
        return None
    return list(project.get("dependencies", []))


def _from_metadata() -> list[str]:
    try:
        declared = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError as err:
        raise RuntimeError(
            f"no {PYPROJECT} and no installed {DISTRIBUTION} distribution: install the workspace "
            "(`make install`, or the wheel `scripts/package.sh build` makes)"
        ) from err
    # Optional extras (`extra == "dev"`) are not runtime dependencies.
    return [line for line in declared if "extra ==" not in line.replace("'", '"')]


@functools.cache
def dependencies() -> dict[str, Requirement]:
    """The runtime dependencies, by canonical name (pyproject.toml, else installed metadata)."""
    lines = _from_pyproject(PYPROJECT)
    if lines is None:
        lines = _from_metadata()
    found: dict[str, Requirement] = {}
    for line in lines:
        requirement = Requirement(line)
        found[canonicalize_name(requirement.name)] = requirement
    return found


def requirement(name: str) -> str:
    """The dependency `name` as pyproject.toml declares it (name and version specifier).

    Raises:
        KeyError: `name` is not a runtime dependency of this workspace.
    """
    try:
        found = dependencies()[canonicalize_name(name)]
    except KeyError:
        raise KeyError(
            f"{name!r} is not in [project] dependencies of pyproject.toml: add it there first"
        ) from None
    return f"{found.name}{found.specifier}"


def requirements(*names: str) -> tuple[str, ...]:
    """`requirement` for each name, in order; every runtime dependency when none are given."""
    chosen = names or tuple(req.name for req in dependencies().values())
    return tuple(requirement(name) for name in chosen)


def pinned_version(name: str) -> str | None:
    """The exact version pyproject.toml pins `name` to (`==X`), or None for a range."""
    specs = list(dependencies()[canonicalize_name(name)].specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "==="):
        return specs[0].version
    return None


__all__ = [
    "DISTRIBUTION",
    "PYPROJECT",
    "dependencies",
    "pinned_version",
    "requirement",
    "requirements",
]
