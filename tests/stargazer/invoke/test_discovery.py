"""`stargazer.invoke` discovery, descriptions and records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import stargazer.workflows
from stargazer.errors import InputError
from stargazer.invoke import (
    Catalog,
    asset_record,
    describe_text,
    details,
    flatten,
    load_task,
    output_record,
    parameters,
    summary,
)
from stargazer.testing import reads_asset

TEST_TASKS = Catalog("tests.stargazer.mcp_tasks", "stargazer.workflows")


def test_entries_are_what_the_packages_export():
    workflows = TEST_TASKS.entries("workflow")
    assert list(workflows) == [
        name
        for name in stargazer.workflows.__all__
        if hasattr(getattr(stargazer.workflows, name), "func")
    ]
    assert {entry.kind for entry in workflows.values()} == {"workflow"}
    assert list(TEST_TASKS.entries("task")) == ["count_all", "count_reads"]


def test_find_by_exported_or_flyte_name_and_refuse_the_other_kind():
    entry = TEST_TASKS.find("count_reads")
    assert TEST_TASKS.find(entry.task.name) == entry
    with pytest.raises(InputError, match="'count_reads' is a task, not a workflow"):
        TEST_TASKS.find("count_reads", kind="workflow")
    with pytest.raises(InputError, match="no workflow named 'nope'; known: germline_variants"):
        TEST_TASKS.find("nope", kind="workflow")
    with pytest.raises(InputError, match=r"no task or workflow is named 'xxxx.*\(300 characters"):
        TEST_TASKS.find("x" * 300)


def test_parameters_and_descriptions():
    entry = TEST_TASKS.find("count_all")
    reads, paired_only = parameters(entry)
    assert (reads.name, reads.many, reads.label, reads.required) == (
        "reads",
        True,
        "list[Reads]",
        True,
    )
    assert (paired_only.inner, paired_only.default) == (bool, False)
    assert describe_text(entry).splitlines() == [
        "count_all: Count the R1 records of several read sets together.",
        "    -i reads=...   list[Reads], required",
        "    -i paired_only=...   bool, default False",
    ]
    described = summary(entry)
    assert described["parameters"][0] == {
        "name": "reads", "type": "tuple[Reads, ...]", "required": True, "asset_kind": "reads",
        "many": True,
    }  # fmt: skip
    assert described["returns"] == "Table" and described["environment"] == "gatk_env"
    full = details(entry)
    assert full["kind"] == "task" and full["signature"].startswith("count_all(reads: ")


def test_load_task_by_function_name_or_module_path():
    assert load_task("tests.stargazer.mcp_tasks:count_reads").name == "count_reads"
    assert load_task("mark_duplicates").task.func.__name__ == "mark_duplicates"
    with pytest.raises(InputError, match="no task named 'nope'; known: "):
        load_task("nope")
    with pytest.raises(InputError, match=r"tests\.stargazer\.mcp_tasks:Path is not a Flyte task"):
        load_task("tests.stargazer.mcp_tasks:Path")


def test_records_are_json_and_outputs_carry_their_local_path(workspace: Path):
    reads = reads_asset(workspace)
    record = asset_record(reads)
    assert record["type"] == "Reads" and record["kind"] == "reads" and record["id"] == reads.id
    assert "path" not in record, "an asset record touches no file"
    output = output_record(reads)
    assert output == {**record, "path": str(reads.path)}
    assert Path(output["path"]).read_bytes()[:2] == b"\x1f\x8b"
    assert json.loads(json.dumps(output)) == output
    assert flatten(((reads, [1]), 2)) == [reads, 1, 2]
    assert output_record(Path("x")) == "x"
