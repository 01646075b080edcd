"""The Stargazer MCP server: list, describe and run tasks and workflows, query and add assets.

`stargazer mcp` serves it over stdio (what marimo's chat panel and coding tools launch), or
over streamable HTTP on loopback with `--http PORT`. Tasks and workflows are discovered from
`stargazer.tasks.__all__` and `stargazer.workflows.__all__`, so a new or promoted task is a tool
input without touching this module.

Inputs are validated before anything runs: scalars against the task's signature, and asset
parameters resolved from an asset id (`"reads-3f2a..."`, as `query_assets` returns) or a
metadata query (`{"sample_id": "s1"}`, which must match exactly one asset of the parameter's
type). Every failure comes back as an MCP tool error whose message says what to fix; the
server itself keeps running.

```python
server = create_server()
server.run()  # stdio
```
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import logging
import re
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from stargazer.access import quote

if TYPE_CHECKING:
    from flyte import TaskTemplate

#: The largest JSON argument (metadata, companions) a tool accepts, in bytes.
MAX_ARGUMENT_BYTES = 64 * 1024

#: The longest log line the server writes; longer ones (and their tracebacks) are cut.
MAX_LOG_CHARS = 2000

#: Instructions shown to the client when it connects.
INSTRUCTIONS = """\
Stargazer runs bioinformatics tasks (Flyte v2) on typed assets kept in a content-addressed store.
Call list_tasks / list_workflows to see what exists, describe_task for a full docstring,
query_assets to find input asset ids, then run_task or run_workflow with inputs given as
scalars, asset ids, or metadata queries such as {"sample_id": "s1"}. add_asset registers a
local file as a new asset; only files in the workspace or the data folders the user allowed
(STARGAZER_DATA_DIRS) can be added. list_notebooks shows the marimo notebooks of this
workspace."""


# ---------------------------------------------------------------------------------------------
# Discovery


@dataclasses.dataclass(frozen=True)
class Entry:
    """A task or workflow the server exposes.

    Attributes:
        name: The name in its package's `__all__` (what clients pass as `name`).
        task: The Flyte task template.
        module: The package it was discovered in (`stargazer.tasks` or `stargazer.workflows`).
    """

    name: str
    task: TaskTemplate
    module: str


def discover(module_name: str) -> dict[str, Entry]:
    """The Flyte tasks listed in a module's `__all__`, by name.

    Args:
        module_name: A module such as `stargazer.tasks`.

    Returns:
        Each exported Flyte task, keyed by its exported name; other exports are skipped.
    """
    import flyte

    module = importlib.import_module(module_name)
    found = {}
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name, None)
        if isinstance(obj, flyte.TaskTemplate):
            found[name] = Entry(name=name, task=obj, module=module_name)
    return found


def _hints(entry: Entry) -> dict[str, Any]:
    return typing.get_type_hints(entry.task.func)


def _asset_base() -> type:
    from stargazer.types import Asset

    return Asset


def _unwrap(annotation: Any) -> tuple[Any, bool, bool]:
    """Split an annotation into (inner type, is a list, accepts None)."""
    optional = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        optional = len(members) < len(typing.get_args(annotation))
        if len(members) == 1:
            annotation = members[0]
            origin = typing.get_origin(annotation)
    if origin in (list, Sequence, tuple) and typing.get_args(annotation):
        return typing.get_args(annotation)[0], True, optional
    return annotation, False, optional


def _asset_class(annotation: Any) -> tuple[type | None, bool]:
    """The asset class a parameter takes (and whether it takes a list), or (None, False)."""
    inner, many, _ = _unwrap(annotation)
    if inspect.isclass(inner) and issubclass(inner, _asset_base()):
        return inner, many
    return None, False


def _kind(asset_class: type) -> str:
    return str(getattr(asset_class, "kind", asset_class.__name__.lower()))


def _type_name(annotation: Any) -> str:
    if inspect.isclass(annotation) and typing.get_origin(annotation) is None:
        return annotation.__name__
    return re.sub(r"\b[\w.]+\.(\w+)", r"\1", str(annotation).replace("typing.", ""))


def _first_line(doc: str | None) -> str:
    return (inspect.cleandoc(doc).splitlines() or [""])[0] if doc else ""


def parameters(entry: Entry) -> list[dict[str, Any]]:
    """The typed parameters of a task, in signature order.

    Each has `name`, `type`, `required`, `default` (when not required) and, for asset
    parameters, `asset_kind` and `many` (a list of assets).
    """
    hints = _hints(entry)
    described = []
    for name, param in inspect.signature(entry.task.func).parameters.items():
        annotation = hints.get(name, Any)
        item: dict[str, Any] = {
            "name": name,
            "type": _type_name(annotation),
            "required": param.default is inspect.Parameter.empty,
        }
        if param.default is not inspect.Parameter.empty:
            item["default"] = _jsonable(param.default)
        asset_class, many = _asset_class(annotation)
        if asset_class is not None:
            item["asset_kind"] = _kind(asset_class)
            item["many"] = many
        described.append(item)
    return described


def summary(entry: Entry) -> dict[str, Any]:
    """Name, one-line description, typed parameters and environment of a task."""
    return {
        "name": entry.name,
        "description": _first_line(entry.task.func.__doc__),
        "parameters": parameters(entry),
        "returns": _type_name(_hints(entry).get("return", Any)),
        "environment": entry.task.parent_env_name,
        "flyte_name": entry.task.name,
    }


# ---------------------------------------------------------------------------------------------
# Validation: inputs -> keyword arguments


def _allowed(entry: Entry) -> str:
    names = list(inspect.signature(entry.task.func).parameters)
    return ", ".join(names) or "(none)"


def resolve_inputs(entry: Entry, inputs: dict[str, Any]) -> dict[str, Any]:
    """Check inputs against the task's signature and turn asset references into assets.

    Args:
        entry: The task to run.
        inputs: Parameter name -> scalar, asset id, metadata query, or a list of those.

    Returns:
        Keyword arguments for `flyte.run`.

    Raises:
        ToolError: An unknown or missing parameter, a value of the wrong type, or an asset
            reference that matches no asset (or, for a single asset, more than one).
    """
    if not isinstance(inputs, dict):
        raise ToolError(f"inputs must be an object of parameter -> value, got {inputs!r}")
    signature = inspect.signature(entry.task.func)
    unknown = sorted(set(inputs) - set(signature.parameters))
    if unknown:
        raise ToolError(
            f"{entry.name} has no parameter {', '.join(unknown)}; its parameters are "
            f"{_allowed(entry)} (see describe_task)"
        )
    missing = [
        name
        for name, param in signature.parameters.items()
        if param.default is inspect.Parameter.empty and name not in inputs
    ]
    if missing:
        raise ToolError(
            f"{entry.name} needs {', '.join(missing)}: pass them in inputs (see describe_task)"
        )
    hints = _hints(entry)
    return {
        name: _resolve_value(entry, name, hints.get(name, Any), value)
        for name, value in inputs.items()
    }


def _resolve_value(entry: Entry, name: str, annotation: Any, value: Any) -> Any:
    asset_class, many = _asset_class(annotation)
    if asset_class is not None:
        _, _, optional = _unwrap(annotation)
        if value is None and optional:
            return None
        if many:
            refs = value if isinstance(value, list) else [value]
            found = [a for ref in refs for a in _resolve_assets(entry, name, asset_class, ref)]
            if not found:
                raise ToolError(f"{entry.name}.{name}: no {_kind(asset_class)} asset matches")
            return found
        matches = _resolve_assets(entry, name, asset_class, value)
        if len(matches) != 1:
            ids = ", ".join(a.id for a in matches[:5])
            raise ToolError(
                f"{entry.name}.{name}: the query {value!r} matches {len(matches)} "
                f"{_kind(asset_class)} assets ({ids}); narrow it or pass one asset id"
            )
        return matches[0]
    return _validate_scalar(entry, name, annotation, value)


def _validate_scalar(entry: Entry, name: str, annotation: Any, value: Any) -> Any:
    import pydantic

    if annotation is Any:
        return value
    try:
        return pydantic.TypeAdapter(annotation).validate_python(value, strict=True)
    except pydantic.ValidationError as err:
        problems = "; ".join(e["msg"] for e in err.errors())
        raise ToolError(
            f"{entry.name}.{name} must be {_type_name(annotation)}, got {value!r} ({problems})"
        ) from err
    except pydantic.PydanticSchemaGenerationError as err:
        raise ToolError(
            f"{entry.name}.{name} has type {_type_name(annotation)}, which the MCP server cannot "
            "build from JSON; run this task from Python instead"
        ) from err


def _resolve_assets(entry: Entry, name: str, asset_class: type, ref: Any) -> list[Any]:
    """Assets of `asset_class` for one reference: an id (str) or a metadata query (dict)."""
    from stargazer.types import Asset, assemble

    kind = _kind(asset_class)
    if isinstance(ref, str):
        try:
            asset = Asset.load(ref)
        except (KeyError, LookupError, FileNotFoundError, ValueError) as err:
            raise ToolError(
                f"{entry.name}.{name}: no asset with id {ref!r} ({err}); find ids with query_assets"
            ) from err
        if not isinstance(asset, asset_class):
            raise ToolError(
                f"{entry.name}.{name} takes a {kind} asset, but {ref!r} is a "
                f"{_kind(type(asset))} asset"
            )
        return [asset]
    if isinstance(ref, dict):
        if ref.get("kind", kind) != kind:
            raise ToolError(f"{entry.name}.{name} takes {kind} assets, not {ref['kind']!r}")
        query = {**ref, "kind": kind}
        try:
            return list(assemble(**query))
        except (TypeError, ValueError) as err:
            raise ToolError(f"{entry.name}.{name}: bad query {ref!r}: {err}") from err
    raise ToolError(
        f"{entry.name}.{name} takes a {kind} asset: pass an asset id (string) or a metadata "
        f"query (object such as {{'sample_id': 's1'}}), got {ref!r}"
    )


# ---------------------------------------------------------------------------------------------
# Results


def _jsonable(value: Any) -> Any:
    """A JSON-friendly form of a task output: assets as their records, paths as strings."""
    if isinstance(value, _asset_base()):
        return asset_record(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def asset_record(asset: Any) -> dict[str, Any]:
    """An asset as a JSON object: its id, type, kind and every field of its record."""
    fields = {
        field.name: _jsonable(getattr(asset, field.name))
        for field in dataclasses.fields(asset)
        if not field.name.startswith("_")
    }
    return {"type": type(asset).__name__, "kind": _kind(type(asset)), **fields}


# ---------------------------------------------------------------------------------------------
# The server


class Stargazer:
    """The tools, bound to the task and workflow modules they discover from.

    Args:
        tasks_module: Where tasks are discovered (its `__all__`).
        workflows_module: Where workflows are discovered (its `__all__`).
        notebooks_dir: The folder `list_notebooks` reads.
    """

    def __init__(
        self,
        tasks_module: str = "stargazer.tasks",
        workflows_module: str = "stargazer.workflows",
        notebooks_dir: Path | None = None,
    ) -> None:
        self.tasks_module = tasks_module
        self.workflows_module = workflows_module
        self.notebooks_dir = notebooks_dir
        self._flyte_ready = False

    def tasks(self) -> dict[str, Entry]:
        """The tasks, by name."""
        return discover(self.tasks_module)

    def workflows(self) -> dict[str, Entry]:
        """The workflows, by name."""
        return discover(self.workflows_module)

    def find(self, name: str, *, kind: str | None = None) -> Entry:
        """A task or workflow by exported name or Flyte name (`gatk_env.align`).

        Raises:
            ToolError: No such name, or (with `kind`) it is the other kind.
        """
        if len(name) > 200:
            raise ToolError(f"no task or workflow is named {quote(name, 60)!r} (see list_tasks)")
        pools = {"task": self.tasks(), "workflow": self.workflows()}
        for pool_kind, pool in pools.items():
            for entry in pool.values():
                if name in (entry.name, entry.task.name):
                    if kind is not None and pool_kind != kind:
                        raise ToolError(f"{name!r} is a {pool_kind}: use run_{pool_kind}")
                    return entry
        wanted = [kind] if kind else list(pools)
        known = sorted(n for k in wanted for n in pools[k])
        raise ToolError(
            f"no {kind or 'task or workflow'} named {name!r}; known: "
            f"{', '.join(known) or '(none yet)'} (see list_tasks / list_workflows)"
        )

    def describe(self, name: str) -> dict[str, Any]:
        """Full docstring and signature of a task or workflow."""
        entry = self.find(name)
        kind = "workflow" if entry.module == self.workflows_module else "task"
        return {
            **summary(entry),
            "kind": kind,
            "signature": f"{entry.name}{inspect.signature(entry.task.func)}",
            "docstring": inspect.cleandoc(entry.task.func.__doc__ or ""),
            "module": entry.task.func.__module__,
        }

    def _init_flyte(self) -> None:
        if not self._flyte_ready:
            import flyte

            flyte.init_from_config()
            self._flyte_ready = True

    async def run(self, name: str, inputs: dict[str, Any], kind: str) -> dict[str, Any]:
        """Validate inputs, run through `flyte.run`, return the outputs as JSON."""
        import anyio
        import flyte

        entry = self.find(name, kind=kind)
        _bounded(inputs, "inputs")
        kwargs = resolve_inputs(entry, inputs or {})

        def run_blocking() -> tuple[Any, list[Any]]:
            self._init_flyte()
            run = flyte.run(entry.task, **kwargs)
            return run, list(run.outputs())

        try:
            run, outputs = await anyio.to_thread.run_sync(run_blocking)
        except (ToolError, KeyboardInterrupt):
            raise
        except Exception as err:
            raise ToolError(f"{kind} {entry.name} failed: {type(err).__name__}: {err}") from err
        from stargazer.utils import execution_context

        where = execution_context().mode
        # A local run has no record to look up; a remote run links to the cluster's UI.
        link = (
            (getattr(run, "url", None) or getattr(run, "name", None)) if where == "remote" else None
        )
        return {
            "name": entry.name,
            "where": where,
            "run": link,
            "outputs": [_jsonable(value) for value in outputs],
        }

    def query(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        """Asset records matching metadata filters (`kind`, `sample_id`, ...)."""
        from stargazer.types import assemble

        if not isinstance(filters, dict):
            raise ToolError(
                f"filters must be an object such as {{'kind': 'reads'}}, got {filters!r}"
            )
        try:
            found = assemble(**filters)
        except (TypeError, ValueError) as err:
            raise ToolError(f"bad asset query {filters!r}: {err}") from err
        return [asset_record(asset) for asset in found]

    async def add(
        self,
        path: str,
        asset_type: str,
        metadata: dict[str, Any],
        companions: dict[str, str] | None,
    ) -> dict[str, Any]:
        """Register a local file (and companions) as a new asset of the given type."""
        import stargazer.types
        from stargazer.errors import InvalidAssetError

        exported = [getattr(stargazer.types, name) for name in stargazer.types.__all__]
        classes = {
            c.__name__: c
            for c in exported
            if inspect.isclass(c) and issubclass(c, stargazer.types.Asset) and c.kind
        }
        by_key = {key.lower(): c for name, c in classes.items() for key in (name, c.kind)}
        asset_class = by_key.get(asset_type.lower()) if len(asset_type) <= 64 else None
        if asset_class is None:
            raise ToolError(
                f"unknown asset type {quote(asset_type, 64)!r}; use one of "
                f"{', '.join(sorted(classes))}"
            )
        _bounded(metadata, "metadata")
        _bounded(companions, "companions")
        if companions is not None and not isinstance(companions, dict):
            raise ToolError(f"companions must map roles to paths, got {quote(repr(companions))}")
        source = _allowed_file(path, "path")
        checked = {
            str(role): str(_allowed_file(value, f"companion {quote(str(role))!r}"))
            for role, value in (companions or {}).items()
        }
        fields = {"parents": [], "tool": "user", "tool_version": "", **(metadata or {})}
        try:
            asset = await asset_class.create(str(source), companions=checked, **fields)
        except (InvalidAssetError, TypeError, ValueError, FileNotFoundError) as err:
            raise ToolError(
                f"could not add {quote(path)} as {asset_class.__name__}: {quote(str(err), 2000)}"
            ) from err
        return asset_record(asset)

    def notebooks(self) -> list[dict[str, str]]:
        """The marimo notebooks of the workspace, with their titles."""
        folder = self.notebooks_dir
        if folder is None or not folder.is_dir():
            raise ToolError(
                f"no notebooks folder at {folder}: start `stargazer mcp` from a Stargazer checkout"
            )
        found = []
        for path in sorted(folder.rglob("*.py")):
            relative = path.relative_to(folder)
            if any(part.startswith(("_", ".")) for part in relative.parts):
                continue
            found.append(
                {
                    "path": f"{folder.name}/{relative.as_posix()}",
                    "title": _notebook_title(path),
                    "open": f"stargazer note {folder.name}/{relative.as_posix()}",
                }
            )
        return found


def _bounded(value: Any, what: str) -> None:
    """Refuse a JSON argument bigger than `MAX_ARGUMENT_BYTES` before looking inside it."""
    import json

    size = len(json.dumps(value, default=str))
    if size > MAX_ARGUMENT_BYTES:
        raise ToolError(
            f"{what} is too large: {size} bytes as JSON, at most {MAX_ARGUMENT_BYTES}; "
            "pass asset ids or short metadata queries, not file contents"
        )


def _allowed_file(path: Any, what: str) -> Path:
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


class _LogLimit(logging.Filter):
    """Cut log records (message and traceback) to `MAX_LOG_CHARS`.

    A huge argument echoed in an error (a 1 MB path) then costs a line, not megabytes.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        error = record.exc_info[1] if record.exc_info else None
        if len(message) <= MAX_LOG_CHARS and len(str(error or "")) <= MAX_LOG_CHARS:
            return True
        if error is not None:
            message += f" ({type(error).__name__}: {quote(str(error), MAX_LOG_CHARS)})"
        record.msg, record.args = quote(message, MAX_LOG_CHARS), None
        record.exc_info, record.exc_text = None, None
        return True


