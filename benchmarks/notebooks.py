"""Notebook benchmarks: server start-up, tutorials end to end, workflow notebooks on a warm cache.

- `stargazer note` (edit and run mode) from launch to the first HTTP 200 on `/`, against plain
  `marimo edit` in the same run (target: <= 5 s with a warm venv);
- every tutorial run end to end as a script in a fresh workspace (cold cache);
- every workflow notebook run twice as a script in one workspace: the second run's task time
  (the summed durations of the task runs it recorded in Flyte's local run history) should be
  <= 2 s, because every task is a cache hit.

Writes benchmarks/results/notebooks.json. Run with `.venv/bin/python benchmarks/notebooks.py`.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
RESULTS = REPO / "benchmarks" / "results" / "notebooks.json"
BIN = Path(sys.executable).parent
REPEATS = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def workspace() -> tuple[Path, dict[str, str]]:
    """A scratch folder with the repo's Flyte config and its own asset store."""
    folder = Path(tempfile.mkdtemp(prefix="stargazer-bench-"))
    (folder / ".flyte").mkdir()
    shutil.copy(REPO / ".flyte" / "config.yaml", folder / ".flyte" / "config.yaml")
    env = dict(os.environ, STARGAZER_HOME=str(folder / ".stargazer"))
    env.pop("STARGAZER_STORE", None)
    return folder, env


def seconds_to_first_200(command: list[str], port: int, cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"{command} exited with {process.returncode}") from None
                time.sleep(0.05)
    finally:
        process.terminate()
        process.wait(timeout=30)


def startup() -> dict[str, dict[str, float]]:
    folder, env = workspace()
    commands = {
        "stargazer note (edit)": lambda port: [
            str(BIN / "stargazer"),
            "note",
            str(NOTEBOOKS),
            "--port",
            str(port),
            "--no-token",
        ],
        "stargazer note --mode run": lambda port: [
            str(BIN / "stargazer"),
            "note",
            str(NOTEBOOKS),
            "--mode",
            "run",
            "--port",
            str(port),
            "--no-token",
        ],
        "plain marimo edit": lambda port: [
            str(BIN / "marimo"),
            "edit",
            str(NOTEBOOKS),
            "--headless",
            "--port",
            str(port),
            "--no-token",
            "--skip-update-check",
        ],
    }
    # Interleaved (edit, run, plain, edit, ...) so that load from other processes hits each
    # command alike.
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(REPEATS):
        for name, command in commands.items():
            port = free_port()
            times[name].append(round(seconds_to_first_200(command(port), port, folder, env), 3))
    results = {}
    for name, runs in times.items():
        results[name] = {"median_s": round(statistics.median(runs), 3), "runs_s": runs}
        print(f"{name}: first HTTP 200 after {results[name]['median_s']:.2f} s (median)")
    base = results["plain marimo edit"]["median_s"]
    for name in results:
        results[name]["ratio_to_marimo"] = round(results[name]["median_s"] / base, 3)
    return results


def run_script(notebook: Path, cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(notebook)], cwd=cwd, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"{notebook} failed:\n{result.stderr[-3000:]}")
    return time.perf_counter() - started


def task_seconds_since(database: Path, since: float) -> tuple[float, int, int]:
    """Task time, task actions and cache hits recorded after `since` (epoch seconds).

    Each run has a root row (`action_name` "a0") whose duration covers all its actions, so the
    task time is the sum over root rows; actions are the other rows.
    """
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT action_name, end_time - start_time, cache_hit FROM runs "
            "WHERE start_time >= ? AND end_time IS NOT NULL",
            (since,),
        ).fetchall()
    task_time = sum(duration for action, duration, _ in rows if action == "a0")
    actions = [hit for action, _, hit in rows if action != "a0"]
    return task_time, len(actions), sum(1 for hit in actions if hit)


def tutorials() -> dict[str, float]:
    results = {}
    for notebook in sorted((NOTEBOOKS / "tutorials").glob("*.py")):
        folder, env = workspace()
        results[notebook.name] = round(run_script(notebook, folder, env), 3)
        print(f"tutorial {notebook.name}: {results[notebook.name]:.2f} s as a script (cold)")
    return results


def workflows() -> dict[str, dict[str, float]]:
    results = {}
    for notebook in sorted((NOTEBOOKS / "workflows").glob("*.py")):
        folder, env = workspace()
        first = run_script(notebook, folder, env)
        since = time.time()
        second = run_script(notebook, folder, env)
        task_time, task_runs, hits = task_seconds_since(
            folder / ".flyte" / "local-cache" / "cache.db", since
        )
        results[notebook.name] = {
            "first_run_s": round(first, 3),
            "second_run_s": round(second, 3),
            "second_run_task_s": round(task_time, 3),
            "second_run_task_actions": task_runs,
            "second_run_cache_hits": hits,
        }
        print(
            f"workflow {notebook.name}: {first:.2f} s cold, {second:.2f} s warm "
            f"({task_time:.2f} s of task time, {hits}/{task_runs} actions were cache hits)"
        )
    return results


def main() -> None:
    result = {
        "targets": {"startup_s": 5.0, "warm_workflow_task_s": 2.0},
        "cpu_count": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "startup": startup(),
        "tutorials_cold_s": tutorials(),
        "workflows": workflows(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
