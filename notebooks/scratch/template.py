import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import tempfile
    from pathlib import Path

    import flyte
    import marimo as mo

    from stargazer.config import gatk_env
    from stargazer.demo.germline import GermlineSpec, generate
    from stargazer.types import Reference, assemble
    from stargazer.utils import execution_context


@app.cell
def _():
    mo.md(r"""
    # Scratch notebook: template

    Your own work starts here. This notebook shows the three steps from an idea to a tested
    task in the SDK:

    1. **define** a Flyte task in a cell (the pattern below works in `marimo edit`,
       `marimo run` and `python notebooks/scratch/<name>.py` alike);
    2. **run** it on real assets from the store with `flyte.run`;
    3. **promote** it into `src/stargazer/tasks/` with `stargazer promote-task`.

    Make your own copy with `stargazer new scratch/NAME`.
    """)
    return


@app.cell
def _():
    flyte.init_from_config()
    mo.callout(mo.md(f"**Tasks in this notebook run {execution_context().describe()}**"), "info")
    return


@app.cell
def _():
    # An input: the first reference in the asset store, or a small demo reference registered
    # now (a few kilobases of simulated sequence, made in a second).
    references = assemble(kind="reference")
    if references:
        reference = references[0]
    else:
        _demo_files = tempfile.TemporaryDirectory(prefix="stargazer-template-")  # removed after
        demo_dir = Path(_demo_files.name)
        demo = generate(GermlineSpec(size=10_000, coverage=1, seed=1), demo_dir)
        reference = Reference.create_sync(demo.reference, build="demo", tool="user")
    mo.md(f"Working on reference `{reference.id[:16]}…` (build `{reference.build}`).")
    return (reference,)


@app.cell
def _():
    # Step 1 — define a task. Write it inside a regular cell and *return* it: other cells then
    # receive it as an argument in every mode. (`@app.function` stacked on `@gatk_env.task` is
    # not visible to other cells when the notebook runs as a script.)
    # Re-running is instant: results are cached, keyed by this cell's code and every function,
    # class and constant of this notebook it uses. Need another environment (other packages or
    # resources)? Give it the same cache policy, so no part of the key is left out:
    #     from stargazer.config import cache_policy
    #     my_env = flyte.TaskEnvironment(name="my_env", cache=cache_policy("pysam", "pandas"))
    @gatk_env.task
    async def contig_lengths(reference: Reference) -> dict[str, int]:
        """Length of every contig in a reference FASTA.

        Args:
            reference: The reference genome asset.

        Returns:
            Contig name -> length in bp.
        """
        import pysam

        path = await reference.fetch()
        with pysam.FastaFile(str(path)) as fasta:
            return dict(zip(fasta.references, fasta.lengths, strict=True))

    return (contig_lengths,)


@app.cell
def _(contig_lengths, reference):
    # Step 2 — run it. `interactive_mode=True` lets Flyte ship a notebook-defined task to a
    # cluster as a pickled bundle; locally it changes nothing (see tutorial 4, execution).
    lengths = (
        flyte.with_runcontext(interactive_mode=True)
        .run(contig_lengths, reference=reference)
        .outputs()[0]
    )
    mo.ui.table(
        [{"contig": name, "length (bp)": length} for name, length in lengths.items()],
        selection=None,
    )
    return (lengths,)


@app.cell
def _():
    mo.md(r"""
    Step 3 — promote it. When the task does what you want, move it into the SDK:

    ```bash
    stargazer promote-task notebooks/scratch/<name>.py::contig_lengths \
        --to tasks/general/contig_lengths.py
    ```

    The command copies the function with its decorator, signature and docstring, resolves
    its imports, refuses if it depends on notebook-only state, never overwrites existing code,
    and writes a test that runs it (add `--dry-run` to see the diff first). Then put on the
    dev hat: `make test`, `make lint`.
    """)
    return


if __name__ == "__main__":
    app.run()
