"""Build the task environments' images from their Flyte specs and run a task in each as a pod would.

Called by `scripts/image_check.sh tasks` (part of `make image-check`):

    .venv/bin/python scripts/task_images.py check --builder local-podman --engine podman gatk scrna

For each environment it

1. builds the image with Flyte's own local builder (`flyte.build`; `local` drives
   `docker buildx`, `local-podman` drives `podman build`) from the spec in
   `stargazer.config` (pinned dependencies + this workspace's wheel);
2. serializes the environment with `flyte.deploy(..., dry_run=True)` from the documented root
   directory (`src/`), which writes the code bundle and gives each task's container args;
3. runs one task in the image with exactly those args (the pod entrypoint `a0`), its inputs
   file and the code bundle on a mounted folder, the store on that folder too, and checks the
   outputs file; the control-plane values a cluster fills in (`{{.input}}`, run and action
   names, the run's base dir) are filled in with local paths;
4. compares the versions installed in the image with the pins (`stargazer.pins`).

Nothing here reaches a Flyte cluster: the deploy is a dry run against an endpoint nobody
listens on, and the pod has no controller (a leaf task enqueues nothing).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The root directory of every `flyte deploy` of this workspace (module names are `stargazer.*`).
DEPLOY_ROOT = ROOT / "src"
#: Environment -> (its TaskEnvironment in stargazer.config, the task to run, the task's module).
ENVIRONMENTS = {
    "gatk": ("gatk_env", "prepare_reference", "stargazer.tasks.general.reference"),
    "scrna": ("scrna_env", "normalize", "stargazer.tasks.scrna.normalize"),
}

#: What a cluster puts in a task's container args, filled with paths on the mounted /work.
TEMPLATES = {
    "{{.input}}": "/work/inputs.pb",
    "{{.outputPrefix}}": "/work/outputs",
    "{{.rawOutputDataPrefix}}": "/work/raw",
    "{{.checkpointOutputPrefix}}": "/work/checkpoint",
    "{{.prevCheckpointPrefix}}": "",
    "{{.runName}}": "imagecheck",
    "{{.actionName}}": "a0",
}
#: What a cluster sets in a task pod's environment (project, domain, org, the run's folder).
POD_ENV = {
    "FLYTE_INTERNAL_EXECUTION_PROJECT": "stargazer",
    "FLYTE_INTERNAL_EXECUTION_DOMAIN": "development",
    "_U_ORG_NAME": "local",
    "_U_RUN_BASE": "/work/run",
    # A leaf task enqueues no sub-actions, so it needs no controller (and no cluster endpoint).
    "FLYTE_CLUSTERED_WORKER": "1",
    "STARGAZER_HOME": "/work/store",
}


def log(message: str) -> None:
    """Progress for the person reading CI's output (stderr)."""
    print(message, file=sys.stderr, flush=True)


def _init(builder: str) -> None:
    import flyte

    flyte.init(
        endpoint="dns:///127.0.0.1:1",
        insecure=True,
        project="stargazer",
        domain="development",
        root_dir=DEPLOY_ROOT,
        image_builder=builder,
    )


def build(env_name: str, builder: str, log_dir: Path) -> tuple[str, float]:
    """Build the environment's image with Flyte's builder; return its URI and the seconds it took.

    `flyte.build` refuses an image without a push registry; this check pushes nothing, so it
    hands the spec to the same builder directly (the generated Dockerfile and context are
    Flyte's; without a registry the builder leaves the image in the local store). The engine's
    output goes to `log_dir/build-ENV.log`, shown when the build fails. The image's URI (a
    digest of the spec and the files it copies) is computed once, here, and the dry-run
    deploy that follows uses the same spec object, so both name the image that was built.
    """
    import asyncio
    import os

    from flyte._internal.imagebuild.image_builder import ImageBuildEngine

    from stargazer import config

    image = getattr(config, ENVIRONMENTS[env_name][0]).image
    image.validate()
    logfile = log_dir / f"build-{env_name}.log"
    started = time.monotonic()
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    failure: Exception | None = None
    with open(logfile, "w") as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        try:
            uri = asyncio.run(ImageBuildEngine._get_builder(builder).build_image(image)).uri
        except Exception as err:
            failure = err
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
    if failure is not None:
        log(logfile.read_text()[-4000:])
        raise SystemExit(f"building {env_name}'s image failed (log: {logfile}): {failure}")
    assert uri == image.uri, (uri, image.uri)
    return uri, time.monotonic() - started


