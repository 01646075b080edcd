"""Store ingest benchmark: a 2 GiB file into the local store, against `sha256sum`.

In one run, on the same file (generated in a temp folder and deleted afterwards):

- `sha256sum FILE`: the floor for anything that reads and hashes every byte;
- `LocalStore.ingest` with hardlinks (the default when the store and the file share a file
  system) and with `STARGAZER_INGEST=copy`;
- `AnnData.create` end to end (anndata validation, ingest, manifest, index), hardlink mode;
- `Table.create` of many small files, alone and while another process runs gc on the same
  store again and again (0.1 s apart; gc takes the store lock only to delete, so adds should
  keep >= 0.8 of their pace), and, as a control, beside a busy loop that never touches the
  store (on 2 vCPUs a fully busy neighbour alone slows fsync-bound adds about threefold).

Each timing is the best of REPEATS after one warm-up read, so all of them read from the page
cache. Reported: throughput, the ratio against `sha256sum` (targets: <= 0.3 for the default
hardlink ingest, <= 1.2 for copy ingest), the extra disk the store used (target ~0 when
hardlinking) and adds per second with and without a concurrent gc loop (target ratio >= 0.8).

Writes benchmarks/results/store_ingest.json. Run with `.venv/bin/python benchmarks/store_ingest.py`.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "store_ingest.json"
GIB = 1024**3
REPEATS = 3


def make_h5ad(path: Path, size: int) -> None:
    """An uncompressed .h5ad whose dense matrix makes it about `size` bytes."""
    import anndata
    import numpy as np

    n_vars = 1024
    n_obs = size // (n_vars * 4)
    matrix = np.arange(n_obs * n_vars, dtype=np.float32).reshape(n_obs, n_vars)
    anndata.AnnData(X=matrix).write_h5ad(path)


def warm(path: Path) -> None:
    with open(path, "rb") as handle:
        while handle.read(16 * 1024 * 1024):
            pass


def best_of(run) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def disk_used(root: Path, exclude_inode: int) -> int:
    """Bytes allocated by files under `root`, not counting the user's own inode."""
    seen, total = set(), 0
    for path in root.rglob("*"):
        info = path.lstat()
        if path.is_file() and info.st_ino != exclude_inode and info.st_ino not in seen:
            seen.add(info.st_ino)
            total += info.st_blocks * 512
    return total


#: `gc` (list, then delete under the store lock) again and again, 0.1 s apart, in its own
#: process; it counts its rounds in a file so the run can show that gc really ran.
GC_LOOP = """
import sys, time
from pathlib import Path
from stargazer.store import LocalStore
store, counter, rounds = LocalStore(sys.argv[1]), Path(sys.argv[2]), 0
while True:
    store.collect(store.garbage())
    rounds += 1
    counter.write_text(str(rounds))
    time.sleep(0.1)
"""

#: The control: a process as busy as can be that never touches the store. On a 2-vCPU
#: machine any busy neighbour slows fsync-bound adds; this separates that from gc's locking.
BUSY_LOOP = "while True: pass"

SMALL_ADDS = 300


def adds_per_second(folder: Path, neighbour: str) -> tuple[float, int]:
    """Small `Table.create` calls per second into a fresh store, beside a neighbour process.

    Args:
        folder: Scratch folder for the inputs and the store.
        neighbour: "none", "gc" (GC_LOOP on the same store) or "busy" (BUSY_LOOP).

    Returns:
        Adds per second, and how many gc rounds ran meanwhile (0 unless "gc").
    """
    from stargazer.types import Table

    store_root = folder / f"store-adds-{neighbour}"
    shutil.rmtree(store_root, ignore_errors=True)
    os.environ["STARGAZER_HOME"] = str(store_root)
    inputs = folder / f"small-{neighbour}"
    inputs.mkdir(exist_ok=True)
    files = []
    for i in range(SMALL_ADDS):
        path = inputs / f"t{i}.tsv"
        path.write_text(f"key\tvalue\nrow\t{i}-{neighbour}\n")
        files.append(path)
    Table.create_sync(files[0])  # creates the store, warms imports
    counter = folder / f"gc-rounds-{neighbour}"
    loop = None
    if neighbour != "none":
        code = GC_LOOP if neighbour == "gc" else BUSY_LOOP
        env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
        args = [sys.executable, "-c", code, str(store_root), str(counter)]
        loop = subprocess.Popen(args, env=env)
        time.sleep(2.0)  # let it import and start looping
    started_rounds = int(counter.read_text()) if counter.exists() else 0
    started = time.perf_counter()
    for path in files[1:]:
        Table.create_sync(path)
    seconds = time.perf_counter() - started
    rounds = (int(counter.read_text()) if counter.exists() else 0) - started_rounds
    if loop is not None:
        loop.kill()
        loop.wait()
    return (len(files) - 1) / seconds, rounds


