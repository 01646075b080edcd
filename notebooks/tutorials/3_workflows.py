import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import asyncio
    import sqlite3
    import tempfile
    import time
    from pathlib import Path

    import altair as alt
    import flyte
    import marimo as mo
    import pandas as pd

    from stargazer.config import cache_policy
    from stargazer.demo.germline import GermlineSpec, generate
    from stargazer.types import Reference
    from stargazer.utils import execution_context


@app.cell
def _():
    mo.md(r"""
    # Tutorial 3 — Workflows: tasks that call tasks

    A Stargazer workflow is an ordinary Flyte task that `await`s other tasks. Independent
    steps run side by side with `asyncio.gather` (in this process locally, as separate pods on
    a cluster), and every task's result is cached by the *content* of its inputs, so running a
    workflow again costs almost nothing.
    """)
    return


@app.cell
def _():
    flyte.init_from_config()
    context = execution_context()
    mo.callout(mo.md(f"**Tasks in this notebook run {context.describe()}**"), kind="info")
    return (context,)


@app.cell
def _():
    _demo_files = tempfile.TemporaryDirectory(prefix="stargazer-tutorial-")  # removed after
    demo_dir = Path(_demo_files.name)
    demo = generate(GermlineSpec(size=60_000, coverage=1, seed=3), demo_dir)
    reference = Reference.create_sync(demo.reference, build="demo", tool="user")
    mo.md(f"A demo reference with three contigs: `{reference.id[:20]}…`")
    return (reference,)


@app.cell
def _():
    # Two tasks and a workflow, defined in one regular cell and returned, so that every other
    # cell can use them in `marimo edit`, `marimo run` and as a script.
    # `cache_policy` is the one cache setting every environment uses: a hit only when the code,
    # the package versions, the store and the inputs' content are the same (see the README).
    env = flyte.TaskEnvironment(name="tutorial_workflows", cache=cache_policy("pysam"))

    @env.task
    async def contig_names(reference: Reference) -> list[str]:
        """The contig names of a reference FASTA."""
        import pysam

        with pysam.FastaFile(str(await reference.fetch())) as fasta:
            return list(fasta.references)

    @env.task
    async def gc_windows(reference: Reference, contig: str, window: int) -> list[float]:
        """GC fraction of consecutive windows along one contig."""
        import pysam

        with pysam.FastaFile(str(await reference.fetch())) as fasta:
            sequence = fasta.fetch(contig).upper()
        return [
            (chunk.count("G") + chunk.count("C")) / len(chunk)
            for chunk in (sequence[i : i + window] for i in range(0, len(sequence), window))
        ]

    @env.task
    async def gc_profile(reference: Reference, window: int = 1000) -> dict[str, list[float]]:
        """GC along every contig: one `gc_windows` per contig, all at once."""
        contigs = await contig_names(reference)
        profiles = await asyncio.gather(
            *(gc_windows(reference, contig, window) for contig in contigs)
        )
        return dict(zip(contigs, profiles, strict=True))

    return (gc_profile,)


@app.cell
def _():
    window = mo.ui.slider(250, 5000, step=250, value=1000, label="window (bp)")
    window
    return (window,)


@app.cell
def _(gc_profile, reference, window):
    def timed_run():
        started = time.perf_counter()
        run = flyte.with_runcontext(interactive_mode=True).run(
            gc_profile, reference=reference, window=window.value
        )
        return run, time.perf_counter() - started

    first_run, first_seconds = timed_run()
    second_run, second_seconds = timed_run()
    profile = first_run.outputs()[0]
    assert second_run.outputs()[0] == profile
    return first_seconds, profile, second_seconds


@app.cell
def _(profile, window):
    frame = pd.DataFrame(
        [
            {"contig": contig, "position (kb)": i * window.value / 1000, "GC": gc}
            for contig, values in profile.items()
            for i, gc in enumerate(values)
        ]
    )
    chart = (
        alt.Chart(frame)
        .mark_line()
        .encode(x="position (kb):Q", y=alt.Y("GC:Q", scale=alt.Scale(zero=False)), color="contig:N")
        .properties(width=600, height=220, title="GC content along each contig")
    )
    mo.ui.altair_chart(chart)
    return


@app.cell
def _(context, first_seconds, second_seconds):
    hits = []
    if context.mode == "local" and context.config_path is not None:
        database = context.config_path.parent / "local-cache" / "cache.db"
        with sqlite3.connect(database) as connection:
            hits = connection.execute(
                "SELECT task_name, cache_hit FROM runs WHERE action_name != 'a0' "
                "AND task_name LIKE 'tutorial_workflows.%' ORDER BY start_time DESC LIMIT 5"
            ).fetchall()
    mo.vstack(
        [
            mo.md(f"""
            ## The cache

            The cell above ran the workflow twice with the same inputs:
            **{first_seconds:.2f} s** the first time, **{second_seconds:.2f} s** the second.
            The second run did not execute any task body: Flyte found each result under a key
            made from the task's code and its inputs — and a `Reference` input is keyed by the
            digests of its files, not by a path. The cache is kept in
            `.flyte/local-cache/cache.db`, so it survives a restart: re-open this notebook
            tomorrow and the first run is a cache hit too. Move the slider to see a miss
            (a new `window` is a new input).
            """),
            mo.ui.table(
                [{"task": task, "cache hit": bool(hit)} for task, hit in hits],
                selection=None,
                label="latest task runs in the local run history",
            ),
        ]
    )
    return


@app.cell
def _():
    mo.md(r"""
    ## The same pattern in the SDK

    `stargazer.workflows.germline_variants` is built the same way: prepare the reference once,
    align and mark duplicates for every sample at once with `asyncio.gather`, then call variants
    jointly. Open `notebooks/workflows/variant_calling.py` to run it on demo data or your own
    FASTQ files; tutorial 4 shows how the same code runs on a cluster.
    """)
    return


if __name__ == "__main__":
    app.run()
