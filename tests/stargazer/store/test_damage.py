"""A damaged store says what is wrong, keeps what it cannot read, and repairs.

Damaged manifests, a damaged/missing index, a read-only store, symlinks out of the store,
flipped bytes, and file permissions: each made to happen on real files.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from stargazer.cli.main import cli
from stargazer.errors import DamagedStoreError
from stargazer.store import open_store
from stargazer.types import Asset, Table


def _run(*args: str):
    return CliRunner().invoke(cli, ["assets", *args], catch_exceptions=False)


def _table(folder: Path, name: str, text: str = "") -> Path:
    path = folder / name
    path.write_text(f"key\tvalue\n{name}\t{text or name}\n")
    return path


def _two_tables(workspace: Path) -> tuple[Asset, Asset]:
    return (
        Table.create_sync(_table(workspace, "a.tsv"), sample_id="a"),
        Table.create_sync(_table(workspace, "b.tsv"), sample_id="b"),
    )


@pytest.mark.parametrize(
    "damage",
    [lambda text: text[: len(text) // 2], lambda text: text.replace('"schema":1', '"schema":2')],
    ids=["truncated", "schema-2"],
)
def test_unreadable_manifest_is_kept_reported_and_never_collected(workspace, damage):
    a, b = _two_tables(workspace)
    manifest = open_store().local.manifest_path(a.id)
    os.chmod(manifest, 0o644)
    manifest.write_text(damage(manifest.read_text()))
    object_a = open_store().local.object_path(a.files["primary"])

    listed = _run("ls")
    assert listed.exit_code == 0
    assert b.id in listed.output, "one damaged manifest must not hide the others"
    assert str(manifest) in listed.output  # the warning names the file

    gc = _run("gc", "--delete")
    assert gc.exit_code == 0
    assert str(manifest) in gc.output and "no object is deleted" in gc.output
    assert object_a.exists(), "gc deleted the object of an asset whose manifest it could not read"
    verify = _run("verify")
    assert verify.exit_code == 1 and str(manifest) in verify.output
    assert "gc --delete" not in verify.output, "verify must not advise a command that destroys data"


@pytest.mark.parametrize(
    "damage", [b"this is not sqlite at all" * 100, None], ids=["garbage", "truncated"]
)
def test_damaged_index_is_rebuilt_with_one_line(workspace, damage):
    a, b = _two_tables(workspace)
    index = workspace / ".stargazer" / "index.sqlite"
    for suffix in ("-wal", "-shm"):
        Path(f"{index}{suffix}").unlink(missing_ok=True)
    data = index.read_bytes()
    index.write_bytes(damage if damage is not None else data[:700])

    listed = _run("ls")
    assert listed.exit_code == 0, listed.output
    assert a.id in listed.output and b.id in listed.output
    assert "rebuilt the index" in listed.output
    c = _run("add", str(_table(workspace, "c.tsv")), "--type", "table")
    assert c.exit_code == 0, c.output
    assert _run("reindex").exit_code == 0
    assert len(_run("ls").output.strip().splitlines()) == 3


def test_deleted_index_still_lists_everything(workspace):
    a, b = _two_tables(workspace)
    (workspace / ".stargazer" / "index.sqlite").unlink()
    listed = _run("ls")
    assert a.id in listed.output and b.id in listed.output
    assert "index.sqlite is missing" in listed.output


READ_ONLY = """
import sys
from click.testing import CliRunner
from stargazer.cli.main import cli

for args in (["ls"], ["show", sys.argv[1]], ["export", sys.argv[1], sys.argv[2]], ["reindex"]):
    result = CliRunner().invoke(cli, ["assets", *args])
    print("EXIT", args[0], result.exit_code)
    print(result.output)
