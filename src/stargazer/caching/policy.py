"""The cache policy: a key's version from code, environment and scope; one setting for all.

`SourceTreePolicy` is the Flyte cache policy (its `describe` is what `stargazer cache explain`
prints); `cache_policy` is the ``flyte.Cache`` every Stargazer `TaskEnvironment` uses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from stargazer.caching.changed_on_disk import _watched
from stargazer.caching.closure import module_closure
from stargazer.caching.environment import distribution_closure, python_version
from stargazer.caching.guards import install_cache_guards
from stargazer.caching.notebook import NOTEBOOK_MODULES, notebook_parts
from stargazer.caching.scope import store_identity
from stargazer.caching.sources import _lock, module_source

#: Inputs that change how fast a task runs, never what it returns: left out of every key.
IGNORED_INPUTS = ("threads",)


class SourceTreePolicy:
    """A Flyte cache policy: imported code + dependency closure + Python + store id.

    Args:
        tools: Distributions the environment runs; they and their whole dependency closure
            are part of the version.
        roots: Accepted for compatibility; every project module is hashed now.
        scope: Returns a text the version also depends on (default: `store_identity`).
    """

    def __init__(
        self,
        tools: Iterable[str] = (),
        roots: Iterable[str] = (),
        scope: Callable[[], str] | None = store_identity,
    ) -> None:
        self.tools = tuple(tools)
        self.roots = tuple(roots)
        self.scope = scope

    def code_parts(self, func: Callable[..., Any]) -> dict[str, str]:
        """``{"code:<module>": digest, "notebook:<name>": digest}`` for a task function."""
        parts: dict[str, str] = {}
        module = getattr(func, "__module__", "") or ""
        if module in NOTEBOOK_MODULES or module_source(module) is None:
            reached, modules = notebook_parts(func)
            parts.update(reached)
        else:
            modules = {module}
        for name in sorted(modules):
            if name in NOTEBOOK_MODULES:
                continue
            for closure_name, source in module_closure(name).items():
                parts[f"code:{closure_name}"] = source.digest
                with _lock:
                    _watched.add(closure_name)
        return dict(sorted(parts.items()))

    def describe(self, func: Callable[..., Any]) -> dict[str, str]:
        """Everything the version is made of, readable (see `stargazer cache explain`)."""
        parts = {"task": f"{getattr(func, '__module__', '')}.{getattr(func, '__qualname__', '')}"}
        parts.update(self.code_parts(func))
        parts["python"] = python_version()
        for package, installed in distribution_closure(self.tools).items():
            parts[f"tool:{package}"] = installed
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


def cache_policy(*packages: str, ignored_inputs: Iterable[str] = IGNORED_INPUTS) -> Any:
    """The one cache setting every Stargazer `TaskEnvironment` uses.

    Args:
        *packages: The distributions the environment's tasks run (their whole dependency
            closure is part of the key).
        ignored_inputs: Inputs that cannot change outputs; left out of the key.

    Returns:
        A ``flyte.Cache`` for ``TaskEnvironment(cache=...)``.
    """
    import flyte

    install_cache_guards()
    return flyte.Cache(
        "auto",
        policies=[SourceTreePolicy(tools=packages)],
        ignored_inputs=tuple(ignored_inputs),
    )
