"""Free-form labels (`batch`, `tissue`, `donor`) beside the typed metadata (issue 11, Build).

Labels are given with `create(..., labels={...})` or `stargazer assets add --label K=V`, kept
under `"labels"` in the manifest, and found with `assemble(labels={...})`, `ls --where
label.K=V` and the MCP `query_assets` tool. Typed fields stay validated.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

import anyio
import pytest
from click.testing import CliRunner

from stargazer.cli.main import cli
from stargazer.errors import InvalidAssetError
from stargazer.store import open_store
from stargazer.store.manifest import canonical_json, check_manifest
from stargazer.testing import fastq_records, nothing_registered, write_fastq
from stargazer.types import Asset, Reads, assemble


def _run(*args: str):
    return CliRunner().invoke(cli, ["assets", *args])


def _pre_label_id(manifest: dict[str, Any]) -> str:
    """The id formula from before labels existed (copied, so a change to it shows here)."""
    names = ("files", "names", "metadata", "parents", "tool", "tool_version", "params")
    identity = {name: manifest[name] for name in names}
    identity["kind"] = manifest["kind"]
    digest = hashlib.sha256(canonical_json(identity)).hexdigest()[:40]
    return f"{manifest['kind']}-{digest}"


def test_labels_are_stored_apart_and_found_by_the_api(workspace):
    fastq = write_fastq(workspace / "r.fq", fastq_records())
    plain = Reads.create_sync(fastq, sample_id="s1")
    tagged = asyncio.run(
        Reads.create(fastq, sample_id="s1", labels={"batch": "b1", "tissue": "lung"})
    )
    other = Reads.create_sync(fastq, sample_id="s2", labels={"batch": "b2"})

    # An asset without labels keeps the id it had before labels existed; labels change it.
    manifest = plain.manifest()
    assert "labels" not in manifest and plain.labels == {}
    assert plain.id == _pre_label_id(manifest)
    assert tagged.id != plain.id
    stored = tagged.manifest()
    assert stored["labels"] == {"batch": "b1", "tissue": "lung"}
    assert "batch" not in stored["metadata"]
    assert Asset.load(tagged.id).labels == {"batch": "b1", "tissue": "lung"}

    assert assemble(type="reads", labels={"batch": "b1"}) == [tagged]
    assert assemble(labels={"batch": ["b1", "b2"]}) == [tagged, other]
    assert assemble(labels={"batch": "b2"}, sample_id="s1") == []
    assert assemble(**{"label.tissue": "lung", "sample_id": "s1"}) == [tagged]
    assert assemble(kind="reads", sample_id="s1") == [plain, tagged]
    with pytest.raises(ValueError, match=r"cannot filter reads by batch.*labels=\{'batch'"):
        assemble(kind="reads", batch="b1")


def test_labels_are_part_of_the_manifest_checked_on_read(workspace):
    made = Reads.create_sync(
        write_fastq(workspace / "r.fq", fastq_records()), labels={"donor": "d7"}
    )
    manifest = made.manifest()
    check_manifest(manifest)
    tampered = {**manifest, "labels": {"donor": "d8"}}
    with pytest.raises(ValueError, match="id does not match the content"):
        check_manifest(tampered)
    with pytest.raises(ValueError, match="label name"):
        check_manifest({**manifest, "labels": {"bad key": "x"}})
    # A manifest written before labels existed has no "labels" key; it still reads.
    old = Reads.create_sync(write_fastq(workspace / "o.fq", fastq_records(seed=3))).manifest()
    assert "labels" not in old
    assert check_manifest(json.loads(canonical_json(old))) == old
    assert Asset.from_manifest(old).labels == {}


@pytest.mark.parametrize(
    ("labels", "problem"),
    [
        ({"1batch": "b1"}, "label name '1batch' is not allowed"),
        ({"ba tch": "b1"}, "label name 'ba tch' is not allowed"),
        ({"label.batch": "b1"}, "label name 'label.batch' is not allowed"),
        ({"x" * 65: "b1"}, "is not allowed"),
        ({"batch": ""}, "give a value of 1 to 256 characters"),
        ({"batch": "b" * 257}, "give a value of 1 to 256 characters"),
        ({"batch": "b1\nrm"}, "contains a control character"),
        ({"batch": " b1"}, "starts or ends with spaces"),
        ({"batch": 3}, "labels are text, give '3'"),
        ({"sample_id": "s9"}, "sample_id is a Reads field: give it as metadata"),
        ({f"k{i}": "v" for i in range(65)}, "65 labels; at most 64"),
    ],
)
def test_bad_labels_are_refused_and_nothing_registered(workspace, labels, problem):
    fastq = write_fastq(workspace / "r.fq", fastq_records())
    with pytest.raises(InvalidAssetError, match=problem.replace("(", r"\(")):
        Reads.create_sync(fastq, labels=labels)
    assert nothing_registered(open_store().root)


def test_typed_fields_stay_validated_beside_labels(workspace):
    fastq = write_fastq(workspace / "r.fq", fastq_records())
    with pytest.raises(InvalidAssetError, match="does not take metadata batch"):
        Reads.create_sync(fastq, batch="b1", labels={"tissue": "lung"})
    assert nothing_registered(open_store().root)


def test_cli_add_label_then_ls_where_label(workspace):
    fastq = write_fastq(workspace / "r.fq", fastq_records())
    added = _run(
        "add", str(fastq), "--type", "reads", "--meta", "sample_id=s1",
        "--label", "batch=b1", "--label", "tissue=lung",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    asset_id = added.output.strip()
    plain = _run("add", str(fastq), "--type", "reads", "--meta", "sample_id=s1")
    assert plain.output.strip() != asset_id

    listed = _run("ls", "--where", "label.batch=b1")
    assert listed.exit_code == 0, listed.output
    assert listed.output.split()[0] == asset_id
    assert "label.batch=b1" in listed.output and "label.tissue=lung" in listed.output
    assert len(listed.output.splitlines()) == 1
    both = _run("ls", "--type", "reads", "--where", "sample_id=s1", "--where", "label.tissue=lung")
    assert [line.split()[0] for line in both.output.splitlines()] == [asset_id]
    assert _run("ls", "--where", "label.batch=b2").output == ""
    assert _run("reindex").exit_code == 0  # labels come back from the manifests
    assert _run("ls", "--where", "label.batch=b1").output.split()[0] == asset_id
    shown = json.loads(_run("show", asset_id).output)
    assert shown["labels"] == {"batch": "b1", "tissue": "lung"}

    bare = _run("ls", "--type", "reads", "--where", "batch=b1")
    assert bare.exit_code == 1
    assert "cannot filter reads by batch" in bare.output and "label.batch=VALUE" in bare.output


def test_cli_refuses_bad_and_repeated_labels(workspace):
    fastq = write_fastq(workspace / "r.fq", fastq_records())
    bad = _run("add", str(fastq), "--type", "reads", "--label", "batch=b1\x07")
    assert bad.exit_code == 1 and "contains a control character" in bad.output
    twice = _run("add", str(fastq), "--type", "reads", "--label", "a=1", "--label", "a=2")
    assert twice.exit_code == 2 and "label 'a' given twice" in twice.output
    no_value = _run("add", str(fastq), "--type", "reads", "--label", "batch")
    assert no_value.exit_code == 2 and "is not key=value" in no_value.output
    assert nothing_registered(open_store().root)


def test_mcp_query_assets_by_label(workspace):
    from mcp import Client

    from stargazer.mcp import Stargazer, create_server

    fastq = write_fastq(workspace / "r.fq", fastq_records())
    tagged = Reads.create_sync(fastq, sample_id="s1", labels={"batch": "b1"})
    Reads.create_sync(fastq, sample_id="s1")

    async def main() -> list[Any]:
        async with Client(create_server(Stargazer())) as client:
            answers = []
            for filters in (
                {"labels": {"batch": "b1"}},
                {"label.batch": "b1", "kind": "reads"},
                {"label.batch": "nope"},
                {"batch": "b1"},
            ):
                result = await client.call_tool("query_assets", {"filters": filters})
                if result.is_error:
                    answers.append(result.content[0].text)
                else:
                    answers.append(result.structured_content["result"])
            return answers

    by_labels, by_key, none, bare = anyio.run(main)
    assert [r["id"] for r in by_labels] == [tagged.id]
    assert by_labels[0]["labels"] == {"batch": "b1"}
    assert [r["id"] for r in by_key] == [tagged.id]
    assert none == []
    assert "cannot filter assets by batch" in bare


def test_labels_travel_through_the_remote_store(bucket, workspace, monkeypatch):
    fastq = write_fastq(workspace / "r.fq", fastq_records())
    tagged = Reads.create_sync(fastq, sample_id="s1", labels={"donor": "d1"})
    monkeypatch.setenv("STARGAZER_HOME", str(workspace / "pod"))  # a fresh cache
    assert assemble(labels={"donor": "d1"}) == [tagged]
    assert Asset.load(tagged.id).labels == {"donor": "d1"}
