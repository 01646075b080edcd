"""`stargazer cache ls | clear | explain` on a real cache written by real task runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.stargazer.caching.project import calls, run_task, write_project


def _stargazer(workspace, env, *args: str) -> str:
    paths = [str(workspace), env.get("PYTHONPATH", "")]
    env = {**env, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    result = subprocess.run(
        [str(Path(sys.executable).with_name("stargazer")), *args],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_explain_shows_the_parts_of_the_key_and_whether_it_hits(workspace, subprocess_env):
    write_project(workspace)
    output, _ = run_task(workspace, subprocess_env, "gatk_step")
    from stargazer.types import assemble

    (table,) = assemble(kind="table", name="input")
    args = ("cache", "explain", "cachedemo.tasks:gatk_step", "-i", f"table={table.id}")
    text = _stargazer(workspace, subprocess_env, *args, "-i", "threads=16")
    lines = text.splitlines()
    assert lines[0].startswith("task      gatk_env.gatk_step")
    store_id = (workspace / ".stargazer" / "store-id").read_text().strip()
    assert f"scope     store:{store_id}" in text
    for module in ("cachedemo.helpers", "cachedemo.tasks", "otherpkg.util", "stargazer.config"):
        assert any(line.split()[-2:-1] == [module] for line in lines), module
    assert any(line.split() == ["pysam", "0.24.1"] for line in lines)
    assert f"input     table = {table.id}  (in the key)" in text
    assert "input     threads = 16  (ignored: cannot change outputs)" in text
    assert lines[-1] == "cache     hit: a result with every output asset present"

    listed = _stargazer(workspace, subprocess_env, "cache", "ls")
    assert listed.split("\t")[0] == "gatk_env.gatk_step" and listed.strip().endswith("ok")

    # the output's objects are gone: explain says the call would run again
    shutil.rmtree(workspace / ".stargazer" / "views")
    (derived,) = [a for a in assemble(kind="table") if a.id == output]
    for digest in derived.files.values():
        hexdigest = digest.split(":", 1)[1]
        path = workspace / ".stargazer" / "objects" / "sha256" / hexdigest[:2] / hexdigest[2:]
        path.chmod(0o644)
        path.unlink()
    text = _stargazer(workspace, subprocess_env, *args)
    assert text.splitlines()[-1].startswith("cache     miss: stale: 1 output(s) gone")
    assert "stale" in _stargazer(workspace, subprocess_env, "cache", "ls")

    assert "cleared 1 cached result(s) of gatk_step" in _stargazer(
        workspace, subprocess_env, "cache", "clear", "gatk_step"
    )
    text = _stargazer(workspace, subprocess_env, *args)
    assert text.splitlines()[-1] == "cache     miss: no result under this key (the task will run)"
    assert calls(workspace) == ["gatk_step"]


def test_explain_without_inputs_lists_which_are_in_the_key(workspace, subprocess_env):
    text = _stargazer(workspace, subprocess_env, "cache", "explain", "mark_duplicates")
    assert "input     alignment  (in the key)" in text
    assert "input     threads  (ignored: cannot change outputs)" in text
    assert "stargazer.tasks.general.samtools" in text
