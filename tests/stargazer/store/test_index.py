from __future__ import annotations

from stargazer.store.index import Index


def _manifest(number: int, **metadata) -> dict:
    return {
        "id": f"table-{number:040x}",
        "kind": "table",
        "created_at": f"2026-01-01T00:00:{number:02d}",
        "metadata": metadata,
        "parents": [f"reads-{0:040x}"] if number % 2 else [],
        "tool": "t",
        "tool_version": "1",
    }


def test_query_any_of_booleans_and_parents(tmp_path):
    index = Index(tmp_path / "index.sqlite")
    index.add([_manifest(i, sample_id=f"s{i}", ok=i % 2 == 0, n=i) for i in range(5)])
    ids = lambda rows: [r["id"][-1] for r in rows]  # noqa: E731
    assert ids(index.query("table", {"sample_id": ["s1", "s3", "zz"]})) == ["1", "3"]
    assert ids(index.query(None, {"ok": ["true"], "n": ["2", "4"]})) == ["2", "4"]
    assert ids(index.query("table", {"parent": [f"reads-{0:040x}"]})) == ["1", "3"]
    assert index.query("reads") == []


def test_rebuild_replaces_everything(tmp_path):
    index = Index(tmp_path / "index.sqlite")
    index.add([_manifest(1, sample_id="a"), _manifest(2, sample_id="b")])
    index.add([_manifest(3, sample_id="c")], replace_all=True)
    assert [r["metadata"]["sample_id"] for r in index.query()] == ["c"]
    index.add([_manifest(3, sample_id="d")])
    assert index.query(None, {"sample_id": ["c"]}) == []
    assert len(index.ids()) == 1
