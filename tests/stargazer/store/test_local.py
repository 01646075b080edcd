"""The local store: ingest, verify, reindex, gc, and what survives crashes and concurrency."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from stargazer.errors import StoreWarning
from stargazer.store import open_store
from stargazer.testing import fastq_records, write_bam, write_fastq
from stargazer.types import Alignment, Asset, Reads, Table, assemble


def _table(folder: Path, name: str, rows: int = 3) -> Path:
    path = folder / name
    path.write_text("key\tvalue\n" + "".join(f"k{i}\t{name}\n" for i in range(rows)))
    return path


def test_ingest_hardlinks_on_the_same_file_system(workspace):
    source = _table(workspace, "a.tsv")
    table = asyncio.run(Table.create(source))
    stored = open_store().local.object_path(table.files["primary"])
    assert stored.stat().st_ino == source.stat().st_ino, "expected a hardlink (no extra disk)"
    assert table.path.stat().st_ino == source.stat().st_ino


def test_copy_mode_owns_its_bytes(workspace, monkeypatch):
    monkeypatch.setenv("STARGAZER_INGEST", "copy")
    monkeypatch.setenv("STARGAZER_HOME", str(workspace / "copystore"))
    source = _table(workspace, "a.tsv")
    table = asyncio.run(Table.create(source))
    stored = open_store().local.object_path(table.files["primary"])
    assert stored.stat().st_ino != source.stat().st_ino
    assert stored.read_bytes() == source.read_bytes()
    assert not os.access(stored, os.W_OK) or os.geteuid() == 0
    assert stored.stat().st_mode & 0o222 == 0, "stored objects are read-only"


def test_flipped_byte_is_named_by_verify(workspace, monkeypatch):
    monkeypatch.setenv("STARGAZER_INGEST", "copy")
    table = asyncio.run(Table.create(_table(workspace, "a.tsv")))
    store = open_store()
    assert store.verify() == []
    stored = store.local.object_path(table.files["primary"])
    os.chmod(stored, 0o644)
    data = bytearray(stored.read_bytes())
    data[5] ^= 0x01
    stored.write_bytes(bytes(data))
    problems = store.verify()
    assert len(problems) == 1
    assert str(stored) in problems[0] and "corrupted" in problems[0]


def test_reindex_after_deleting_the_index_restores_everything(workspace):
    made = [
        asyncio.run(Table.create(_table(workspace, f"t{i}.tsv"), sample_id=f"s{i}"))
        for i in range(3)
    ]
    fastq = write_fastq(workspace / "r.fq", fastq_records())
    made.append(asyncio.run(Reads.create(fastq, sample_id="s0", platform="ONT")))
    made.append(
        asyncio.run(
            Alignment.create(
                write_bam(workspace / "x.bam"),
                sorted=True,
                duplicates_marked=True,
                parents=[made[-1]],
            )
        )
    )
    before = {kind: assemble(kind=kind) for kind in ("table", "reads", "alignment")}
    (workspace / ".stargazer" / "index.sqlite").unlink()
    for suffix in ("-wal", "-shm"):
        (workspace / ".stargazer" / f"index.sqlite{suffix}").unlink(missing_ok=True)
    with pytest.warns(StoreWarning, match="index.sqlite is missing: rebuilt the index"):
        assert {kind: assemble(kind=kind) for kind in before} == before
    count, problems = open_store().reindex()
    assert (count, problems) == (5, [])
    assert {kind: assemble(kind=kind) for kind in before} == before
    assert assemble(kind="reads", platform="ONT") == [made[3]]
    assert assemble(kind="alignment", duplicates_marked=True, sorted=True) == [made[4]]
    assert assemble(sample_id=["s1", "s2"]) == made[1:3]


def test_gc_drops_only_unreferenced_objects(workspace):
    kept = asyncio.run(Table.create(_table(workspace, "keep.tsv")))
    store = open_store()
    stray = store.local.ingest(_table(workspace, "stray.tsv"))
    garbage = store.local.garbage()
    assert garbage == [store.local.object_path(stray.digest)]
    assert store.local.object_path(stray.digest).exists(), "listing must not delete"
    store.local.collect(garbage)
    assert not store.local.object_path(stray.digest).exists()
    assert Asset.load(kept.id).path.read_text().startswith("key\tvalue")
    assert store.verify() == [] and store.local.garbage() == []


def _growing(path: Path) -> bool:
    """A staged file with bytes in it (it may vanish between listing and stat)."""
    try:
        return path.is_file() and path.stat().st_size > 0
    except FileNotFoundError:
        return False


KILL_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import anndata
    data = anndata.AnnData(X=np.ones((int(sys.argv[2]), 1024), dtype="float32"))
    data.write_h5ad(sys.argv[1])
    """
)


