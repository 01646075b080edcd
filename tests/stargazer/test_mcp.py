"""The Stargazer MCP server, driven by the official SDK's client over stdio.

Each test launches a real server process: `stargazer mcp` itself, or (for the task tests)
the same server discovering tasks from tests/stargazer/mcp_tasks.py, and talks to it the way
marimo's chat panel or a coding tool does.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from stargazer.testing import checkout_root

REPO_ROOT = checkout_root()

TOOLS = {
    "add_asset",
    "describe_task",
    "list_notebooks",
    "list_tasks",
    "list_workflows",
    "query_assets",
    "run_task",
    "run_workflow",
}

LAUNCH_WITH_TEST_TASKS = (
    "from stargazer.mcp import Stargazer, create_server; "
    "create_server(Stargazer(tasks_module='tests.stargazer.mcp_tasks')).run()"
)


def _params(workspace: Path, *command: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=command[0],
        args=list(command[1:]),
        cwd=str(workspace),
        env={
            "STARGAZER_HOME": str(workspace / ".stargazer"),
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / "src")]),
        },
    )


def _write_fastq(path: Path, lengths: list[int]) -> Path:
    with gzip.open(path, "wt") as handle:
        for i, length in enumerate(lengths):
            handle.write(f"@read{i}\n{'ACGT' * (length // 4)}\n+\n{'I' * (length // 4 * 4)}\n")
    return path


async def _call(client: Client, tool: str, **arguments: Any) -> tuple[bool, Any]:
    result = await client.call_tool(tool, arguments)
    if result.is_error:
        return True, result.content[0].text
    content = result.structured_content
    return False, content.get("result", content) if isinstance(content, dict) else content


def _session(params: StdioServerParameters, body) -> Any:
    async def main():
        async with Client(params) as client:
            return await body(client)

    return anyio.run(main)


@pytest.mark.timeout(120)
def test_stargazer_mcp_command_lists_tools_and_notebooks(workspace):
    (workspace / "notebooks" / "tutorials").mkdir(parents=True)
    (workspace / "notebooks" / "tutorials" / "intro.py").write_text('"""x"""\n# Intro to X\n')
    stargazer = Path(sys.executable).with_name("stargazer")

    async def body(client: Client):
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert set(tools) == TOOLS
        assert "inputs" in tools["run_task"].input_schema["properties"]
        error, notebooks = await _call(client, "list_notebooks")
        assert not error
        assert notebooks == [
            {
                "path": "notebooks/tutorials/intro.py",
                "title": "Intro to X",
                "open": "stargazer note notebooks/tutorials/intro.py",
            }
        ]
        import stargazer.tasks
        import stargazer.workflows

        error, tasks = await _call(client, "list_tasks")
        assert not error
        assert [t["name"] for t in tasks] == [
            name
            for name in stargazer.tasks.__all__
            if hasattr(getattr(stargazer.tasks, name), "func")
        ]
        error, workflows = await _call(client, "list_workflows")
        assert not error
        assert len(workflows) <= len(stargazer.workflows.__all__)

    _session(_params(workspace, str(stargazer), "mcp"), body)


@pytest.mark.timeout(180)
def test_run_task_on_real_reads_then_query_its_output(workspace):
    from stargazer.types import Asset, Reads

    fastq = _write_fastq(workspace / "s1_R1.fastq.gz", [40, 40, 20, 8])
    reads = Reads.create_sync(fastq, sample_id="s1")

    async def body(client: Client):
        error, tasks = await _call(client, "list_tasks")
        assert not error
        assert [t["name"] for t in tasks] == ["count_all", "count_reads"]
        task = tasks[1]
        assert task["environment"] == "gatk_env"
        assert task["description"] == "Count the R1 records at least `min_length` bases long."
        reads_param, min_length = task["parameters"]
        assert reads_param == {
            "name": "reads",
            "type": "Reads",
            "required": True,
            "asset_kind": "reads",
            "many": False,
        }
        assert min_length == {"name": "min_length", "type": "int", "required": False, "default": 0}

        error, described = await _call(client, "describe_task", name="count_reads")
        assert not error
        assert described["signature"].startswith("count_reads(reads: ")
        assert "min_length: Shorter records are not counted." in described["docstring"]

        by_id = await _call(client, "run_task", name="count_reads", inputs={"reads": reads.id})
        by_query = await _call(
            client,
            "run_task",
            name="count_reads",
            inputs={"reads": {"sample_id": "s1"}, "min_length": 20},
        )
        for (error, result), expected in ((by_id, 4), (by_query, 3)):
            assert not error, result
            (table,) = result["outputs"]
            assert table["kind"] == "table" and table["parents"] == [reads.id]
            assert table["tool"] == "pysam" and table["tool_version"]
            # an output record is the asset's record plus the local path of its file
            assert Path(table.pop("path")).is_file()
            error, (queried,) = await _call(client, "query_assets", filters={"id": table["id"]})
            assert not error and queried == table
            counted = json.loads((await Asset.load(table["id"]).fetch()).read_text())
            assert counted == {"sample_id": "s1", "reads": expected}

        error, found = await _call(
            client, "query_assets", filters={"kind": "table", "sample_id": "s1"}
        )
        assert not error
        assert {a["params"]["min_length"] for a in found} == {"0", "20"}

    _session(_params(workspace, sys.executable, "-c", LAUNCH_WITH_TEST_TASKS), body)


@pytest.mark.timeout(120)
def test_bad_calls_come_back_as_tool_errors(workspace):
    from stargazer.types import Reads

    reads = Reads.create_sync(_write_fastq(workspace / "a.fastq.gz", [40]), sample_id="a")
    Reads.create_sync(_write_fastq(workspace / "b.fastq.gz", [44]), sample_id="b")
    bad_calls = [
        (
            "run_task",
            {"name": "no_such_task"},
            "no task named 'no_such_task'; known: count_all, count_reads",
        ),
        ("describe_task", {"name": "nope"}, "no task or workflow named 'nope'"),
        ("run_workflow", {"name": "count_reads"}, "'count_reads' is a task, not a workflow"),
        ("run_task", {"name": "count_reads", "inputs": {}}, "count_reads needs reads"),
        (
            "run_task",
            {"name": "count_reads", "inputs": {"reads": reads.id, "min_length": "long"}},
            "count_reads.min_length must be int, got 'long'",
        ),
        (
            "run_task",
            {"name": "count_reads", "inputs": {"reads": reads.id, "colour": 1}},
            "count_reads has no parameter colour; its parameters are reads, min_length",
        ),
        (
            "run_task",
            {"name": "count_reads", "inputs": {"reads": "sha256:" + "0" * 64}},
            f"count_reads.reads: 'sha256:{'0' * 64}' is neither an asset id",
        ),
        (
            "run_task",
            {"name": "count_reads", "inputs": {"reads": {"sample_id": "nobody"}}},
            "count_reads.reads: no Reads asset matches 'sample_id=nobody'",
        ),
        (
            "run_task",
            {"name": "count_reads", "inputs": {"reads": {}}},
            "count_reads.reads: 2 Reads assets match an empty query; pass one id",
        ),
        ("run_task", {"name": "count_reads", "inputs": {"reads": 7}}, "pass an asset id"),
        ("query_assets", {"filters": {"colour": "red"}}, "bad asset query"),
        ("add_asset", {"path": str(workspace / "missing.fq"), "type": "reads"}, "no such file"),
        (
            "add_asset",
            {"path": str(workspace / "a.fastq.gz"), "type": "movie"},
            "unknown asset type",
        ),
    ]

    async def body(client: Client):
        for tool, arguments, message in bad_calls:
            result = await client.call_tool(tool, arguments)
            text = result.content[0].text if result.content else ""
            assert result.is_error, (tool, arguments, text)
            assert message in text, (tool, arguments, text)
        # the server is still up and still works after every error
        error, added = await _call(
            client,
            "add_asset",
            path=str(workspace / "a.fastq.gz"),
            type="Reads",
            metadata={"sample_id": "a"},
        )
        assert not error and added["id"] == reads.id
        bad_file = workspace / "notes.fastq"
        bad_file.write_text("this is not a FASTQ file\n")
        error, message = await _call(
            client, "add_asset", path=str(bad_file), type="reads", metadata={"sample_id": "x"}
        )
        assert error and str(bad_file) in message

    _session(_params(workspace, sys.executable, "-c", LAUNCH_WITH_TEST_TASKS), body)


@pytest.mark.timeout(180)
def test_germline_workflow_on_demo_data_through_stargazer_mcp(workspace, subprocess_env):
    stargazer = Path(sys.executable).with_name("stargazer")
    demo = [str(stargazer), "demo", "germline", "--size", "20kb", "--coverage", "5", "--seed", "3"]
    made = subprocess.run(demo, cwd=workspace, env=subprocess_env, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr

    async def body(client: Client):
        error, workflows = await _call(client, "list_workflows")
        assert not error
        (germline,) = [w for w in workflows if w["name"] == "germline_variants"]
        samples = next(p for p in germline["parameters"] if p["name"] == "samples")
        assert samples["asset_kind"] == "reads" and samples["many"]

        error, result = await _call(
            client,
            "run_workflow",
            name="germline_variants",
            inputs={"reference": {"build": "demo"}, "samples": {"sample_id": "sample1"}},
        )
        assert not error, result
        assert result["where"] == "local"
        (variants,) = result["outputs"]
        assert variants["kind"] == "variants" and variants["sample_id"] == "sample1"
        assert variants["caller"] == "bcftools" and "tbi" in variants["files"]

        error, found = await _call(
            client, "query_assets", filters={"kind": "variants", "caller": "bcftools"}
        )
        # the calls of single regions (params stage=region) are assets too; one is the result
        joined = [a["id"] for a in found if a["params"].get("stage") != "region"]
        assert not error and joined == [variants["id"]]
        error, lineage = await _call(client, "query_assets", filters={"id": variants["parents"]})
        assert not error and {a["kind"] for a in lineage} == {"reference", "alignment"}

        error, message = await _call(client, "run_task", name="germline_variants")
        assert error and "'germline_variants' is a workflow, not a task" in message

    _session(_params(workspace, str(stargazer), "mcp"), body)


def _listening_addresses(port: int) -> set[str]:
    """IPv4 addresses with a socket listening on `port`, from /proc/net/tcp."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.add(".".join(str(b) for b in reversed(bytes.fromhex(address))))
    return found


