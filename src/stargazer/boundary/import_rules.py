"""What a file may import from the SDK (see `stargazer.boundary.surface`).

Notebooks import the public surface only (SG010, SG011); SDK modules import their own layer
and below (SG020, SG021).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from stargazer.boundary.finding import Finding
from stargazer.boundary.names import Aliases, imported_modules
from stargazer.boundary.surface import (
    LAYERS,
    PUBLIC_API,
    is_public,
    layer_of,
    package_of,
    private_part,
)


def _at(path: str, node: ast.stmt | ast.expr, code: str, message: str) -> Finding:
    return Finding(path, node.lineno, node.col_offset + 1, code, message)


def notebook_findings(tree: ast.AST, path: str) -> Iterator[Finding]:
    """SG010 (a `_private` part of the SDK) and SG011 (a package off the public surface)."""
    for module, node in imported_modules(tree, Aliases(tree)):
        if module.split(".")[0] != "stargazer" or is_public(module):
            continue
        private = private_part(module)
        if private is not None:
            public = module.split(f".{private}")[0]
            yield _at(
                path,
                node,
                "SG010",
                f"notebooks import only the public SDK, not the private `{private}` in "
                f"`{module}`; import it from `{public}` (export it there if it is missing)",
            )
            continue
        package = f"stargazer.{package_of(module)}"
        yield _at(
            path,
            node,
            "SG011",
            f"`{package}` is not part of the public SDK, so notebooks do not import it "
            f"(`{module}`); use {', '.join(f'`{name}`' for name in PUBLIC_API)}",
        )


def _layers_text() -> str:
    return " -> ".join("/".join(layer) for layer in LAYERS)


def layer_findings(tree: ast.AST, path: str, module: str) -> Iterator[Finding]:
    """SG020 (an import up the layers) and SG021 (a package not placed in the layers).

    Args:
        tree: The parsed file.
        path: The name findings are reported under.
        module: The file's dotted module (`stargazer.types.base`).
    """
    own = package_of(module)
    own_layer = layer_of(module)
    if own_layer is None:
        yield Finding(
            path, 1, 1, "SG021",
            f"the package `stargazer.{own}` is not placed in the layers; add it to LAYERS in "
            f"stargazer/boundary/surface.py ({_layers_text()})",
        )  # fmt: skip
        return
    for imported, node in imported_modules(tree, Aliases(tree)):
        if imported.split(".")[0] != "stargazer" or package_of(imported) == own:
            continue
        layer = layer_of(imported)
        if layer is None:
            yield _at(
                path, node, "SG021",
                f"`stargazer.{package_of(imported)}` is not placed in the layers; add it to "
                f"LAYERS in stargazer/boundary/surface.py ({_layers_text()})",
            )  # fmt: skip
        elif layer < own_layer:
            yield _at(
                path, node, "SG020",
                f"`stargazer.{own}` imports `{imported}`, which is in a higher layer; imports "
                f"point down only ({_layers_text()}): move the shared code down",
            )  # fmt: skip
