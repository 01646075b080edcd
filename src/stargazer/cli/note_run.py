"""`stargazer note --mode run`: every notebook read-only, with its code shown.

marimo's ASGI app serves a *dynamic directory*: a notebook is looked up on disk when its URL is
first requested, so a notebook added while the server runs appears without a restart. The page
at `/` lists the notebooks (re-scanned on every request) and links to `/apps/<name>/`.
"""

from __future__ import annotations

import html
import secrets
from pathlib import Path
from typing import Any

#: URL prefix under which each notebook is served (`/apps/tutorials/assets/`).
APPS_PATH = "/apps"

#: Cookie that carries the access token after the first visit.
COOKIE = "stargazer_access_token"

Scope = dict[str, Any]


def list_notebooks(directory: Path) -> list[str]:
    """Notebook names under `directory`, as URL paths without `.py`, sorted.

    Skips marimo's own folders and files whose name starts with `_` (marimo refuses those).
    """
    names = []
    for path in directory.rglob("*.py"):
        relative = path.relative_to(directory)
        if any(part.startswith(("_", ".")) for part in relative.parts):
            continue
        names.append(relative.with_suffix("").as_posix())
    return sorted(names)


def index_page(directory: Path, token: str | None) -> str:
    """The HTML listing of every notebook; links open with code shown and carry the token."""
    # `show-code=true` opens each app with its code shown (read-only); marimo honours it
    # because the apps are served with `include_code=True`.
    query = "?show-code=true" + (f"&access_token={token}" if token else "")
    items = "\n".join(
        f'<li><a href="{APPS_PATH}/{html.escape(name)}/{query}">{html.escape(name)}</a></li>'
        for name in list_notebooks(directory)
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<title>Stargazer notebooks</title></head><body>"
        "<h1>Stargazer notebooks (run mode)</h1>"
        "<p>Read-only views with the code shown. To edit, run <code>stargazer note</code>.</p>"
        f"<ul>\n{items}\n</ul></body></html>"
    )


def build_run_app(directory: Path, token: str | None) -> Any:
    """The ASGI app for run mode over `directory`.

    With a token, every request must carry it: as `?access_token=` (the URL printed by
    `stargazer note`), which also sets a cookie, or as that cookie. The gate sits in front of
    marimo's app because marimo's own token redirect points at `/` for apps in a dynamic
    directory.

    Args:
        directory: The folder of notebooks; sub-folders are served too.
        token: The access token every page requires, or None for no token.

    Returns:
        An ASGI application for uvicorn.
    """
    import marimo
    from starlette.responses import HTMLResponse, PlainTextResponse

    directory = directory.resolve()
    notebooks = (
        marimo.create_asgi_app(include_code=True, quiet=True)
        .with_dynamic_directory(path=APPS_PATH, directory=str(directory))
        .build()
    )

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await notebooks(scope, receive, send)
            return
        if scope["type"] == "http" and scope["path"] == "/health":
            await PlainTextResponse("ok")(scope, receive, send)
            return
        from_query = bool(token) and _has_token(_query_values(scope), token)
        if token and not from_query and not _has_token(_cookie_values(scope), token):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            message = "add ?access_token=... (printed by `stargazer note`) to the URL"
            await PlainTextResponse(message, status_code=401)(scope, receive, send)
            return
        if from_query and scope["type"] == "http":
            # Trade the token in the URL for a cookie, and drop it from the address.
            await _redirect_with_cookie(scope, token)(scope, receive, send)
            return
        if scope["type"] == "http" and scope["path"] == "/":
            await HTMLResponse(index_page(directory, token))(scope, receive, send)
            return
        await notebooks(scope, receive, send)

    return app


def _query_values(scope: Scope) -> list[str]:
    from urllib.parse import parse_qs

    return parse_qs(scope.get("query_string", b"").decode()).get("access_token", [])


def _cookie_values(scope: Scope) -> list[str]:
    from http.cookies import SimpleCookie

    cookies: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            cookies.load(value.decode("latin-1"))
    return [cookies[COOKIE].value] if COOKIE in cookies else []


def _has_token(values: list[str], token: str) -> bool:
    return any(secrets.compare_digest(value, token) for value in values)


def _redirect_with_cookie(scope: Scope, token: str) -> Any:
    """A redirect to the same address without `access_token`, setting the access cookie."""
    from urllib.parse import parse_qsl, urlencode

    from starlette.responses import RedirectResponse

    kept = [
        (key, value)
        for key, value in parse_qsl(scope.get("query_string", b"").decode())
        if key != "access_token"
    ]
    target = scope.get("root_path", "") + scope["path"] + (f"?{urlencode(kept)}" if kept else "")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax")
    return response


def serve_run_mode(directory: Path, host: str, port: int, token: str | None) -> None:
    """Serve every notebook under `directory` in run mode until interrupted."""
    import uvicorn

    uvicorn.run(build_run_app(directory, token), host=host, port=port, log_level="warning")
