"""`stargazer mcp`: serve Stargazer's tasks, workflows and assets to MCP clients."""

from __future__ import annotations

import click

from stargazer.cli.errors import CLIError


@click.command()
@click.option(
    "--http",
    "http_port",
    type=click.IntRange(1, 65535),
    default=None,
    metavar="PORT",
    help="Serve streamable HTTP on HOST:PORT (path /mcp) instead of stdio; every request "
    "needs the bearer token printed at start.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface for --http. Anything but loopback is reachable from the network; the "
    "token is still required, but it travels as plain HTTP.",
)
def mcp(http_port: int | None, host: str) -> None:
    """Run the Stargazer MCP server (stdio by default, for marimo's chat panel and coding tools).

    Tools: list_tasks, list_workflows, describe_task, run_task, run_workflow, query_assets,
    add_asset, list_notebooks. Tasks run through flyte.run with the workspace's
    .flyte/config.yaml, so start it from the workspace. add_asset only reads files in the
    workspace and the folders listed in STARGAZER_DATA_DIRS or [tool.stargazer] data_dirs.

    Over HTTP, clients send `Authorization: Bearer TOKEN`. The token is STARGAZER_MCP_TOKEN
    when set; otherwise a new one is generated at every start, printed once and written
    (mode 0600) to .stargazer/mcp-token in the workspace.
    """
    from stargazer.cli.note import default_notebooks_dir
    from stargazer.mcp import Stargazer, create_server

    if http_port is None:
        if host != "127.0.0.1":
            raise click.UsageError("--host only applies with --http PORT")
        create_server(Stargazer(notebooks_dir=default_notebooks_dir())).run()
        return

    from stargazer.access import is_loopback
    from stargazer.mcp import TOKEN_ENV, http_token, serve_http
    from stargazer.store import workspace_root

    try:
        token, token_file = http_token(workspace_root())
    except (ValueError, OSError) as err:
        raise CLIError(str(err)) from err
    server = create_server(Stargazer(notebooks_dir=default_notebooks_dir()))
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Stargazer MCP server: http://{shown}:{http_port}/mcp", err=True)
    if token_file is None:
        click.echo(f"Clients must send 'Authorization: Bearer <{TOKEN_ENV}>'.", err=True)
    else:
        click.echo(
            f"Clients must send 'Authorization: Bearer {token}' (the token is also in "
            f"{token_file}, readable by you only; it changes at every start unless "
            f"{TOKEN_ENV} is set).",
            err=True,
        )
    if not is_loopback(host):
        click.echo(
            f"Warning: listening on {host}, reachable from the network; only clients with the "
            "token get in, but plain HTTP can be read on the way.",
            err=True,
        )
    serve_http(server, host, http_port, token)