def _port_in_range() -> int:
    """A free loopback port in 18100-18199, the range these tests may use."""
    for port in range(18100, 18200):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port in 18100-18199")


def _start_http(workspace: Path, env: dict[str, str], *extra: str) -> tuple[subprocess.Popen, int]:
    port = _port_in_range()
    stargazer = Path(sys.executable).with_name("stargazer")
    process = subprocess.Popen(
        [str(stargazer), "mcp", "--http", str(port), *extra],
        cwd=workspace,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process, port
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "the HTTP server did not listen within 60 s"
        time.sleep(0.2)


def _post(port: int, body: dict[str, Any], token: str | None = None) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/mcp", data=json.dumps(body).encode(), headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def _authorized_client(port: int, token: str):
    from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    return http, Client(streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http))


@pytest.mark.timeout(120)
def test_http_transport_on_loopback_with_the_generated_token(workspace, subprocess_env):
    subprocess_env.pop("STARGAZER_MCP_TOKEN", None)
    process, port = _start_http(workspace, subprocess_env)
    try:
        token_file = workspace / ".stargazer" / "mcp-token"
        assert token_file.stat().st_mode & 0o777 == 0o600
        token = token_file.read_text().strip()
        assert len(token) >= 32

        async def main():
            http, client = _authorized_client(port, token)
            async with http, client:
                tools = {tool.name for tool in (await client.list_tools()).tools}
                assert tools == TOOLS
                error, message = await _call(client, "describe_task", name="nope")
                assert error and "no task or workflow named 'nope'" in message

        anyio.run(main)
        assert _listening_addresses(port) == {"127.0.0.1"}
    finally:
        process.terminate()
        process.wait(timeout=20)
    printed = process.stderr.read()
    assert f"http://127.0.0.1:{port}/mcp" in printed
    assert printed.count(token) == 1 and str(token_file) in printed


