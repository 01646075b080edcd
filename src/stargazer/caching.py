"""Cache keys that follow code, not just the task's own body.

Flyte's default cache version (``FunctionBodyPolicy``) hashes the task function's source only,
so editing a helper the task calls, or upgrading the tool it wraps, would still hit the old
cached result. `SourceTreePolicy` hashes instead:

- the task function's body (as Flyte does),
- the source file of the task's module and of every module of the same top-level package (and
  of ``stargazer``) that it imports, followed transitively,
- the installed versions of the tools the environment runs (pysam, pybwa, ...),
- the asset store the outputs live in (`store_identity`): a cached output is a reference into
  one store, so a workspace with another store (or a wiped one) must not reuse it. Flyte keeps
  one cache database per process and falls back to ``~/.flyte`` without a config file, so
  several stores can meet the same cache.

Inputs are the other half of a cache key. Stargazer's assets are dataclasses of content
digests and metadata, never local paths, so the same bytes at another path are a hit and
changed bytes are a miss.

    env = flyte.TaskEnvironment(
        name="gatk_env", cache=flyte.Cache("auto", policies=[SourceTreePolicy(("pysam",))])
    )
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import inspect
import sys
from collections.abc import Callable, Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

_SOURCES: dict[tuple[str, int, int], bytes] = {}


def _read(path: Path) -> bytes:
    """File bytes, cached per (path, mtime, size) for the life of the process."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _SOURCES:
        _SOURCES[key] = path.read_bytes()
    return _SOURCES[key]


def _imported_modules(source: bytes, package: str | None) -> set[str]:
    """Absolute module names a module imports (``from a import b`` also yields ``a.b``)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level and package:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            elif node.module:
                module = node.module
            else:
                continue
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _module_file(name: str) -> Path | None:
    module = sys.modules.get(name)
    origin = getattr(module, "__file__", None) if module else None
    if origin is None:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            return None
        origin = spec.origin if spec else None
    if not origin or not origin.endswith(".py"):
        return None
    path = Path(origin)
    return path if path.is_file() else None


def source_files(module_name: str, roots: Iterable[str]) -> dict[str, Path]:
    """The module's file and those of the modules it imports under ``roots``, transitively.

    Returns:
        Module name -> source file, sorted by module name.
    """
    roots = tuple(roots)
    found: dict[str, Path] = {}
    pending = [module_name]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        path = _module_file(name)
        if path is None:
            continue
        found[name] = path
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for imported in _imported_modules(_read(path), package or None):
            # Only the modules named in imports: a package's __init__ counts when it is
            # imported itself (`from stargazer.tasks import x`), not as every module's parent.
            if imported.split(".")[0] in roots and imported not in found:
                pending.append(imported)
    return dict(sorted(found.items()))


def tool_versions(packages: Iterable[str]) -> dict[str, str]:
    """Installed version of each distribution (``"absent"`` when not installed)."""
    versions = {}
    for package in packages:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "absent"
    return versions


def store_identity() -> str:
    """Where assets are kept: the remote store URL if one is set, else the local store path."""
    import os

    from stargazer.store.local import default_root

    remote = os.environ.get("STARGAZER_STORE", "").strip()
    return remote or str(default_root())


class SourceTreePolicy:
    """A Flyte cache policy: task body + imported package sources + tool versions.

    Args:
        tools: Distributions whose installed versions are part of the version.
        roots: Top-level packages whose imported modules are hashed, besides the task
            module's own top-level package.
        scope: Returns a text the version also depends on (e.g. `store_identity`).
    """

    def __init__(
        self,
        tools: Iterable[str] = (),
        roots: Iterable[str] = ("stargazer",),
        scope: Callable[[], str] | None = None,
    ) -> None:
        self.tools = tuple(tools)
        self.roots = tuple(roots)
        self.scope = scope

    def describe(self, func: Any) -> dict[str, str]:
        """What goes into the version, readable: ``{"module:<name>": digest, "tool:<x>": v}``."""
        parts: dict[str, str] = {}
        body = inspect.getsource(func)
        parts["body"] = hashlib.sha256(body.encode()).hexdigest()
        module = getattr(func, "__module__", "") or ""
        roots = {*self.roots, module.split(".")[0]} if module else set(self.roots)
        if module and module != "__main__":
            for name, path in source_files(module, roots).items():
                parts[f"module:{name}"] = hashlib.sha256(_read(path)).hexdigest()
        for tool, installed in tool_versions(self.tools).items():
            parts[f"tool:{tool}"] = installed
        if self.scope is not None:
            parts["scope"] = self.scope()
        return parts

    def get_version(self, salt: str, params: Any) -> str:
        """The cache version Flyte asks for (see `flyte.Cache`)."""
        func = getattr(params, "func", None)
        digest = hashlib.sha256(salt.encode())
        if func is None:
            return digest.hexdigest()
        for key, value in self.describe(func).items():
            digest.update(f"{key}={value}\n".encode())
        return digest.hexdigest()


__all__ = ["SourceTreePolicy", "source_files", "store_identity", "tool_versions"]