"""


def test_read_only_store_serves_ls_show_and_export(workspace, subprocess_env):
    """The store is bind-mounted read-only (in a private mount namespace), as a volume."""
    a, _ = _two_tables(workspace)
    (workspace / ".stargazer" / "index.sqlite").unlink()  # it cannot be rebuilt either
    store, out = workspace / ".stargazer", workspace / "out"
    script = (
        f"mount --bind {store} {store} && mount -o remount,ro,bind {store} && "
        f'exec {sys.executable} -c "$0" {a.id} {out}'
    )
    result = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, READ_ONLY],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "EXIT ls 0" in text and a.id in text
    assert "EXIT show 0" in text and "EXIT export 0" in text
    assert (out / "a.tsv").read_bytes() == (workspace / "a.tsv").read_bytes()
    assert "EXIT reindex 1" in text and "read-only" in text.lower()


def test_symlinked_store_folders_are_never_followed_by_gc(workspace):
    Table.create_sync(_table(workspace, "keep.tsv"))
    store = open_store().local
    outside = workspace / "precious"
    outside.mkdir()
    (outside / "thesis.tex").write_text("years of work")
    for folder in (store.tmp, store.views, next(store.objects.iterdir())):
        moved = folder.with_name(folder.name + ".real")
        if folder.exists():
            folder.rename(moved)
        folder.symlink_to(outside)
        gc = _run("gc", "--delete")
        assert gc.exit_code == 1 and "symlink" in gc.output and str(folder) in gc.output
        assert (outside / "thesis.tex").read_text() == "years of work"
        folder.unlink()
        if moved.exists():
            moved.rename(folder)
    assert _run("gc", "--delete").exit_code == 0


def test_export_never_follows_a_dangling_symlink_out_of_its_destination(workspace):
    a = Table.create_sync(_table(workspace, "a.tsv"))
    dest, outside = workspace / "dest", workspace / "outside.txt"
    dest.mkdir()
    (dest / "a.tsv").symlink_to(outside)  # dangling
    result = _run("export", a.id, str(dest))
    assert result.exit_code == 1 and "already exist" in result.output
    assert not outside.exists()


def _flip_byte(path: Path) -> None:
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[3] ^= 0x01
    path.write_bytes(bytes(data))


def test_corrupted_object_is_refused_on_the_way_out_and_re_adding_repairs_it(
    workspace, monkeypatch
):
    monkeypatch.setenv("STARGAZER_INGEST", "copy")
    source = _table(workspace, "a.tsv")
    a = Table.create_sync(source)
    store = open_store().local
    _flip_byte(store.object_path(a.files["primary"]))

    dest = workspace / "dest"
    result = _run("export", a.id, str(dest))
    assert result.exit_code == 1 and "corrupted" in result.output
    assert not dest.exists() or list(dest.iterdir()) == []
    with pytest.raises(DamagedStoreError, match="Re-add the original file"):
        Asset.load(a.id).path  # noqa: B018 - fetching is the point

    again = _run("add", str(source), "--type", "table")
    assert again.exit_code == 0 and again.output.strip() == a.id
    assert _run("verify").exit_code == 0
    assert _run("export", a.id, str(dest)).exit_code == 0
    assert (dest / "a.tsv").read_bytes() == source.read_bytes()


def test_appending_to_a_view_file_is_caught_before_anyone_reads_it(workspace):
    source = _table(workspace, "a.tsv")
    pristine = source.read_bytes()
    a = Table.create_sync(source)
    view = Asset.load(a.id).path
    assert stat.S_IMODE(view.parent.stat().st_mode) == 0o555, "views are read-only folders"
    with open(view, "ab") as handle:  # root may write anyway; the store must notice
        handle.write(b"extra\tline\n")
    with pytest.raises(DamagedStoreError, match="corrupted"):
        Asset.load(a.id).path  # noqa: B018
    fresh = workspace / "fresh"
    fresh.mkdir()
    (fresh / "a.tsv").write_bytes(pristine)
    assert Table.create_sync(fresh / "a.tsv").id == a.id
    assert Asset.load(a.id).path.read_bytes() == pristine


def test_copy_ingest_keeps_private_files_private(workspace, monkeypatch):
    monkeypatch.setenv("STARGAZER_INGEST", "copy")
    monkeypatch.setenv("STARGAZER_HOME", str(workspace / "fresh-store"))
    source = _table(workspace, "secret.tsv")
    os.chmod(source, 0o600)
    a = Table.create_sync(source)
    store = open_store().local
    assert stat.S_IMODE(store.root.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.object_path(a.files["primary"]).stat().st_mode) == 0o400
    dest = workspace / "dest"
    assert _run("export", a.id, str(dest)).exit_code == 0
    assert stat.S_IMODE((dest / "secret.tsv").stat().st_mode) & 0o077 == 0, "export widened it"
