import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import tempfile
    import time
    from pathlib import Path

    import altair as alt
    import flyte
    import marimo as mo
    import pandas as pd

    from stargazer.config import gatk_env
    from stargazer.demo.germline import GermlineSpec, generate
    from stargazer.tasks import prepare_reference
    from stargazer.types import Reference, Table
    from stargazer.utils import execution_context


@app.cell
def _():
    mo.md(r"""
    # Tutorial 2 — Tasks: run one, then write your own

    A task is an `async` Python function decorated with a Flyte `TaskEnvironment`
    (`gatk_env` for alignment and variant calling, `scrna_env` for single-cell work). It takes
    and returns typed assets, records the tool and version that made its outputs, and its
    results are cached by the content of its inputs.
    """)
    return


@app.cell
def _():
    flyte.init_from_config()
    mo.callout(mo.md(f"**Tasks in this notebook run {execution_context().describe()}**"), "info")
    return


@app.cell
def _():
    _demo_files = tempfile.TemporaryDirectory(prefix="stargazer-tasks-")  # removed after the cell
    demo_dir = Path(_demo_files.name)
    demo = generate(GermlineSpec(size=30_000, coverage=1, seed=5), demo_dir)
    reference = Reference.create_sync(demo.reference, build="demo")
    mo.md(f"A demo reference to work on: `{reference.names['primary']}`, `{reference.id[:24]}…`")
    return (reference,)


@app.cell
def _(reference):
    started = time.perf_counter()
    run = flyte.run(prepare_reference, reference=reference)
    prepared = run.outputs()[0]
    seconds = time.perf_counter() - started
    mo.vstack(
        [
            mo.md(f"""
            ## 1. Run a task from the SDK

            ```python
            from stargazer.tasks import prepare_reference

            run = flyte.run(prepare_reference, reference=reference)
            prepared = run.outputs()[0]
            ```

            `prepare_reference` indexes a FASTA for the aligner and the variant caller. It took
            **{seconds:.2f} s** (run again: a cache hit). The output is a new `Reference` asset
            with companion files, the tool that made it, and the input as its parent (below).
            """),
        ]
    )
    return (prepared,)


@app.cell(hide_code=True)
def _(prepared, reference):
    # The output asset, in its own cell so marimo's output height cap never clips it.
    mo.ui.table(
        [
            {"field": "id", "value": prepared.id},
            {"field": "tool", "value": f"{prepared.tool} {prepared.tool_version}"},
            {"field": "parents", "value": ", ".join(prepared.parents)},
            {"field": "input id", "value": reference.id},
        ]
        + [
            {"field": f"file: {role}", "value": name}
            for role, name in sorted(prepared.names.items())
        ],
        selection=None,
        page_size=10,
        label="the output asset",
    )
    return


@app.cell
def _():
    mo.md(r"""
    ## 2. Define a task in a cell

    Write the task inside a regular cell and **return it**; other cells receive it as an
    argument. This works the same in `marimo edit`, `marimo run` and
    `python notebooks/tutorials/2_tasks.py`. (Stacking `@app.function` on `@gatk_env.task`
    does not: as a script, other cells do not see the task.)

    The task below reads the reference with pysam and returns a new `Table` asset. Inside a
    task, outputs are written to a temporary folder, then registered with
    `await Table.create(..., parents=[...], tool=..., tool_version=...)`.
    """)
    return


@app.cell
def _():
    @gatk_env.task
    async def base_composition(reference: Reference) -> Table:
        """Count A, C, G, T and N in every contig of a reference.

        Args:
            reference: The reference genome.

        Returns:
            A TSV table with one row per contig and base.
        """
        import pysam

        scratch = tempfile.TemporaryDirectory(prefix="composition-")  # removed on return
        out_dir = Path(scratch.name)
        out = out_dir / "base_composition.tsv"
        lines = ["contig\tbase\tcount"]
        with pysam.FastaFile(str(await reference.fetch())) as fasta:
            for contig in fasta.references:
                sequence = fasta.fetch(contig).upper()
                lines += [f"{contig}\t{base}\t{sequence.count(base)}" for base in "ACGTN"]
        out.write_text("\n".join(lines) + "\n")
        return await Table.create(
            out,
            name="base_composition",
            format="tsv",
            parents=[reference],
            tool="pysam",
            tool_version=pysam.__version__,
        )

    return (base_composition,)


@app.cell
async def _(base_composition, prepared):
    # interactive_mode=True: Flyte can ship this notebook-defined task to a cluster as a
    # pickled bundle (tutorial 4). Locally it runs exactly like flyte.run(...).
    composition = (
        flyte.with_runcontext(interactive_mode=True)
        .run(base_composition, reference=prepared)
        .outputs()[0]
    )
    frame = pd.read_csv(await composition.fetch(), sep="\t")
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(x="base:N", y="count:Q", color="base:N", column="contig:N")
        .properties(width=120, height=160)
    )
    mo.vstack(
        [
            mo.md(
                f"The task returned `Table` `{composition.id[:24]}…`, made by "
                f"`{composition.tool} {composition.tool_version}` from `{prepared.id[:16]}…`:"
            ),
            mo.ui.altair_chart(chart),
        ]
    )
    return


@app.cell
def _():
    mo.md(r"""
    ## Next

    - Tutorial 3 composes tasks into a workflow and shows the cache at work.
    - `stargazer new scratch/my_idea` starts your own notebook from the scratch template;
      `stargazer promote-task` moves a finished task into `src/stargazer/tasks/`.
    """)
    return


if __name__ == "__main__":
    app.run()
