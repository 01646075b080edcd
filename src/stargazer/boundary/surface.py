"""The SDK's public surface and its layers, named in one place.

**Public surface.** Notebooks (and researchers' own code) import only these packages and
their non-underscore submodules. Everything else under `stargazer` (`stargazer.store`,
`.cli`, `.mcp`, `.invoke`, `.caching`, `.promote`, ...) is private: it may change without
notice, and `stargazer check-boundary` reports a notebook that imports it (`SG011`). The chat
panel's rules in `marimo.toml` tell the AI the same.

**Layers.** Inside `src/stargazer`, imports point down only (see the design's layer diagram):
a package may import packages in its own layer or below, never above (`SG020`). A new
package must be placed here before it is imported anywhere (`SG021`).

    >>> is_public("stargazer.types.reads"), is_public("stargazer.store")
    (True, False)
    >>> layer_of("stargazer.cli.run") < layer_of("stargazer.invoke")
    True
"""

from __future__ import annotations

#: The packages notebooks may import, with their submodules (unless `_private`).
PUBLIC_API: tuple[str, ...] = (
    "stargazer.access",
    "stargazer.config",
    "stargazer.demo",
    "stargazer.errors",
    "stargazer.tasks",
    "stargazer.testing",
    "stargazer.types",
    "stargazer.utils",
    "stargazer.workflows",
)

#: The packages of `stargazer`, top layer first; each may import its own layer and below.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("cli",),  # the command line: a front end for everything below
    ("app", "mcp", "review"),  # the hosted app, the MCP server, the reviewer
    ("invoke", "promote", "boundary"),  # one way in for the front ends; developer tools
    ("workflows",),
    ("tasks",),
    ("testing",),  # builders of tiny real files, used by tests and authors
    ("demo", "utils"),
    ("config", "types"),
    ("access", "caching"),
    ("store", "import_bindings"),
    ("errors", "pins"),
)

#: The layer of `stargazer` itself (its `__init__`: only `__version__`), below every other.
ROOT_LAYER = len(LAYERS)


def package_of(module: str) -> str | None:
    """The top-level package under `stargazer` (`types` for `stargazer.types.base`).

    None for `stargazer` itself, its dunder attributes (`stargazer.__version__`) and modules
    outside `stargazer`.
    """
    parts = module.split(".")
    if parts[0] != "stargazer" or len(parts) == 1 or parts[1].startswith("__"):
        return None
    return parts[1]


def layer_of(module: str) -> int | None:
    """The layer index of a `stargazer` module (0 is the top), or None if it is not placed."""
    package = package_of(module)
    if package is None:
        return ROOT_LAYER if module.split(".")[0] == "stargazer" else None
    for index, layer in enumerate(LAYERS):
        if package in layer:
            return index
    return None


def private_part(module: str) -> str | None:
    """The first `_private` component of a dotted name (dunders are not private), if any."""
    for part in module.split("."):
        if part.startswith("_") and not (part.startswith("__") and part.endswith("__")):
            return part
    return None


def is_public(module: str) -> bool:
    """Whether a notebook may import `module` (a `stargazer` module or a name in one)."""
    if private_part(module) is not None:
        return False
    package = package_of(module)
    return package is None or f"stargazer.{package}" in PUBLIC_API
