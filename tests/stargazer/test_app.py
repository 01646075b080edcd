"""`stargazer.app.marimo_env`: the hosted run-mode app, checked without a cluster.

The deploy test serializes the app (and the task environments) with `flyte.deploy(dry_run=True)`
against a placeholder endpoint nobody listens on, from the one root directory every deploy of
this workspace uses (`src/`, so modules are `stargazer.*`): nothing is sent, but the container
specs and the code bundle are built for real. It runs in a subprocess so `flyte.init` stays out
of this process. The CLI form (`flyte deploy --dry-run --root-dir src ...`) is run as well.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import time
import urllib.request
from pathlib import Path

import click
import pytest

from stargazer.app import APP_IMAGE, PORT, RUN_MODE_ARGS, marimo_env
from stargazer.cli.main import cli
from stargazer.config import GATK_IMAGE, SCRNA_IMAGE
from stargazer.testing import checkout_root, free_port

REPO_ROOT = checkout_root()

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
envs, images, modules = {}, {}, set()
for deployment in flyte.deploy(gatk_env, scrna_env, dry_run=True):
    for name, deployed in deployment.envs.items():
        envs[name] = [e.deployed_task.task_template.id.name for e in deployed.deployed_entities]
        for e in deployed.deployed_entities:
            template = e.deployed_task.task_template
            images.setdefault(name, set()).add(template.container.image)
            args = list(template.container.args)
            modules.add(args[args.index("mod") + 1])
print(json.dumps({
    "command": list(container.command), "args": list(container.args),
    "ports": [p.container_port for p in container.ports], "image": container.image,
    "task_envs": envs, "task_images": {k: sorted(v) for k, v in images.items()},
    "modules": sorted(modules),
    "tasks": [getattr(m, n).name for m in (stargazer.tasks, stargazer.workflows)
              for n in m.__all__],
}))
"""


def test_the_app_command_serves_every_notebook_read_only_on_its_declared_port():
    """The app's command, parsed by the real `stargazer note`, matches what the app declares."""
    program, command, *rest = marimo_env.args
    assert program == "stargazer"
    note = cli.get_command(click.Context(cli), command)
    params = note.make_context(command, list(rest)).params
    assert params["mode"] == "run"
    assert params["path"].name == "notebooks"
    assert params["port"] == marimo_env.get_port().port
    assert params["host"] == "0.0.0.0"
    # marimo's own token is off only because the platform authenticates every request
    assert params["token"] is False and marimo_env.requires_auth


def test_notebooks_travel_in_the_app_image_not_the_code_bundle():
    from flyte._code_bundle._includes import collect_env_include_files

    assert collect_env_include_files([marimo_env]) == ()
    copied = {(layer.src, layer.dst) for layer in APP_IMAGE._layers if hasattr(layer, "dst")}
    assert (REPO_ROOT / "notebooks", "./notebooks") in copied


@pytest.mark.timeout(120)
def test_dry_run_deploy_serializes_the_app_and_the_task_environments():
    result = subprocess.run(
        [sys.executable, "-c", DRY_RUN, str(REPO_ROOT / "src")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    spec = json.loads(result.stdout.strip().splitlines()[-1])
    assert spec["args"] == RUN_MODE_ARGS
    assert spec["ports"] == [PORT]
    # What the images install: the specs this workspace declares (pins + its own wheel).
    assert spec["image"] == APP_IMAGE.uri
    assert spec["task_images"] == {"gatk_env": [GATK_IMAGE.uri], "scrna_env": [SCRNA_IMAGE.uri]}
    command = spec["command"]
    assert command[0] == "fserve" and command[-1] == "--"
    assert command[command.index("--resolver-args") + 1] == "stargazer.app:marimo_env"
    bundle = command[command.index("--tgz") + 1]
    with tarfile.open(bundle) as archive:
        names = {name.removeprefix("./") for name in archive.getnames()}
    assert "stargazer/app.py" in names and not any(n.startswith("src/") for n in names)
    assert set(spec["task_envs"]) == {"gatk_env", "scrna_env"}
    deployed = {e for entities in spec["task_envs"].values() for e in entities}
    assert set(spec["tasks"]) <= deployed
    # A pod imports each task by this name: the package's, never `src.stargazer...`.
    packages = ("stargazer.tasks.", "stargazer.workflows.")
    assert spec["modules"] and all(m.startswith(packages) for m in spec["modules"])


@pytest.mark.timeout(200)
@pytest.mark.parametrize(
    "target",
    [["src/stargazer/app.py", "marimo_env"], ["--all", "--recursive", "src/stargazer/workflows"]],
    ids=["app", "task-environments"],
)
def test_flyte_deploy_dry_run_cli_from_the_documented_root(target):
    """The commands docs/containers.md gives, offline (placeholder endpoint, nothing sent)."""
    flyte = REPO_ROOT / ".venv" / "bin" / "flyte"
    endpoint = ["--endpoint", "dns:///127.0.0.1:1", "--insecure"]
    deploy = ["deploy", "--dry-run", "--root-dir", "src", "-p", "stargazer", "-d", "development"]
    result = subprocess.run(
        [str(flyte), *endpoint, "--output-format", "json", *deploy, *target],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]


@pytest.mark.timeout(120)
def test_run_mode_command_serves_the_notebook_index():
    port = free_port()
    args = [*RUN_MODE_ARGS]
    args[args.index("--port") + 1] = str(port)
    args[args.index("--host") + 1] = "127.0.0.1"
    args[0] = str(Path(sys.executable).with_name("stargazer"))  # the installed entry point
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
