"""`stargazer.invoke`: names checked, values converted, references resolved (real store)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stargazer.errors import AssetNotFoundError, InputError
from stargazer.invoke import (
    Catalog,
    convert_inputs,
    convert_value,
    pairs_of,
    parse_assignments,
)
from stargazer.testing import reads_asset

TEST_TASKS = Catalog("tests.stargazer.mcp_tasks", "tests.stargazer.mcp_tasks")


def count_reads():
    return TEST_TASKS.find("count_reads", kind="task")


def count_all():
    return TEST_TASKS.find("count_all", kind="task")


@pytest.mark.parametrize(
    ("annotation", "value", "expected"),
    [
        (int, "20", 20),
        (int, 20, 20),
        (float, "0.5", 0.5),
        (float, 2, 2.0),
        (bool, "Yes", True),
        (bool, " no ", False),
        (bool, "1", True),
        (bool, False, False),
        (str, "x=y", "x=y"),
        (int | None, None, None),
        (dict[str, int], '{"a": 1}', {"a": 1}),
        (dict[str, int], {"a": 1}, {"a": 1}),
        (list[str], ["a", "b"], ["a", "b"]),
    ],
)
def test_values_convert_the_same_from_text_and_from_json(annotation, value, expected):
    assert convert_value("t.p", annotation, value) == expected


@pytest.mark.parametrize(
    ("annotation", "value", "message"),
    [
        (int, "many", "t.p must be int, got 'many' (expected a whole number)"),
        (int, True, "t.p must be int, got True"),
        (int, 2.5, "t.p must be int, got 2.5"),
        (bool, "maybe", "t.p must be bool, got 'maybe' (expected true or false)"),
        (float, "fast", "t.p must be float, got 'fast' (expected a number)"),
        (str, 5, "t.p must be str, got 5"),
        (dict[str, int], "{not json", "t.p must be dict[str, int], got '{not json'"),
    ],
)
def test_bad_values_name_the_parameter_and_the_value(annotation, value, message):
    with pytest.raises(InputError, match=re.escape(message)):
        convert_value("t.p", annotation, value)


def test_assignments_split_at_the_first_equals():
    assert parse_assignments(["a=b=c", " n = 2 "]) == [("a", "b=c"), ("n", "2")]
    with pytest.raises(InputError, match="'oops' is not NAME=VALUE"):
        parse_assignments(["oops"])


def test_names_are_checked_before_any_value(workspace: Path):
    with pytest.raises(InputError, match="count_reads has no parameter colour; its parameters"):
        convert_inputs(count_reads(), [("colour", "x"), ("reads", "nonsense")])
    with pytest.raises(InputError, match=r"count_reads needs reads: give it a value \(shell"):
        convert_inputs(count_reads(), [("min_length", "3")])
    with pytest.raises(InputError, match=r"count_reads\.min_length takes one value, but was given"):
        convert_inputs(count_reads(), [("min_length", "1"), ("min_length", "2"), ("reads", "x")])


def test_an_id_a_query_text_and_a_query_object_resolve_alike(workspace: Path):
    reads = reads_asset(workspace, sample_id="s1")
    for ref in (reads.id, "sample_id=s1", {"sample_id": "s1"}, "kind=reads,sample_id=s1"):
        converted = convert_inputs(count_reads(), [("reads", ref), ("min_length", "2")])
        assert converted.kwargs == {"reads": reads, "min_length": 2}
        assert converted.notes[0].startswith(f"  reads: {reads.id} (s1")


def test_references_that_match_nothing_raise_asset_not_found(workspace: Path):
    reads_asset(workspace, sample_id="s1")
    with pytest.raises(AssetNotFoundError, match=r"count_reads\.reads: no asset reads-0+ in "):
        convert_inputs(count_reads(), [("reads", "reads-" + "0" * 40)])
    with pytest.raises(
        AssetNotFoundError, match=r"count_reads\.reads: no Reads asset matches 'sample_id=s9'"
    ):
        convert_inputs(count_reads(), [("reads", {"sample_id": "s9"})])
    assert isinstance(AssetNotFoundError("x"), KeyError) and str(AssetNotFoundError("x")) == "x"


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("reads-123", "count_reads.reads: 'reads-123' is neither an asset id"),
        ("sha256:" + "0" * 64, "is neither an asset id"),
        (7, "count_reads.reads takes a reads asset: pass an asset id, or a metadata query"),
        ({"kind": "alignment"}, "count_reads.reads takes reads assets, not kind=alignment"),
        ("paired=maybe", "count_reads.reads: bad query 'paired=maybe': paired='maybe'"),
        ("colour=red", "count_reads.reads: bad query 'colour=red': cannot filter reads by"),
        ("sample_id=s1,oops", "count_reads.reads: bad query 'sample_id=s1,oops': 'oops' is not"),
    ],
)
def test_malformed_references_are_input_errors(workspace: Path, ref, message):
    reads_asset(workspace, sample_id="s1")
    with pytest.raises(InputError, match=re.escape(message)):
        convert_inputs(count_reads(), [("reads", ref)])


def test_an_id_of_another_kind_is_refused(workspace: Path):
    from stargazer.testing import table_asset

    table = table_asset(workspace)
    with pytest.raises(InputError, match=f"count_reads.reads takes a Reads asset, but {table.id}"):
        convert_inputs(count_reads(), [("reads", table.id)])


def test_one_asset_from_several_matches_needs_latest(workspace: Path):
    older = reads_asset(workspace, name="a", sample_id="s1")
    newer = reads_asset(workspace, name="b", sample_id="s1", paired=True)
    with pytest.raises(InputError) as refused:
        convert_inputs(count_reads(), [("reads", "sample_id=s1")])
    message = str(refused.value)
    assert message.startswith("count_reads.reads: 2 Reads assets match 'sample_id=s1'; pass one")
    assert "(`--latest`, MCP latest=true)" in message
    assert message.index(newer.id) < message.index(older.id), "newest listed first"
    chosen = convert_inputs(count_reads(), [("reads", "sample_id=s1")], latest=True)
    assert chosen.kwargs["reads"] == newer
    assert chosen.notes[-1] == (
        "    --latest chose the newest of 2 Reads assets matching 'sample_id=s1'"
    )


def test_a_tuple_parameter_takes_every_match_or_the_newest_per_sample(workspace: Path):
    s1_old = reads_asset(workspace, name="a", sample_id="s1")
    s1_new = reads_asset(workspace, name="b", sample_id="s1", paired=True)
    s2 = reads_asset(workspace, name="c", sample_id="s2")
    given = pairs_of(count_all(), {"reads": ["sample_id=s1", {"sample_id": "s2"}]})
    assert given == [("reads", "sample_id=s1"), ("reads", {"sample_id": "s2"})]
    everything = convert_inputs(count_all(), given)
    assert everything.kwargs == {"reads": (s1_old, s1_new, s2)}
    newest = convert_inputs(count_all(), [("reads", "sample_id=s1,sample_id=s1")], latest=True)
    assert newest.kwargs == {"reads": (s1_new,)}
    assert newest.notes[-1].startswith("    --latest chose 1, the newest per sample, of 2 Reads")
    one = convert_inputs(count_all(), pairs_of(count_all(), {"reads": s2.id, "paired_only": "yes"}))
    assert one.kwargs == {"reads": (s2,), "paired_only": True}


def test_mcp_inputs_must_be_an_object():
    with pytest.raises(InputError, match=r"inputs must be an object of parameter -> value, got \["):
        pairs_of(count_reads(), ["reads"])
