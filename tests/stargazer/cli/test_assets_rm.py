"""`stargazer assets rm`: prune a store, never orphaning descendants by accident."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from stargazer.cli.main import cli
from stargazer.store import open_store
from stargazer.types import Table


def _run(*args: str):
    return CliRunner().invoke(cli, ["assets", *args], catch_exceptions=False)


def _table(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text(f"key\tvalue\n{name}\t1\n")
    return path


def test_rm_refuses_a_parent_then_removes_with_descendants_and_gc_frees_bytes(workspace):
    parent = Table.create_sync(_table(workspace, "parent.tsv"))
    child = Table.create_sync(_table(workspace, "child.tsv"), parents=[parent])
    grandchild = Table.create_sync(_table(workspace, "grand.tsv"), parents=[child])
    other = Table.create_sync(_table(workspace, "other.tsv"))

    refused = _run("rm", parent.id)
    assert refused.exit_code == 1 and "--with-descendants" in refused.output
    assert child.id in refused.output
    assert len(_run("ls").output.splitlines()) == 4

    dry = _run("rm", parent.id, "--with-descendants", "--dry-run")
    assert dry.exit_code == 0
    assert {f"would remove {a.id}" for a in (parent, child, grandchild)} <= set(
        dry.output.splitlines()
    )
    assert len(_run("ls").output.splitlines()) == 4, "--dry-run removed something"

    done = _run("rm", parent.id, "--with-descendants")
    assert done.exit_code == 0, done.output
    assert _run("ls").output.split()[0] == other.id
    store = open_store().local
    objects = [store.object_path(a.files["primary"]) for a in (parent, child, grandchild)]
    assert all(path.exists() for path in objects), "rm leaves the bytes for gc"
    gc = _run("gc", "--delete")
    assert gc.exit_code == 0 and not any(path.exists() for path in objects)
    assert Table.load(other.id).path.read_text().startswith("key")
    assert _run("verify").exit_code == 0


def test_rm_of_a_leaf_and_of_an_unknown_id(workspace):
    leaf = Table.create_sync(_table(workspace, "leaf.tsv"))
    assert _run("rm", leaf.id).exit_code == 0
    assert _run("ls").output == ""
    unknown = _run("rm", leaf.id)
    assert unknown.exit_code == 1 and "no asset" in unknown.output
    assert _run("rm", "not-an-id").exit_code == 1
