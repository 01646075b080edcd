"""Streamable HTTP for the server, with a bearer token checked on every request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mcp.server import MCPServer

#: Environment variable that gives the HTTP server its token (instead of a generated one).
TOKEN_ENV = "STARGAZER_MCP_TOKEN"

#: Where the generated token is written (0600), relative to the workspace root.
TOKEN_FILE = Path(".stargazer") / "mcp-token"


def http_token(workspace: Path) -> tuple[str, Path | None]:
    """The token HTTP clients must send: `STARGAZER_MCP_TOKEN`, else a new random one.

    Args:
        workspace: The workspace root; a generated token is written to `TOKEN_FILE` in it.

    Returns:
        The token, and the file it was written to (None when it came from the environment).

    Raises:
        ValueError: `STARGAZER_MCP_TOKEN` is set but shorter than 16 characters.
    """
    import os
    import secrets

    from stargazer.access import write_private

    given = os.environ.get(TOKEN_ENV)
    if given is not None:
        if len(given.strip()) < 16:
            raise ValueError(
                f"{TOKEN_ENV} is set but shorter than 16 characters; set a long random value "
                "(python -c 'import secrets; print(secrets.token_urlsafe(32))') or unset it "
                "to get a generated one"
            )
        return given.strip(), None
    token = secrets.token_urlsafe(32)
    path = workspace / TOKEN_FILE
    write_private(path, token + "\n")
    return token, path


def require_bearer(app: Any, token: str) -> Any:
    """Wrap an ASGI app so every HTTP request needs `Authorization: Bearer <token>`.

    Requests without it, or with another token, get 401 and never reach the MCP server.
    """
    import secrets

    expected = f"Bearer {token}".encode()

    async def guarded(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not secrets.compare_digest(given, expected):
                body = (
                    b"401: send the token printed by `stargazer mcp --http` (also in "
                    b".stargazer/mcp-token) as the header 'Authorization: Bearer <token>'\n"
                )
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"text/plain; charset=utf-8"),
                            (b"www-authenticate", b'Bearer realm="stargazer"'),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await app(scope, receive, send)

    return guarded


def serve_http(server: MCPServer, host: str, port: int, token: str) -> None:
    """Serve streamable HTTP at `http://HOST:PORT/mcp`, every request checked for the token."""
    import uvicorn

    app = require_bearer(server.streamable_http_app(host=host), token)
    uvicorn.run(app, host=host, port=port, log_level="warning")