def limit_log_lines() -> None:
    """Put the length limit on every handler of the root logger (where the SDK logs)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _LogLimit) for f in handler.filters):
            handler.addFilter(_LogLimit())


def _notebook_title(path: Path) -> str:
    match = re.search(r"^\s*#\s+(.+)$", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return match.group(1).strip() if match else path.stem


def create_server(stargazer: Stargazer | None = None) -> MCPServer:
    """The MCP server with Stargazer's tools.

    Args:
        stargazer: The tool implementations; by default discovery from `stargazer.tasks`
            and `stargazer.workflows` with no notebooks folder.

    Returns:
        An `MCPServer`; call `.run()` for stdio or `.run("streamable-http", ...)`.
    """
    from stargazer import __version__

    impl = stargazer or Stargazer()
    server: MCPServer = MCPServer(
        "stargazer", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
    )
    limit_log_lines()

    @server.tool()
    def list_tasks() -> list[dict[str, Any]]:
        """List Stargazer tasks: name, one-line description, typed parameters, environment."""
        return [summary(entry) for entry in impl.tasks().values()]

    @server.tool()
    def list_workflows() -> list[dict[str, Any]]:
        """List Stargazer workflows (tasks that call tasks), described like list_tasks."""
        return [summary(entry) for entry in impl.workflows().values()]

    @server.tool()
    def describe_task(name: str) -> dict[str, Any]:
        """Full docstring, signature and parameters of a task or workflow."""
        return impl.describe(name)

    @server.tool()
    async def run_task(name: str, inputs: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run a task through flyte.run and return its outputs (assets as id + metadata).

        inputs maps parameter names to scalars, asset ids, or metadata queries such as
        {"sample_id": "s1"} (which must match exactly one asset of the parameter's type).
        """
        return await impl.run(name, inputs or {}, kind="task")

    @server.tool()
    async def run_workflow(name: str, inputs: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run a workflow through flyte.run; inputs as for run_task."""
        return await impl.run(name, inputs or {}, kind="workflow")

    @server.tool()
    def query_assets(filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Find assets by metadata, e.g. {"kind": "alignment", "sample_id": "s1"}.

        A list value means any of its values. No filters lists every asset. Free-form labels:
        {"labels": {"batch": "b1"}} or {"label.batch": "b1"}; a bare key is a typed field.
        """
        try:
            return impl.query(filters or {})
        except OSError as err:  # an unreachable or refusing remote store: one line, no trace
            raise ToolError(str(err)) from err

    @server.tool()
    async def add_asset(
        path: str,
        type: str,
        metadata: dict[str, Any] | None = None,
        companions: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Validate a local file and register it as an asset (Reads, Reference, AnnData, ...).

        metadata holds the type's fields (sample_id, build, ...); companions maps roles such
        as "r2" or "bai" to file paths. Every path must be inside the workspace or a data
        folder the user allowed; others are refused and nothing is registered.
        """
        return await impl.add(path, type, metadata or {}, companions)

    @server.tool()
    def list_notebooks() -> list[dict[str, str]]:
        """List the workspace's marimo notebooks with their titles and how to open them."""
        return impl.notebooks()

    return server


# ---------------------------------------------------------------------------------------------
# HTTP: a bearer token on every request

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
