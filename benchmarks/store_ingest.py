"""Store ingest benchmark: a 2 GiB file into the local store, against `sha256sum`.

In one run, on the same file (generated in a temp folder and deleted afterwards):

- `sha256sum FILE`: the floor for anything that reads and hashes every byte;
- `LocalStore.ingest` with hardlinks (the default when the store and the file share a file
  system) and with `STARGAZER_INGEST=copy`;
- `AnnData.create` end to end (anndata validation, ingest, manifest, index), hardlink mode;
- `Table.create` of many small files, alone and while `stargazer assets gc --delete` runs back
  to back in another process (gc takes the store lock only to delete, so adds should keep
  >= 0.8 of their pace).

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


GC_LOOP = """
import os, subprocess, sys, time
stop, rounds = time.monotonic() + float(sys.argv[2]), 0
stargazer = os.path.join(os.path.dirname(sys.executable), "stargazer")
while time.monotonic() < stop:  # `stargazer assets gc --delete` back to back, as a user would
    subprocess.run([stargazer, "assets", "gc", "--delete"], check=True, capture_output=True,
                   env=dict(os.environ, STARGAZER_HOME=sys.argv[1]))
    rounds += 1
print(rounds)
"""

SMALL_ADDS = 300


def adds_per_second(folder: Path, with_gc: bool) -> tuple[float, int]:
    """Small `Table.create` calls per second into a fresh store, optionally racing gc."""
    from stargazer.types import Table

    store_root = folder / f"store-adds-{with_gc}"
    shutil.rmtree(store_root, ignore_errors=True)
    os.environ["STARGAZER_HOME"] = str(store_root)
    inputs = folder / f"small-{with_gc}"
    inputs.mkdir(exist_ok=True)
    files = []
    for i in range(SMALL_ADDS):
        path = inputs / f"t{i}.tsv"
        path.write_text(f"key\tvalue\nrow\t{i}-{with_gc}\n")
        files.append(path)
    Table.create_sync(files[0])  # creates the store, warms imports
    loop = None
    if with_gc:
        env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
        loop = subprocess.Popen(
            [sys.executable, "-c", GC_LOOP, str(store_root), "600"],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(2.0)  # let it import and start looping
    started = time.perf_counter()
    for path in files[1:]:
        Table.create_sync(path)
    seconds = time.perf_counter() - started
    rounds = 0
    if loop is not None:
        loop.terminate()
        loop.wait()
        rounds = -1  # terminated: rounds are not reported
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
        alone, _ = adds_per_second(folder, with_gc=False)
        racing, _ = adds_per_second(folder, with_gc=True)

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
                "ratio": round(racing / alone, 3),
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
