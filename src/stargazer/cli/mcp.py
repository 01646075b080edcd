"""`stargazer mcp`: serve Stargazer's tasks, workflows and assets to MCP clients."""

from __future__ import annotations

import click


@click.command()
@click.option(
    "--http",
    "http_port",
    type=click.IntRange(1, 65535),
    default=None,
    metavar="PORT",
    help="Serve streamable HTTP on 127.0.0.1:PORT (path /mcp) instead of stdio.",
)
def mcp(http_port: int | None) -> None:
    """Run the Stargazer MCP server (stdio by default, for marimo's chat panel and coding tools).

    Tools: list_tasks, list_workflows, describe_task, run_task, run_workflow, query_assets,
    add_asset, list_notebooks. Tasks run through flyte.run with the workspace's
    .flyte/config.yaml, so start it from the workspace.
    """
    from stargazer.cli.note import default_notebooks_dir
    from stargazer.mcp import Stargazer, create_server

    server = create_server(Stargazer(notebooks_dir=default_notebooks_dir()))
    if http_port is None:
        server.run()
    else:
        click.echo(f"Stargazer MCP server: http://127.0.0.1:{http_port}/mcp", err=True)
        server.run("streamable-http", host="127.0.0.1", port=http_port)
