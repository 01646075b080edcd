import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import gzip
    import subprocess
    import sys
    import tempfile
    import time
    from pathlib import Path

    import flyte
    import marimo as mo

    from stargazer.config import STARGAZER_IMAGE, gatk_env
    from stargazer.utils import execution_context, run_targets, task_history


@app.cell
def _():
    mo.md(r"""
    # Tutorial 4 — Execution: where tasks run

    The same notebook runs its tasks on this machine or on a Flyte cluster. Only one file
    decides which: `.flyte/config.yaml`. This tutorial shows what `flyte.init_from_config()`
    reads, where run history lives, and the one thing a *notebook-defined* task needs before
    it can travel to a cluster.
    """)
    return


@app.cell
def _():
    flyte.init_from_config()
    context = execution_context()
    mo.callout(mo.md(f"**Tasks in this notebook run {context.describe()}**"), kind="info")
    return (context,)


@app.cell
def _(context):
    config_text = (
        context.config_path.read_text() if context.config_path else "# no config file found"
    )
    mo.vstack(
        [
            mo.md(r"""
            ## 1. What `flyte.init_from_config()` reads

            Flyte looks for `./.flyte/config.yaml`, then the git root's `.flyte/config.yaml`,
            then `FLYTECTL_CONFIG`. `stargazer.utils.execution_context()` reads the same file
            the same way and tells you the result. This is the file in force right now:
            """),
            mo.md(f"`{context.config_path}`\n\n```yaml\n{config_text}\n```"),
        ]
    )
    return


@app.cell(hide_code=True)
def _(context):
    # The settings in force, in their own cell so marimo's output height cap never clips them.
    mo.ui.table(
        [
            {"setting": "mode", "value": context.mode},
            {"setting": "endpoint", "value": context.endpoint or "(none: local)"},
            {"setting": "local persistence", "value": str(context.persistence)},
        ]
        + [
            {
                "setting": f"run where: {target.label}",
                "value": "available" if target.available else f"not available — {target.reason}",
            }
            for target in run_targets(context)
        ],
        selection=None,
        page_size=10,
        label="what execution_context() and run_targets() report",
    )
    return


@app.cell
def _():
    _scratch = tempfile.TemporaryDirectory(prefix="stargazer-remote-config-")  # after the cell
    remote_dir = Path(_scratch.name)
    remote_config = remote_dir / "config.yaml"
    remote_config.write_text(
        "admin:\n"
        "  endpoint: dns:///flyte.example.org\n"
        "task:\n"
        "  project: stargazer\n"
        "  domain: development\n"
    )
    remote = execution_context(remote_config)
    mo.vstack(
        [
            mo.md(r"""
            ## 2. Local config vs a remote one

            A remote config adds an `admin.endpoint` (and the project and domain runs go to).
            Here is one written to a temporary file and read with the same function — no
            cluster is contacted, only the file is parsed:
            """),
            mo.md(f"```yaml\n{remote_config.read_text()}```"),
            mo.callout(mo.md(f"With that file, tasks would run **{remote.describe()}**"), "warn"),
            mo.md(r"""
            To switch this workspace to a cluster, put those lines into `.flyte/config.yaml`
            (and point the asset store at an object store with
            `STARGAZER_STORE=s3://bucket/prefix`). **No notebook, task or workflow changes.**
            """),
        ]
    )
    return


@app.cell
def _():
    # A task defined in a cell: define it in a regular cell and return it, so every other
    # cell can use it in `marimo edit`, `marimo run` and `python notebooks/...py` alike.
    @gatk_env.task
    async def gc_fraction(sequence: str) -> float:
        """Fraction of G and C bases in a DNA sequence."""
        sequence = sequence.upper()
        return (sequence.count("G") + sequence.count("C")) / max(len(sequence), 1)

    return (gc_fraction,)


@app.cell
def _(gc_fraction):
    started = time.time()
    run = flyte.with_runcontext(interactive_mode=True).run(gc_fraction, sequence="ACGTGGCCAT")
    gc = run.outputs()[0]
    mo.md(f"""
    ## 3. Where run history lives

    Locally, with `local.persistence: true`, every run and the task cache are kept in
    `.flyte/local-cache/cache.db` next to the config (git-ignored). We just ran
    `gc_fraction("ACGTGGCCAT")` = **{gc:.2f}**. Each run there has a top-level row (action
    `a0`, which never records a cache hit) and one row per task call it made: only those say
    whether the result came from the cache. `stargazer.utils.task_history` reads them — the
    same rows tutorial 3 shows. Re-open this notebook and `gc_fraction` comes from the cache.
    """)
    return gc, started


