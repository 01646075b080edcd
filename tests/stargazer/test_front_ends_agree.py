"""`stargazer run` and the MCP server agree: same inputs taken, same refusals, same records.

They used to differ (issue 18): MCP read every string as an asset id while the shell told ids
from `key=value` queries; only the shell had `--latest`; only the shell's records carried
`path`; a `tuple[Reads, ...]` parameter was a list to MCP and unreadable to the shell. Both
now go through `stargazer.invoke`. The shell is driven through click, the server as a real
`stargazer mcp` process over stdio, on the same scratch store.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import anyio
import pysam
import pytest
from click.testing import CliRunner, Result
from mcp import Client, StdioServerParameters

from stargazer.cli.main import cli
from stargazer.testing import checkout_root, reads_asset
from stargazer.testing.germline import make_demo, register_demo

STARGAZER = str(Path(sys.executable).with_name("stargazer"))
ROOT = checkout_root()


def _shell(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _shell_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    return result.stderr.removeprefix("Error: ").rstrip("\n")


def _server(workspace: Path, env: dict[str, str], *command: str) -> StdioServerParameters:
    python_path = os.pathsep.join([str(ROOT), str(ROOT / "src")])
    return StdioServerParameters(
        command=command[0],
        args=list(command[1:]),
        cwd=str(workspace),
        env={**env, "PYTHONPATH": python_path},
    )


def _calls(params: StdioServerParameters, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """Each call's (is_error, error text or structured result), over one server session."""

    async def main() -> list[Any]:
        answers = []
        async with Client(params) as client:
            for tool, arguments in calls:
                result = await client.call_tool(tool, arguments)
                if result.is_error:
                    answers.append((True, result.content[0].text))
                else:
                    content = result.structured_content or {}
                    answers.append((False, content.get("result", content)))
        return answers

    return anyio.run(main)


@pytest.fixture
def two_demos(workspace: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two germline demo data sets (seeds 42, 43): two references with build=demo."""
    return (
        register_demo(make_demo(workspace / "a", seed=42)),
        register_demo(make_demo(workspace / "b", seed=43)),
    )


@pytest.mark.timeout(180)
def test_refusals_are_word_for_word_the_same(workspace, subprocess_env, two_demos):
    first, _ = two_demos
    reference, reads = first["reference"].id, first["reads"]["sample1"].id
    cases: list[tuple[list[str], dict[str, Any]]] = [
        (["-i", "colour=blue"], {"colour": "blue"}),
        (["-i", "reference=build=demo"], {"reference": "build=demo"}),
        (
            ["-i", f"reference={reference}", "-i", f"samples={reads}", "-i", "threads=many"],
            {"reference": reference, "samples": [reads], "threads": "many"},
        ),
        # id detection: the same text is an id (malformed here) to both
        (["-i", f"reference={reference}", "-i", "samples=reads-123"],
         {"reference": reference, "samples": "reads-123"}),
        # an id of the wrong kind
        (["-i", f"reference={reads}", "-i", f"samples={reads}"],
         {"reference": reads, "samples": [reads]}),
        # a query that matches nothing, as text and as an object
        (["-i", "reference=build=none", "-i", f"samples={reads}"],
         {"reference": {"build": "none"}, "samples": reads}),
        # a query that matches two references, without latest
        (["-i", "reference=build=demo", "-i", f"samples={reads}"],
         {"reference": "build=demo", "samples": [reads]}),
    ]  # fmt: skip
    shell = [_shell_error(_shell("run", "germline_variants", *args)) for args, _ in cases]
    shell.append(_shell_error(_shell("run", "no_such_flow")))
    calls = [("run_workflow", {"name": "germline_variants", "inputs": i}) for _, i in cases]
    calls.append(("run_workflow", {"name": "no_such_flow"}))
    answers = _calls(_server(workspace, subprocess_env, STARGAZER, "mcp"), calls)
    for said, (call, (error, text)) in zip(shell, zip(calls, answers, strict=True), strict=True):
        assert error, text
        assert text.removeprefix(f"Error executing tool {call[0]}: ") == said
    assert "germline_variants has no parameter colour" in shell[0]
    assert "germline_variants needs samples" in shell[1]
    assert "germline_variants.threads must be int, got 'many'" in shell[2]
    assert "germline_variants.samples: 'reads-123' is neither an asset id" in shell[3]
    assert f"germline_variants.reference takes a Reference asset, but {reads}" in shell[4]
    assert "germline_variants.reference: no Reference asset matches 'build=none'" in shell[5]
    assert "germline_variants.reference: 2 Reference assets match 'build=demo'" in shell[6]
    assert "no workflow named 'no_such_flow'" in shell[7]


@pytest.mark.timeout(300)
def test_a_run_gives_the_same_records_and_latest_chooses_alike(
    workspace, subprocess_env, two_demos
):
    """Query text in both, `--latest` / `latest=true`, records with `path` in both."""
    _, newest = two_demos
    # the run adds a prepared reference (build=demo too): ask for the demo's own references
    reference = "build=demo,tool=stargazer.demo.germline"
    result = _shell(
        "run", "germline_variants", "-i", f"reference={reference}",
        "-i", "samples=sample_id=sample1", "--latest", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    shell_notes = [line.strip() for line in result.stderr.split("Running")[0].splitlines()[1:]]
    inputs = {"reference": reference, "samples": "sample_id=sample1"}
    ((error, answer),) = _calls(
        _server(workspace, subprocess_env, STARGAZER, "mcp"),
        [("run_workflow", {"name": "germline_variants", "inputs": inputs, "latest": True})],
    )
    assert not error, answer
    assert answer["outputs"] == records
    (variants,) = records
    assert variants["kind"] == "variants" and Path(variants["path"]).is_file()
    assert answer["inputs"] == shell_notes
    assert shell_notes[0].startswith(f"reference: {newest['reference'].id} (reference demo")
    assert f"--latest chose the newest of 2 Reference assets matching '{reference}'" in shell_notes


@pytest.mark.timeout(180)
def test_a_tuple_of_assets_is_read_alike(workspace, subprocess_env):
    """MCP runs `count_all(reads: tuple[Reads, ...])`; the shell's key for the same inputs hits."""
    a = reads_asset(workspace, name="a", sample_id="a")
    b = reads_asset(workspace, name="b", sample_id="b", paired=True)
    launch = (
        "from stargazer.mcp import Stargazer, create_server; "
        "create_server(Stargazer(tasks_module='tests.stargazer.mcp_tasks')).run()"
    )
    inputs = {"reads": ["sample_id=a", {"sample_id": "b"}], "paired_only": "yes"}
    ((error, answer),) = _calls(
        _server(workspace, subprocess_env, sys.executable, "-c", launch),
        [("run_task", {"name": "count_all", "inputs": inputs})],
    )
    assert not error, answer
    (table,) = answer["outputs"]
    assert table["parents"] == [a.id, b.id] and table["params"] == {"paired_only": "True"}
    with pysam.FastxFile(str(b.path)) as records:  # only b is paired
        assert json.loads(Path(table["path"]).read_text()) == {"reads": sum(1 for _ in records)}
    explained = _shell(
        "cache", "explain", "tests.stargazer.mcp_tasks:count_all",
        "-i", "reads=sample_id=a", "-i", "reads=sample_id=b", "-i", "paired_only=yes",
    )  # fmt: skip
    assert explained.exit_code == 0, explained.output
    assert f"input     reads = [{a.id}, {b.id}]  (in the key)" in explained.stdout
    assert "input     paired_only = True  (in the key)" in explained.stdout
    assert "cache     hit: a result with every output asset present" in explained.stdout