@pytest.mark.timeout(120)
def test_unauthenticated_http_calls_are_refused_and_register_nothing(workspace, subprocess_env):
    """Case 1: without the bearer token, no tool runs: add_asset registers nothing."""
    secret = _write_fastq(workspace / "private.fastq.gz", [40])
    mine = _write_fastq(workspace / "mine.fastq.gz", [44])
    subprocess_env["STARGAZER_MCP_TOKEN"] = "t" * 40
    process, port = _start_http(workspace, subprocess_env)
    try:
        initialize = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "intruder", "version": "0"},
            },
        }
        add = {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "add_asset", "arguments": {"path": str(secret), "type": "reads"}},
        }
        for token in (None, "wrong" * 8, "t" * 39):
            for body in (initialize, add):
                status, text = _post(port, body, token)
                assert status == 401, (token, body["method"], status, text)
                assert "Authorization: Bearer" in text

        async def main():
            http, client = _authorized_client(port, "t" * 40)
            async with http, client:
                error, added = await _call(
                    client, "add_asset", path=str(mine), type="reads", metadata={"sample_id": "m"}
                )
                assert not error, added
                error, found = await _call(client, "query_assets")
                assert not error and [a["id"] for a in found] == [added["id"]]

        anyio.run(main)
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert "t" * 40 not in process.stderr.read()
    assert not (workspace / ".stargazer" / "mcp-token").exists()