@app.cell(hide_code=True)
def _(context, started):
    # Run history that tells the truth: task calls, newest first, ran or from the cache.
    history = [step.row() for step in task_history(limit=20)]
    this_run = [step for step in task_history(since=started) if step.task == "gc_fraction"]
    if context.mode != "local":
        history_view = mo.md("_Remote: run history is in the cluster's UI and `flyte get runs`._")
    else:
        verdict = "came from the cache" if this_run and this_run[0].cached else "ran (a cache miss)"
        history_view = mo.vstack(
            [
                mo.md(f"Just now `gc_fraction` **{verdict}**. The latest task calls:"),
                mo.ui.table(history, selection=None, page_size=10, label="local run history"),
            ]
        )
    history_view
    return


@app.cell
def _(gc_fraction):
    bundle_files = tempfile.TemporaryDirectory(prefix="stargazer-bundle-")  # gone with the kernel
    bundle_dir = Path(bundle_files.name)
    flyte.with_runcontext(
        mode="remote", dry_run=True, interactive_mode=True, copy_bundle_to=bundle_dir
    ).run(gc_fraction, sequence="GGCC")
    bundle = next(bundle_dir.iterdir())
    return bundle, bundle_dir, bundle_files


@app.cell
def _(bundle):
    # What a cluster pod does with the bundle: unpickle the task and call it. A fresh Python
    # process stands in for the pod; it has stargazer installed, but not this notebook.
    pod_code = (
        "import asyncio, gzip, sys, cloudpickle\n"
        "task = cloudpickle.load(gzip.open(sys.argv[1]))\n"
        "print(task.name, asyncio.run(task.func('GGCC')))\n"
    )
    pod = subprocess.run(
        [sys.executable, "-c", pod_code, str(bundle)],
        capture_output=True,
        text=True,
        check=True,
    )
    pod_output = pod.stdout.strip()
    print("pod says:", pod_output)
    return (pod_output,)


@app.cell
def _(bundle, pod_output):
    mo.md(f"""
    ## 4. What changes to run on a cluster: nothing in the code

    **Tasks from the SDK** (`stargazer.tasks`, `stargazer.workflows`) are installed in the task
    images (`{STARGAZER_IMAGE.name}-gatk`, `{STARGAZER_IMAGE.name}-scrna`: the versions pinned in
    `pyproject.toml` plus this workspace's own code), so the cluster imports them by name.

    **Tasks defined in a notebook cell** are not in any package. Flyte ships them as a
    *pickled code bundle*: the task is serialised with `cloudpickle` and uploaded with the run.
    Flyte turns this on by itself only in IPython/Jupyter; a marimo kernel is not IPython, so
    run notebook-defined tasks with

    ```python
    flyte.with_runcontext(interactive_mode=True).run(my_task, ...)
    ```

    Locally this is exactly the same as `flyte.run(my_task, ...)` (same cache, same history),
    which is why every Stargazer notebook that defines tasks uses it. Above, a dry run built the
    bundle the cluster would receive, without contacting any cluster:
    `{bundle.name}` ({bundle.stat().st_size} bytes, gzip-compressed cloudpickle). A fresh process
    loaded it the way a pod does and ran the task: `{pod_output}`.

    Two rules follow:

    - a notebook task may use anything installed in the image (`pysam`, `scanpy`,
      `stargazer.types` ...) but not files or modules that exist only on your laptop;
    - `Environment.include` (extra files) does not work with pickled bundles: promote the task
      into `src/stargazer` with `stargazer promote-task` when it needs more than that.
    """)
    return


@app.cell
def _(bundle_dir):
    # Read the bundle back here too, to show it is an ordinary gzip file holding the task.
    with gzip.open(next(bundle_dir.iterdir())) as handle:
        bundle_bytes = len(handle.read())
    mo.md(f"Uncompressed, the pickled task is **{bundle_bytes} bytes**.")
    return


if __name__ == "__main__":
    app.run()
