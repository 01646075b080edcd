"""Real processes racing on one store: add against gc, add against reindex, staging vs gc.

Each race runs for a bounded time (seconds) with every party in its own process, as two
terminals or two containers sharing one store volume would.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from stargazer.store import open_store
from stargazer.types import Asset

ADDER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from stargazer.types import Table

    name, folder, seconds = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])
    shared = folder / "shared.tsv"
    deadline, i = time.monotonic() + seconds, 0
    while time.monotonic() < deadline:
        path = folder / f"{name}_{i}.tsv"
        path.write_text(f"adder\\tindex\\n{name}\\t{i}\\n")
        made = Table.create_sync(path, sample_id=name).id
        print(json.dumps([made, str(path), time.monotonic()]), flush=True)
        if i % 5 == 0:  # the same bytes again and again: an object gc may see as garbage
            made = Table.create_sync(shared, name="shared").id
            print(json.dumps([made, str(shared), time.monotonic()]), flush=True)
        i += 1
    """
)

LOOPER = textwrap.dedent(
    """
    import json, sys, time
    from stargazer.store import open_store

    what, seconds = sys.argv[1], float(sys.argv[2])
    local = open_store().local
    deadline, rounds = time.monotonic() + seconds, 0
    while time.monotonic() < deadline:
        if what == "gc":
            local.collect(local.garbage())
        else:
            local.reindex()
            # every add finished before now must be in the raw index now
            now = time.monotonic()
            print(json.dumps([now, sorted(local.index.ids())]), flush=True)
        rounds += 1
    print(rounds)
    """
)


def _race(workspace: Path, env: dict[str, str], other: str, seconds: float = 4.0):
    """Two adders racing a `gc` or `reindex` loop.

    Returns:
        What the adders reported saved ([id, source, time]) and the loop's other output lines.
    """
    folder = workspace / "in"
    folder.mkdir()
    (folder / "shared.tsv").write_text("same\tbytes\n1\t2\n")
    loop = subprocess.Popen(
        [sys.executable, "-c", LOOPER, other, str(seconds)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    adders = [
        subprocess.Popen(
            [sys.executable, "-c", ADDER, f"a{n}", str(folder), str(seconds)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    saved = []
    for adder in adders:
        out, err = adder.communicate(timeout=120)
        assert adder.returncode == 0, err
        saved += [json.loads(line) for line in out.splitlines()]
    out, err = loop.communicate(timeout=120)
    assert loop.returncode == 0, err
    *lines, rounds = out.splitlines()
    assert int(rounds) > 3, f"the {other} loop ran only {rounds} rounds: no race happened"
    return saved, [json.loads(line) for line in lines]


@pytest.mark.timeout(180)
def test_gc_racing_adds_never_deletes_what_add_reported_saved(workspace, subprocess_env):
    saved, _ = _race(workspace, subprocess_env, "gc")
    assert len(saved) > 20
    store = open_store()
    lost = [
        asset
        for asset, _, _ in saved
        if not store.local.has_object(Asset.load(asset).files["primary"])
    ]
    assert lost == [], f"{len(lost)} of {len(saved)} saved assets lost their bytes"
    for asset, source, _ in saved:
        assert Asset.load(asset).path.read_bytes() == Path(source).read_bytes()
    assert store.verify() == []


@pytest.mark.timeout(180)
def test_reindex_racing_adds_never_drops_index_rows(workspace, subprocess_env):
    from stargazer.types import Table

    earlier = workspace / "earlier"
    earlier.mkdir()
    for i in range(150):  # a store with history: reindex takes a while to read it
        (earlier / f"e{i}.tsv").write_text(f"earlier\t{i}\n")
        Table.create_sync(earlier / f"e{i}.tsv")
    saved, checks = _race(workspace, subprocess_env, "reindex")
    dropped = {
        asset
        for checked_at, indexed in checks
        for asset, _, saved_at in saved
        if saved_at < checked_at and asset not in set(indexed)
    }
    assert dropped == set(), f"{len(dropped)} registered assets went missing from the index"


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from stargazer.store import open_store

    with open_store().local.workdir() as folder:
        (folder / "part.bam").write_bytes(b"x" * 1000)
        print(folder, flush=True)
        Path(sys.argv[1]).touch()
        while not Path(sys.argv[2]).exists():
            time.sleep(0.05)
        print((folder / "part.bam").read_bytes() == b"x" * 1000, flush=True)
    """
)


@pytest.mark.timeout(120)
def test_gc_from_another_pid_namespace_keeps_live_staging(workspace, subprocess_env):
    """A store volume shared by two containers: gc there cannot see this process's PID."""
    ready, done = workspace / "ready", workspace / "done"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(ready), str(done)],
        env=subprocess_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    stargazer = str(Path(sys.executable).with_name("stargazer"))
    other_namespace = ["unshare", "--user", "--map-root-user", "--pid", "--fork"]
    gc = subprocess.run(
        [*other_namespace, stargazer, "assets", "gc", "--delete"],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert gc.returncode == 0, gc.stderr
    done.touch()
    out, err = holder.communicate(timeout=60)
    assert holder.returncode == 0, err
    assert out.split()[-1] == "True", "gc deleted a live process's staging folder"
    # once the holder is gone, its (removed) folder leaves nothing for gc to find
    assert open_store().local.garbage() == []
