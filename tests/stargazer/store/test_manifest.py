from __future__ import annotations

import asyncio
import json
import os

import pytest

from stargazer.errors import InvalidAssetError
from stargazer.store import open_store
from stargazer.store.manifest import asset_id, atomic_write, check_manifest, safe_name
from stargazer.types import Asset, Table


def _made(workspace):
    (workspace / "t.tsv").write_text("a\tb\n1\t2\n")
    table = asyncio.run(Table.create(workspace / "t.tsv", sample_id="s1"))
    path = open_store().local.manifest_path(table.id)
    return table, path, json.loads(path.read_text())


def test_manifest_is_read_only_json_with_a_content_id(workspace):
    table, path, document = _made(workspace)
    assert document["id"] == table.id == asset_id("table", document)
    assert document["metadata"] == {"format": "tsv", "name": "t", "sample_id": "s1"}
    assert "created_at" in document and "created_at" not in table.__dict__
    assert path.stat().st_mode & 0o222 == 0
    assert [p.name for p in path.parent.iterdir()] == [path.name], "no temp files left"


@pytest.mark.parametrize("bad", ["../../evil.tsv", "/etc/passwd", "a/b", "..", "x\0y", ""])
def test_tampered_names_are_refused_before_use(workspace, bad):
    _, path, document = _made(workspace)
    document["names"]["primary"] = bad
    document["id"] = asset_id("table", document)
    forged = path.with_name(f"{document['id']}.json")
    forged.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="not a valid Stargazer manifest"):
        Asset.load(document["id"])
    count, problems = open_store().reindex()
    assert count == 1 and len(problems) == 1 and forged.name in problems[0]
    assert any(forged.name in p for p in open_store().verify())
    assert not (workspace / "evil.tsv").exists()


def test_edited_metadata_no_longer_matches_the_id(workspace):
    _, path, document = _made(workspace)
    document["metadata"]["sample_id"] = "someone_else"
    os.chmod(path, 0o644)
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="id does not match the content"):
        check_manifest(document)
    assert any("id does not match" in p for p in open_store().verify())


def test_safe_name():
    assert safe_name("s1_R1.fastq.gz") == "s1_R1.fastq.gz"
    for bad in ("..", ".", "a/b", "a\\b", "a\nb", "x" * 256):
        with pytest.raises(InvalidAssetError, match="not allowed"):
            safe_name(bad)


def test_atomic_write_replaces_whole_files(tmp_path):
    target = tmp_path / "m.json"
    atomic_write(target, b"one")
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]