def test_short_token_from_the_environment_is_refused(workspace, subprocess_env):
    subprocess_env["STARGAZER_MCP_TOKEN"] = "short"
    stargazer = Path(sys.executable).with_name("stargazer")
    result = subprocess.run(
        [str(stargazer), "mcp", "--http", str(_port_in_range())],
        cwd=workspace, env=subprocess_env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "STARGAZER_MCP_TOKEN is set but shorter than 16 characters" in result.stderr


def _stdio(workspace: Path, errlog, **env: str):
    from mcp.client.stdio import stdio_client

    params = _params(workspace, sys.executable, "-c", LAUNCH_WITH_TEST_TASKS)
    params.env = {**params.env, **env}
    return Client(stdio_client(params, errlog=errlog))


@pytest.mark.timeout(120)
def test_add_asset_outside_the_allowed_roots_is_refused(workspace, tmp_path_factory):
    """Case 2: only files under the workspace and the listed data folders are read."""
    outside = tmp_path_factory.mktemp("elsewhere")
    private = _write_fastq(outside / "private_R1.fastq.gz", [40])
    inside = _write_fastq(workspace / "mine_R1.fastq.gz", [40])
    (workspace / "link_R1.fastq.gz").symlink_to(private)
    (workspace / "linked_dir").symlink_to(outside)
    refused = [
        {"path": str(private)},
        {"path": str(workspace / "link_R1.fastq.gz")},
        {"path": str(workspace / "linked_dir" / "private_R1.fastq.gz")},
        {"path": str(workspace / "linked_dir" / ".." / "linked_dir" / "private_R1.fastq.gz")},
        {"path": "/etc/passwd"},
        {"path": str(inside), "companions": {"r2": str(private)}},
    ]

    async def body(client: Client):
        error, added = await _call(
            client, "add_asset", path=str(inside), type="reads", metadata={"sample_id": "s"}
        )
        assert not error, added
        for arguments in refused:
            error, message = await _call(
                client, "add_asset", type="reads", metadata={"sample_id": "s"}, **arguments
            )
            assert error, arguments
            assert "is outside the folders Stargazer may open files from" in message, message
            assert str(workspace.resolve()) in message and "STARGAZER_DATA_DIRS" in message
        error, found = await _call(client, "query_assets")
        assert not error and [a["id"] for a in found] == [added["id"]]

    with open(workspace / "server.log", "w") as errlog:
        anyio.run(_with_client, _stdio(workspace, errlog), body)

    async def allowed(client: Client):
        error, added = await _call(
            client, "add_asset", path=str(private), type="reads", metadata={"sample_id": "p"}
        )
        assert not error, added
        assert added["sample_id"] == "p"

    with open(workspace / "server.log", "w") as errlog:
        anyio.run(
            _with_client, _stdio(workspace, errlog, STARGAZER_DATA_DIRS=str(outside)), allowed
        )


async def _with_client(client: Client, body) -> Any:
    async with client:
        return await body(client)


@pytest.mark.timeout(120)
def test_a_one_megabyte_path_gets_a_reason_and_a_short_log(workspace):
    """Case 6: a 1 MB path is refused with a reason; the server log stays small."""
    huge = "/" + "a" * (1024 * 1024)

    async def body(client: Client):
        error, message = await _call(client, "add_asset", path=huge, type="reads")
        assert error
        assert "is too long: 1048577 characters, at most 4096" in message
        assert len(message) < 1000
        error, message = await _call(
            client, "add_asset", path="x", type="reads", metadata={"note": "n" * 100_000}
        )
        assert error and "metadata is too large" in message and len(message) < 1000
        error, message = await _call(client, "describe_task", name=huge)
        assert error and "no task or workflow is named" in message and len(message) < 1000
        error, message = await _call(
            client, "run_task", name="count_reads", inputs={"reads": "r" * 100_000}
        )
        assert error and "inputs is too large" in message and len(message) < 1000

    log = workspace / "server.log"
    with open(log, "w") as errlog:
        anyio.run(_with_client, _stdio(workspace, errlog), body)
    assert log.stat().st_size < 20_000
    assert not (workspace / ".stargazer").exists()  # nothing was registered


def test_log_records_are_cut_to_a_line(capfd):
    import logging

    from stargazer.mcp import MAX_LOG_CHARS, limit_log_lines

    logger = logging.getLogger("stargazer-test-log-limit")
    handler = logging.StreamHandler()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        limit_log_lines()
        try:
            raise OSError(36, "File name too long", "a" * 1_000_000)
        except OSError:
            logger.error("Tool %r raised an unexpected exception", "add_asset", exc_info=True)
    finally:
        root.removeHandler(handler)
    err = capfd.readouterr().err
    assert "Tool 'add_asset' raised an unexpected exception (OSError:" in err
    assert len(err) < 2 * MAX_LOG_CHARS
