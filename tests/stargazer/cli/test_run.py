import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from stargazer.cli.main import cli
from stargazer.cli.run import workflows
from stargazer.testing.germline import make_demo, register_demo
from stargazer.types import assemble

STARGAZER = str(Path(sys.executable).parent / "stargazer")
README = Path(__file__).resolve().parents[3] / "README.md"


def _run(*args):
    return CliRunner().invoke(cli, ["run", *args])


def _joined_calls():
    """The workflow's result: the bcftools call set that is not one region's part."""
    found = assemble(kind="variants", caller="bcftools")
    return [v for v in found if v.params.get("stage") != "region"]


def test_lists_the_workflows_with_their_inputs():
    result = _run()
    assert result.exit_code == 0, result.output
    assert "germline_variants: Align, mark duplicates and call" in result.output
    assert "-i samples=...   list[Reads], required" in result.output
    assert "-i threads=...   int, default 2" in result.output
    assert "germline_variants" in workflows()


def test_documented_shell_line_runs_the_workflow(workspace, subprocess_env):
    """The README's two lines, run as a user would (tiny size for speed)."""
    text = README.read_text()
    documented = next(
        line.strip() for line in text.splitlines() if line.startswith("stargazer run ")
    )
    assert "germline_variants" in documented
    demo = subprocess.run(
        [STARGAZER, "demo", "germline", "--size", "20kb", "--coverage", "20", "--seed", "5"],
        cwd=workspace,
        env=subprocess_env,
        capture_output=True,
        text=True,
    )
    assert demo.returncode == 0, demo.stderr
    args = documented.split()[1:]
    for attempt in range(2):  # the second run is a cache hit through the same line
        result = subprocess.run(
            [STARGAZER, *args, "--json"],
            cwd=workspace,
            env=subprocess_env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        (record,) = json.loads(result.stdout)
        assert record["kind"] == "variants" and record["sample_id"] == "sample1"
        assert Path(record["path"]).exists()
        if attempt == 0:
            first = record["id"]
    assert record["id"] == first


def test_inputs_by_id_and_scalars(workspace):
    assets = register_demo(make_demo(workspace / "data", seed=41))
    result = _run(
        "germline_variants",
        "-i",
        f"reference={assets['reference'].id}",
        "-i",
        f"samples={assets['reads']['sample1'].id}",
        "-i",
        "threads=1",
        "-i",
        "min_qual=25",
        "-i",
        "cohort=trio",
    )
    assert result.exit_code == 0, result.output
    kind, asset_id, path = result.stdout.strip().splitlines()[-1].split("\t")
    assert kind == "variants" and Path(path).exists()
    (variants,) = _joined_calls()
    assert variants.id == asset_id and variants.params["min_qual"] == "25.0"


SUMMARY = re.compile(
    r"^Done in \d+\.\d s: variants (variants-[0-9a-f]+) — (\d+) task\(s\): (\d+) ran, "
    r"(\d+) from cache$"
)


def test_run_says_which_assets_it_resolved_and_ends_with_a_summary(workspace):
    """Issue 17 item 10: the resolved assets, what --latest chose, and a one-line summary."""
    register_demo(make_demo(workspace / "a", seed=42))
    newest = register_demo(make_demo(workspace / "b", seed=43))
    reference, reads = newest["reference"], newest["reads"]["sample1"]
    result = _run(
        "germline_variants", "-i", "reference=build=demo", "-i", "samples=sample_id=sample1",
        "--latest",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    said = result.stderr
    assert f"  reference: {reference.id} (reference demo · 20" in said
    assert "    --latest chose the newest of 2 Reference assets matching 'build=demo'" in said
    assert f"  samples: {reads.id} (sample1 · paired reads · 20" in said
    assert (
        "    --latest chose 1, the newest per sample, of 2 Reads assets matching "
        "'sample_id=sample1'"
    ) in said
    assert said.index("Inputs:") < said.index("Running germline_variants")
    first = SUMMARY.match(said.strip().splitlines()[-1])
    assert first, said[-2000:]
    (variants,) = _joined_calls()
    tasks = int(first.group(2))
    assert first.group(1) == variants.id and tasks > 1
    assert first.groups()[2:] == (str(tasks), "0")

    again = _run("germline_variants", "-i", f"reference={reference.id}", "-i",
                 f"samples={reads.id}")  # fmt: skip
    assert again.exit_code == 0, again.output
    assert f"  reference: {reference.id} (reference demo · 20" in again.stderr
    assert "--latest" not in again.stderr
    assert (
        again.stderr.strip()
        .splitlines()[-1]
        .endswith(
            f"s: variants {variants.id} — the whole workflow came from the cache (no task ran)"
        )
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "no workflow named 'nope'; known: germline_variants"),
        (["germline_variants", "-i", "reference=build=demo"], "needs samples"),
        (["germline_variants", "-i", "colour=blue"], "has no parameter colour"),
        (
            ["germline_variants", "-i", "reference=build=none", "-i", "samples=sample_id=x"],
            "no Reference asset matches 'build=none'",
        ),
        (
            [
                "germline_variants",
                "-i",
                "reference=reads-" + "0" * 40,
                "-i",
                "samples=sample_id=x",
            ],
            "germline_variants.reference: no asset reads-0000000000",
        ),
        (
            ["germline_variants", "-i", "threads=many", "-i", "reference=x=y", "-i", "samples=z"],
            "germline_variants.threads must be int, got 'many' (expected a whole number)",
        ),
    ],
)
def test_bad_inputs_are_named(workspace, args, message):
    result = _run(*args)
    assert result.exit_code != 0
    assert message in result.output


def test_ambiguous_query_needs_an_id_or_latest(workspace):
    register_demo(make_demo(workspace / "a", seed=42))
    register_demo(make_demo(workspace / "b", seed=43))
    result = _run("germline_variants", "-i", "reference=build=demo", "-i", "samples=sample_id=x")
    assert result.exit_code != 0
    assert "2 Reference assets match 'build=demo'" in result.output and "--latest" in result.output
    assert result.output.count("(reference demo · 20") == 2, "each match is listed with its label"


def test_workflow_errors_become_clear_cli_errors(workspace):
    assets = register_demo(make_demo(workspace / "a", seed=44))
    other = register_demo(make_demo(workspace / "b", seed=45))
    result = _run(
        "germline_variants",
        "-i",
        f"reference={assets['reference'].id}",
        "-i",
        f"samples={other['reads']['sample1'].id}",
    )
    assert result.exit_code == 1
    assert "germline_variants failed: only 0.0% of the" in result.output
