"""`stargazer note --mode run`: every notebook read-only, with its code shown.

marimo's ASGI app serves a *dynamic directory*: a notebook is looked up on disk when its URL is
first requested, so a notebook added while the server runs appears without a restart. The page
at `/` lists the notebooks (re-scanned on every request) and links to `/apps/<name>/`.
"""

from __future__ import annotations

import html
import re
import secrets
from pathlib import Path
from typing import Any

#: URL prefix under which each notebook is served (`/apps/tutorials/assets/`).
APPS_PATH = "/apps"

#: Cookie that carries the access token after the first visit.
COOKIE = "stargazer_access_token"

Scope = dict[str, Any]


#: The index's sections in reading order: (heading, folder). "" is the top level.
SECTIONS = (
    ("Start here", ""),
    ("Tutorials", "tutorials"),
    ("Workflows", "workflows"),
    ("Scratch", "scratch"),
)

#: The heading of the sections for notebooks in any other folder (listed last).
MORE = "More notebooks"

#: A leading number that orders notebooks within a folder (`1_assets`, `10-extra`).
_NUMBER = re.compile(r"^(\d+)[_-]")

#: The first markdown heading of a notebook's first `mo.md(...)`: its title.
_HEADING = re.compile(r"mo\.md\(\s*[rf]?(?:\"\"\"|\'\'\')\s*#\s+([^\n]+)")


def section_of(name: str) -> str:
    """The index section a notebook (URL path without `.py`) belongs to."""
    folder = name.rpartition("/")[0]
    return next((heading for heading, prefix in SECTIONS if prefix == folder), MORE)


def _reading_order(name: str) -> tuple[int, str, int, str]:
    """Sort key: section, then folder, then `welcome` first, then leading number, then name."""
    headings = [heading for heading, _ in SECTIONS] + [MORE]
    folder, _, stem = name.rpartition("/")
    number = _NUMBER.match(stem)
    rank = -1 if stem == "welcome" else int(number.group(1)) if number else 10**9
    return headings.index(section_of(name)), folder, rank, stem.lower()


def list_notebooks(directory: Path) -> list[str]:
    """Notebook names under `directory`, as URL paths without `.py`, in reading order.

    Welcome first, then the tutorials by their number, the workflows, the scratch notebooks
    and any other folder. Skips marimo's own folders and files whose name starts with `_`
    (marimo refuses those).
    """
    names = []
    for path in directory.rglob("*.py"):
        relative = path.relative_to(directory)
        if any(part.startswith(("_", ".")) for part in relative.parts):
            continue
        names.append(relative.with_suffix("").as_posix())
    return sorted(names, key=_reading_order)


def notebook_title(path: Path) -> str:
    """A readable title: the notebook's first markdown heading, else one made from its name."""
    try:
        heading = _HEADING.search(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        heading = None
    if heading:
        return heading.group(1).strip()
    stem = _NUMBER.sub("", path.stem).replace("_", " ").replace("-", " ").strip()
    return stem[:1].upper() + stem[1:]


_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0;
       background: #f7f7f8; color: #1f2328; }
main { max-width: 46rem; margin: 0 auto; padding: 2.5rem 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: .8rem; text-transform: uppercase; letter-spacing: .06em; color: #656d76;
     margin: 2rem 0 .6rem; }
p.lead { color: #656d76; margin: 0 0 1rem; }
ol { list-style: none; padding: 0; margin: 0; }
li a { display: block; padding: .7rem 1rem; margin-bottom: .5rem; background: #fff;
       border: 1px solid #d0d7de; border-radius: 8px; text-decoration: none; color: inherit; }
li a:hover { border-color: #0969da; box-shadow: 0 1px 4px rgba(9, 105, 218, .15); }
.title { font-weight: 600; color: #0969da; }
.path { display: block; font: .8rem ui-monospace, monospace; color: #656d76; margin-top: .15rem; }
code { font: .9em ui-monospace, monospace; }
"""


def index_page(directory: Path, token: str | None) -> str:
    """The HTML listing of every notebook, by section in reading order, with readable titles.

    Links open each notebook with its code shown and carry the token.
    """
    # `show-code=true` opens each app with its code shown (read-only); marimo honours it
    # because the apps are served with `include_code=True`.
    query = "?show-code=true" + (f"&access_token={token}" if token else "")
    sections: dict[str, list[str]] = {}
    for name in list_notebooks(directory):
        title = html.escape(notebook_title(directory / f"{name}.py"))
        href = html.escape(f"{APPS_PATH}/{name}/{query}")
        sections.setdefault(section_of(name), []).append(
            f'<li><a href="{href}"><span class="title">{title}</span>'
            f'<span class="path">{html.escape(name)}.py</span></a></li>'
        )
    body = "\n".join(
        f"<section><h2>{html.escape(heading)}</h2><ol>\n" + "\n".join(items) + "\n</ol></section>"
        for heading, items in sections.items()
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Stargazer notebooks</title><style>{_STYLE}</style></head><body><main>"
        "<h1>Stargazer notebooks</h1>"
        "<p class='lead'>Read-only views with the code shown (run mode). Start with "
        "<em>Welcome</em>, then the tutorials in order. To edit, run "
        "<code>stargazer note</code>.</p>"
        f"{body or '<p>No notebooks here yet.</p>'}</main></body></html>"
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
        from_query = bool(token and _has_token(_query_values(scope), token))
        if token and not from_query and not _has_token(_cookie_values(scope), token):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            message = "add ?access_token=... (printed by `stargazer note`) to the URL"
            await PlainTextResponse(message, status_code=401)(scope, receive, send)
            return
        if from_query and token and scope["type"] == "http":
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
