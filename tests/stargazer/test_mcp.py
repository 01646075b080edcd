"""The Stargazer MCP server, driven by the official SDK's client over stdio.

Each test launches a real server process: `stargazer mcp` itself, or (for the task tests)
the same server discovering tasks from tests/stargazer/mcp_tasks.py, and talks to it the way
marimo's chat panel or a coding tool does.
"""

from __future__ import annotations

import gzip
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from tests.conftest import REPO_ROOT, free_port

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
        env={"STARGAZER_HOME": str(workspace / ".stargazer"), "PYTHONPATH": str(REPO_ROOT)},
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
        (task,) = tasks
        assert task["name"] == "count_reads"
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
        ("run_task", {"name": "no_such_task"}, "no task named 'no_such_task'; known: count_reads"),
        ("describe_task", {"name": "nope"}, "no task or workflow named 'nope'"),
        ("run_workflow", {"name": "count_reads"}, "'count_reads' is a task: use run_task"),
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
            "count_reads.reads: no asset with id",
        ),
        (
            "run_task",
            {"name": "count_reads", "inputs": {"reads": {"sample_id": "nobody"}}},
            "matches 0 reads assets",
        ),
        (
            "run_task",
            {"name": "count_reads", "inputs": {"reads": {}}},
            "matches 2 reads assets",
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
        assert not error and [a["id"] for a in found] == [variants["id"]]
        error, lineage = await _call(client, "query_assets", filters={"id": variants["parents"]})
        assert not error and {a["kind"] for a in lineage} == {"reference", "alignment"}

        error, message = await _call(client, "run_task", name="germline_variants")
        assert error and "is a workflow: use run_workflow" in message

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


@pytest.mark.timeout(120)
def test_http_transport_on_loopback(workspace, subprocess_env):
    port = free_port()
    stargazer = Path(sys.executable).with_name("stargazer")
    process = subprocess.Popen(
        [str(stargazer), "mcp", "--http", str(port)],
        cwd=workspace,
        env=subprocess_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "the HTTP server did not listen within 60 s"
            time.sleep(0.2)

        async def main():
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                tools = {tool.name for tool in (await client.list_tools()).tools}
                assert tools == TOOLS
                error, message = await _call(client, "describe_task", name="nope")
                assert error and "no task or workflow named 'nope'" in message

        anyio.run(main)
        assert _listening_addresses(port) == {"127.0.0.1"}
    finally:
        process.terminate()
        process.wait(timeout=20)