def drop_older_tags(engine: str, uri: str) -> None:
    """Untag earlier builds of this image (a changed spec or source gives a new tag each time).

    Their layers shared with the new build stay, so the next build is as fast; only what no
    tag uses any more is freed.
    """
    name, tag = uri.rsplit(":", 1)
    listed = run(engine, "images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    older = []
    for ref in listed:
        repository, _, other = ref.rpartition(":")
        if repository in (name, f"localhost/{name}", f"docker.io/library/{name}") and other != tag:
            older.append(ref)
    if older:
        run(engine, "rmi", *older, check=False)


def pod_spec(env_name: str) -> dict:
    """The task's container (image, args, env) and code bundle, from a dry-run deploy."""
    import importlib

    import flyte

    from stargazer import config

    importlib.import_module(ENVIRONMENTS[env_name][2])  # a task is deployed once it is defined
    env = getattr(config, ENVIRONMENTS[env_name][0])
    task_name = f"{env.name}.{ENVIRONMENTS[env_name][1]}"
    for deployment in flyte.deploy(env, dry_run=True):
        for deployed in deployment.envs[env.name].deployed_entities:
            template = deployed.deployed_task.task_template
            if template.id.name == task_name:
                return {
                    "image": template.container.image,
                    "args": list(template.container.args),
                    "env": {kv.key: kv.value for kv in template.container.env},
                }
    raise SystemExit(f"{task_name} is not among {env.name}'s deployed tasks")


def run(engine: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the container engine; exit with its output when it fails and `check` is set."""
    result = subprocess.run([engine, *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        log(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"{engine} {' '.join(args[:3])} ... failed")
    return result


def run_task(engine: str, env_name: str, spec: dict) -> str:
    """Run the task as its pod would; return what the output check printed."""
    task = ENVIRONMENTS[env_name][1]
    work = Path(tempfile.mkdtemp(prefix=f"stargazer-pod-{env_name}-"))
    try:
        for sub in ("outputs", "raw", "checkpoint", "run", "store", "bundle"):
            (work / sub).mkdir()
        shutil.copy(Path(__file__).with_name("pod_io.py"), work / "pod_io.py")
        args = [TEMPLATES.get(a, a) for a in spec["args"]]
        if "--tgz" in args:  # the code bundle the deploy wrote, where the pod downloads it from
            bundle = Path(args[args.index("--tgz") + 1])
            shutil.copy(bundle, work / "bundle" / bundle.name)
            args[args.index("--tgz") + 1] = f"/work/bundle/{bundle.name}"
        subprocess.run(["chmod", "-R", "a+rwX", str(work)], check=True)
        mount = ["-v", f"{work}:/work"]
        env = [f"--env={k}={v}" for k, v in {**spec["env"], **POD_ENV}.items()]
        image = spec["image"]
        out = run(
            engine, "run", "--rm", *mount, *env, image, "python", "/work/pod_io.py", "inputs", task
        )
        log(out.stdout.strip())
        started = time.monotonic()
        pod = run(engine, "run", "--rm", *mount, *env, image, *args, check=False)
        if pod.returncode != 0:
            log(pod.stdout[-3000:] + pod.stderr[-3000:])
            raise SystemExit(f"the pod entrypoint failed for {task}")
        log(
            f"{task}: pod entrypoint `{' '.join(args[:1])} ... {' '.join(args[-4:])}` "
            f"finished in {time.monotonic() - started:.1f} s"
        )
        out = run(
            engine, "run", "--rm", *mount, *env, image, "python", "/work/pod_io.py", "outputs", task
        )
        return out.stdout.strip()
    finally:
        subprocess.run(["rm", "-rf", str(work)], check=False)


def versions(engine: str, image: str, wanted: tuple[str, ...]) -> dict[str, str]:
    """Versions inside the image of `wanted` (and stargazer); exit if one misses its pin."""
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name

    from stargazer import pins

    work = Path(tempfile.mkdtemp(prefix="stargazer-versions-"))
    try:
        shutil.copy(Path(__file__).with_name("pod_io.py"), work / "pod_io.py")
        subprocess.run(["chmod", "-R", "a+rX", str(work)], check=True)
        out = run(
            engine,
            "run",
            "--rm",
            "-v",
            f"{work}:/work:ro",
            image,
            "python",
            "/work/pod_io.py",
            "versions",
        )
    finally:
        shutil.rmtree(work)
    inside = json.loads(out.stdout.strip().splitlines()[-1])
    found = {}
    for name in wanted:
        key = canonicalize_name(name)
        installed = inside[key]["installed"]
        spec = SpecifierSet(pins.requirement(name).removeprefix(pins.dependencies()[key].name))
        if installed is None or installed not in spec:
            raise SystemExit(f"{image}: {name} {installed} does not satisfy the pin {name}{spec}")
        if inside[key]["pin"] != str(pins.dependencies()[key].specifier):
            raise SystemExit(f"{image}: its stargazer metadata pins {name}{inside[key]['pin']}")
        found[name] = installed
    found["stargazer"] = inside["stargazer"]["installed"]
    from stargazer import __version__

    if found["stargazer"] != __version__:
        raise SystemExit(
            f"{image}: stargazer {found['stargazer']}, this workspace is {__version__}"
        )
    return found


def check(args: argparse.Namespace) -> None:
    """Build, run a task in, and check each environment's image; print a JSON summary."""
    from stargazer import config

    _init(args.builder)
    summary = {}
    for env_name in args.environments:
        env = getattr(config, ENVIRONMENTS[env_name][0])
        log(f"\n== {env.name}: building {env.image.uri} with flyte's `{args.builder}` builder")
        uri, seconds = build(env_name, args.builder, args.log_dir)
        size = run(args.engine, "image", "inspect", "-f", "{{.Size}}", uri).stdout.strip()
        log(f"{uri}: built in {seconds:.0f} s, {int(size) / 1e9:.2f} GB")
        drop_older_tags(args.engine, uri)
        spec = pod_spec(env_name)
        assert spec["image"] == uri, (spec["image"], uri)
        log(f"== {env.name}: running {ENVIRONMENTS[env_name][1]} in {uri} as a pod would")
        log(run_task(args.engine, env_name, spec))
        wanted = tuple(config.CORE_PACKAGES) + tuple(
            config.GATK_PACKAGES if env_name == "gatk" else config.SCRNA_PACKAGES
        )
        found = versions(args.engine, uri, wanted)
        log(
            f"versions in {uri} (all match pyproject.toml's pins): "
            + ", ".join(f"{k} {v}" for k, v in found.items())
        )
        summary[env.name] = {
            "image": uri,
            "build_s": round(seconds),
            "size_gb": round(int(size) / 1e9, 2),
            "versions": found,
        }
    (args.log_dir / "task-images.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))


def main() -> None:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("check", help="build, run a task in, and check the task images")
    cmd.add_argument("--builder", choices=("local", "local-podman"), default="local")
    cmd.add_argument("--engine", choices=("docker", "podman"), default="docker")
    cmd.add_argument("--log-dir", type=Path, default=Path(tempfile.gettempdir()))
    cmd.add_argument("environments", nargs="+", choices=sorted(ENVIRONMENTS))
    args = parser.parse_args()
    check(args)


if __name__ == "__main__":
    main()
