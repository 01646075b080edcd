"""`stargazer.app.marimo_env`: the hosted run-mode app, checked without a cluster.

The deploy test serializes the app (and the task environments) with `flyte.deploy(dry_run=True)`
against a placeholder endpoint nobody listens on: nothing is sent, but the container spec and
the code bundle are built for real. It runs in a subprocess so `flyte.init` stays out of this
process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import time
import urllib.request

import click
import pytest
from tests.conftest import REPO_ROOT, free_port

from stargazer.app import PORT, RUN_MODE_ARGS, marimo_env
from stargazer.cli.main import cli
from stargazer.config import STARGAZER_IMAGE

DRY_RUN = r"""
import json, pathlib, re, sys
import flyte
import stargazer.tasks, stargazer.workflows
from stargazer.app import marimo_env
from stargazer.config import gatk_env, scrna_env

flyte.init(endpoint="dns:///127.0.0.1:1", insecure=True, project="stargazer",
           domain="development", root_dir=pathlib.Path(sys.argv[1]))
app = flyte.deploy(marimo_env, dry_run=True)[0].envs[marimo_env.name].deployed_app.pb2
container = app.spec.container
envs = {}
for deployment in flyte.deploy(gatk_env, scrna_env, dry_run=True):
    for name, deployed in deployment.envs.items():
        envs[name] = [
            re.search(r'name: "([^"]+)"', str(e)).group(1) for e in deployed.deployed_entities
        ]
print(json.dumps({
    "command": list(container.command), "args": list(container.args),
    "ports": [p.container_port for p in container.ports], "image": container.image,
    "task_envs": envs,
    "tasks": [getattr(m, n).name for m in (stargazer.tasks, stargazer.workflows)
              for n in m.__all__],
}))
"""


def test_serves_all_notebooks_in_run_mode_with_code():
    assert marimo_env.args == RUN_MODE_ARGS
    assert RUN_MODE_ARGS[:3] == ["stargazer", "note", "notebooks"]
    assert RUN_MODE_ARGS[RUN_MODE_ARGS.index("--mode") + 1] == "run"
    assert marimo_env.get_port().port == PORT == 8080
    assert RUN_MODE_ARGS[RUN_MODE_ARGS.index("--port") + 1] == str(PORT)
    assert marimo_env.image is STARGAZER_IMAGE
    assert marimo_env.requires_auth


def test_args_are_a_valid_stargazer_note_command():
    note = cli.get_command(click.Context(cli), RUN_MODE_ARGS[1])
    context = note.make_context("note", list(RUN_MODE_ARGS[2:]))
    assert context.params["mode"] == "run"
    assert context.params["host"] == "0.0.0.0"
    assert context.params["token"] is False


def test_include_resolves_to_the_workspace_notebooks():
    from flyte._code_bundle._includes import collect_env_include_files

    assert collect_env_include_files([marimo_env]) == (str(REPO_ROOT / "notebooks"),)


@pytest.mark.timeout(120)
def test_dry_run_deploy_serializes_the_app_and_the_task_environments():
    result = subprocess.run(
        [sys.executable, "-c", DRY_RUN, str(REPO_ROOT)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    spec = json.loads(result.stdout.strip().splitlines()[-1])
    assert spec["args"] == RUN_MODE_ARGS
    assert spec["ports"] == [PORT]
    assert spec["image"].startswith("stargazer:")
    command = spec["command"]
    assert command[0] == "fserve" and command[-1] == "--"
    bundle = command[command.index("--tgz") + 1]
    with tarfile.open(bundle) as archive:
        names = set(archive.getnames())
    assert "notebooks/welcome.py" in {name.removeprefix("./") for name in names}
    assert set(spec["task_envs"]) == {"gatk_env", "scrna_env"}
    deployed = {e for entities in spec["task_envs"].values() for e in entities}
    assert set(spec["tasks"]) <= deployed


@pytest.mark.timeout(120)
def test_run_mode_command_serves_the_notebook_index():
    port = free_port()
    args = [*RUN_MODE_ARGS]
    args[args.index("--port") + 1] = str(port)
    args[args.index("--host") + 1] = "127.0.0.1"
    args[0] = str(REPO_ROOT / ".venv" / "bin" / "stargazer")
    process = subprocess.Popen(
        args, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    page = response.read().decode()
                break
            except OSError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "run mode did not answer within 60 s"
                time.sleep(0.3)
        assert "welcome" in page
    finally:
        process.terminate()
        process.wait(timeout=20)
