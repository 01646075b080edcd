"""The Stargazer MCP server: list, describe and run tasks and workflows, query and add assets.

`stargazer mcp` serves it over stdio (what marimo's chat panel and coding tools launch), or
over streamable HTTP on loopback with `--http PORT`. Tasks and workflows are discovered from
`stargazer.tasks.__all__` and `stargazer.workflows.__all__`, so a new or promoted task is a tool
input without touching this module.

Inputs are converted and validated before anything runs by `stargazer.invoke`, the same
converter `stargazer run` uses: scalars against the task's signature, and asset parameters
resolved from an asset id (`"reads-3f2a..."`, as `query_assets` returns) or a metadata query
(`{"sample_id": "s1"}` or `"sample_id=s1"`, which must match exactly one asset unless
`latest` is set). Every failure comes back as an MCP tool error whose message says what to
fix; the server itself keeps running.

```python
server = create_server()
server.run()  # stdio
```

Where each part lives: `stargazer.invoke` (discovery, conversion, records, shared with the
CLI), `inputs` (typed errors to tool errors, size bounds and allowed paths), `tools` (what
each tool does),
`server` (the tools on an `MCPServer`), `http_transport` (HTTP and its bearer token) and
`log_limit` (bounded log lines).
"""

from stargazer.mcp.http_transport import (
    TOKEN_ENV,
    TOKEN_FILE,
    http_token,
    require_bearer,
    serve_http,
)
from stargazer.mcp.inputs import MAX_ARGUMENT_BYTES, tool_errors
from stargazer.mcp.log_limit import MAX_LOG_CHARS, limit_log_lines
from stargazer.mcp.server import INSTRUCTIONS, create_server
from stargazer.mcp.tools import Stargazer

__all__ = [
    "INSTRUCTIONS",
    "MAX_ARGUMENT_BYTES",
    "MAX_LOG_CHARS",
    "TOKEN_ENV",
    "TOKEN_FILE",
    "Stargazer",
    "create_server",
    "http_token",
    "limit_log_lines",
    "require_bearer",
    "serve_http",
    "tool_errors",
]
