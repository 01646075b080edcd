"""Tool inputs checked before anything runs: the shared converter, sizes and allowed paths.

Names, types and asset references are checked by `stargazer.invoke` (exactly as for
`stargazer run`); this module adds what only a server needs: JSON arguments are bounded in
size, a path is accepted only under the allowed roots, and every typed error becomes a
`ToolError` whose message says what to fix.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from stargazer.access import quote

#: The largest JSON argument (inputs, metadata, companions) a tool accepts, in bytes.
MAX_ARGUMENT_BYTES = 64 * 1024


@contextlib.contextmanager
def tool_errors() -> Iterator[None]:
    """Turn the SDK's typed errors into `ToolError` with their message (the server goes on)."""
    from stargazer.errors import AssetNotFoundError, InputError, InvalidAssetError

    try:
        yield
    except (AssetNotFoundError, InputError, InvalidAssetError) as err:
        raise ToolError(quote(str(err), 2000)) from err


def bounded(value: Any, what: str) -> None:
    """Refuse a JSON argument bigger than `MAX_ARGUMENT_BYTES` before looking inside it."""
    import json

    size = len(json.dumps(value, default=str))
    if size > MAX_ARGUMENT_BYTES:
        raise ToolError(
            f"{what} is too large: {size} bytes as JSON, at most {MAX_ARGUMENT_BYTES}; "
            "pass asset ids or short metadata queries, not file contents"
        )


def allowed_file(path: Any, what: str) -> Path:
    """The resolved path of an existing file under the allowed roots, or a ToolError."""
    from stargazer.access import check_path

    try:
        resolved = check_path(path, what=what)
    except (ValueError, PermissionError) as err:
        raise ToolError(str(err)) from err
    if not resolved.is_file():
        raise ToolError(
            f"{what} {quote(str(path))}: no such file; pass the path of a file in the "
            "workspace or a data folder"
        )
    return resolved