@pytest.mark.timeout(120)
def test_kill_9_mid_ingest_leaves_no_visible_asset(workspace, subprocess_env):
    big = workspace / "big.h5ad"
    subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(big), "40000"], check=True)
    assert big.stat().st_size > 150 * 1024 * 1024
    env = dict(subprocess_env, STARGAZER_INGEST="copy")  # copying takes time; a link would not
    stargazer = Path(sys.executable).with_name("stargazer")
    process = subprocess.Popen(
        [str(stargazer), "assets", "add", str(big), "--type", "anndata"],
        env=env,
        cwd=workspace,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    staging = workspace / ".stargazer" / "tmp"
    deadline = time.monotonic() + 60
    killed_mid_copy = False
    while time.monotonic() < deadline and process.poll() is None:
        if any(_growing(p) for p in staging.glob("*/*")):
            os.kill(process.pid, signal.SIGKILL)
            killed_mid_copy = True
            break
        time.sleep(0.002)
    process.wait(timeout=30)
    assert killed_mid_copy, f"the ingest finished before it could be killed: {process.stderr}"
    assert process.returncode == -signal.SIGKILL
    store = open_store()
    assert assemble() == []
    assert list((workspace / ".stargazer" / "manifests").glob("*.json")) == []
    assert list(store.local.iter_objects()) == []
    assert store.verify() == []
    leftovers = store.local.garbage()
    assert leftovers and all(p.parent == staging for p in leftovers)
    store.local.collect(leftovers)
    assert list(staging.iterdir()) == []
    big.unlink()


CONCURRENT_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from stargazer.types import Table

    worker, folder = sys.argv[1], Path(sys.argv[2])
    shared = folder / "shared.tsv"
    for i in range(50):
        path = folder / f"w{worker}_{i}.tsv"
        path.write_text(f"worker\\tindex\\n{worker}\\t{i}\\n")
        Table.create_sync(path, sample_id=f"w{worker}")
        if i % 10 == 0:
            Table.create_sync(shared, name="shared")
    print("done", worker)
    """
)


@pytest.mark.timeout(120)
def test_four_processes_fifty_adds_each(workspace, subprocess_env):
    (workspace / "in").mkdir()
    (workspace / "in" / "shared.tsv").write_text("same\tbytes\n1\t2\n")
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT_SCRIPT, str(w), str(workspace / "in")],
            env=subprocess_env,
            cwd=workspace,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(4)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=110)
        assert worker.returncode == 0, err
    tables = assemble(kind="table")
    assert len(tables) == 201  # 200 distinct adds + one shared asset added 20 times
    for w in range(4):
        assert len(assemble(kind="table", sample_id=f"w{w}")) == 50
    manifests = list((workspace / ".stargazer" / "manifests").glob("*.json"))
    assert len(manifests) == 201
    store = open_store()
    assert store.verify() == []
    assert store.local.garbage() == []


def test_default_root_is_the_workspace_root(tmp_path, monkeypatch):
    from stargazer.store import default_root

    (tmp_path / "pyproject.toml").write_text("")
    nested = tmp_path / "notebooks" / "scratch"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    monkeypatch.delenv("STARGAZER_HOME", raising=False)
    assert default_root() == tmp_path.resolve() / ".stargazer"
    monkeypatch.setenv("STARGAZER_HOME", str(tmp_path / "elsewhere"))
    assert default_root() == (tmp_path / "elsewhere").resolve()


def test_concurrent_fetches_never_pull_a_view_from_under_a_reader(workspace):
    import shutil
    import threading

    table = asyncio.run(Table.create(_table(workspace, "shared.tsv")))
    local = open_store().local
    expected = (workspace / "shared.tsv").read_bytes()
    failures: list[BaseException] = []

    def fetch_and_read(barrier: threading.Barrier) -> None:
        barrier.wait()
        try:
            folder = local.materialise(table.id, table.files, table.names)
            for _ in range(50):
                assert (folder / table.names["primary"]).read_bytes() == expected
        except BaseException as err:  # collected and reported by the test thread
            failures.append(err)

    for _ in range(20):
        shutil.rmtree(local.view_dir(table.id), ignore_errors=True)
        barrier = threading.Barrier(6)
        threads = [threading.Thread(target=fetch_and_read, args=(barrier,)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not failures, f"{len(failures)} readers lost their view: {failures[0]!r}"