def main() -> dict:
    sys.path.insert(0, str(REPO / "src"))
    from stargazer.store import LocalStore
    from stargazer.types import AnnData

    folder = Path(tempfile.mkdtemp(prefix="stargazer-ingest-", dir=REPO / "benchmarks"))
    try:
        data = folder / "big.h5ad"
        make_h5ad(data, 2 * GIB)
        size = data.stat().st_size
        inode = data.stat().st_ino
        warm(data)

        def sha256sum() -> None:
            subprocess.run(["sha256sum", str(data)], check=True, capture_output=True)

        def ingest(mode: str) -> tuple[float, int]:
            def once() -> None:
                store_root = folder / f"store-{mode}"
                shutil.rmtree(store_root, ignore_errors=True)
                LocalStore(store_root, ingest_mode=mode).ingest(data)

            seconds = best_of(once)
            return seconds, disk_used(folder / f"store-{mode}", inode)

        def create() -> None:
            store_root = folder / "store-create"
            shutil.rmtree(store_root, ignore_errors=True)
            os.environ["STARGAZER_HOME"] = str(store_root)
            asyncio.run(AnnData.create(data, stage="raw"))

        sha = best_of(sha256sum)
        link_s, link_disk = ingest("auto")
        copy_s, copy_disk = ingest("copy")
        create_s = best_of(create)
        create_disk = disk_used(folder / "store-create", inode)
        alone, _ = adds_per_second(folder, "none")
        racing, gc_rounds = adds_per_second(folder, "gc")
        busy, _ = adds_per_second(folder, "busy")

        def row(seconds: float, extra: int) -> dict:
            return {
                "seconds": round(seconds, 3),
                "throughput_mib_s": round(size / seconds / 2**20, 1),
                "ratio_vs_sha256sum": round(seconds / sha, 3),
                "extra_disk_bytes": extra,
            }

        result = {
            "benchmark": "store_ingest",
            "file_bytes": size,
            "repeats": REPEATS,
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
            "sha256sum": {
                "seconds": round(sha, 3),
                "throughput_mib_s": round(size / sha / 2**20, 1),
            },
            "ingest_hardlink": row(link_s, link_disk),
            "ingest_copy": row(copy_s, copy_disk),
            "create_anndata_hardlink": row(create_s, create_disk),
            "small_adds": {
                "files": SMALL_ADDS - 1,
                "adds_per_second_alone": round(alone, 1),
                "adds_per_second_while_gc_loops": round(racing, 1),
                "gc_rounds_during_the_adds": gc_rounds,
                "ratio": round(racing / alone, 3),
                "control_adds_per_second_beside_a_busy_loop": round(busy, 1),
                "control_ratio": round(busy / alone, 3),
            },
            "targets": {
                "hardlink_ratio_vs_sha256sum": 0.3,
                "copy_ratio_vs_sha256sum": 1.2,
                "extra_disk_bytes_when_hardlinking": 0,
                "adds_while_gc_ratio": 0.8,
            },
            "met": {
                "hardlink_ratio": link_s / sha <= 0.3,
                "copy_ratio": copy_s / sha <= 1.2,
                "extra_disk_small": link_disk < 1024 * 1024 and create_disk < 1024 * 1024,
                "adds_while_gc": racing / alone >= 0.8,
            },
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
