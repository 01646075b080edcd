import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import tempfile
    from pathlib import Path

    import flyte
    import marimo as mo

    from stargazer.demo.germline import GermlineSpec, generate
    from stargazer.errors import InvalidAssetError
    from stargazer.types import Alignment, Asset, Reads, Reference, Table, assemble
    from stargazer.utils import execution_context


@app.cell
def _():
    mo.md(r"""
    # Tutorial 1 — Assets: files you can query, trust and trace

    Every file a Stargazer task reads or writes is a typed **asset**: a small record of
    metadata (`sample_id`, `build`, the tool that made it, its parents …) plus its files,
    stored by the SHA-256 digest of their bytes. You find files by asking for what they are,
    not where they are; bad files are refused on the way in; and every result knows what it
    was made from.

    Next: tutorial 2 (tasks), 3 (workflows), 4 (execution).
    """)
    return


@app.cell
def _():
    flyte.init_from_config()
    mo.callout(mo.md(f"**Tasks in this notebook run {execution_context().describe()}**"), "info")
    return


@app.cell
def _():
    demo_files = tempfile.TemporaryDirectory(prefix="stargazer-assets-")  # gone with the kernel
    demo_dir = Path(demo_files.name)
    demo = generate(GermlineSpec(size=20_000, coverage=2, samples=2, seed=11), demo_dir)
    mo.md(f"""
    ## 1. Add files

    Some demo files to play with (simulated in a second, written to `{demo_dir}`):
    a reference FASTA and paired FASTQ files for two samples. `create` validates a file,
    copies (or hard-links) it into the store and returns the typed asset:

    ```python
    reference = Reference.create_sync("reference.fa", build="demo")
    reads = Reads.create_sync("s1_R1.fastq.gz", companions={{"r2": "s1_R2.fastq.gz"}},
                              sample_id="s1")
    ```

    Inside a Flyte task use the `async` form, `await Reads.create(...)`.
    """)
    return demo, demo_files


@app.cell
def _(demo):
    reference = Reference.create_sync(demo.reference, build="demo")
    samples = {
        sample: Reads.create_sync(r1, companions={"r2": r2}, sample_id=sample)
        for sample, (r1, r2) in demo.reads.items()
    }
    added = [reference, *samples.values()]
    mo.ui.table(
        [
            {
                "kind": asset.kind,
                "id": asset.id[:24] + "…",
                "metadata": ", ".join(f"{k}={v}" for k, v in asset.metadata.items()),
                "files": ", ".join(asset.names.values()),
            }
            for asset in added
        ],
        selection=None,
        label="registered",
    )
    return reference, samples


@app.cell
def _(demo, samples):
    first_sample = sorted(samples)[0]
    found = assemble(kind="reads", sample_id=first_sample)
    every_sample = assemble(kind="reads", sample_id=sorted(samples))
    r1_again, r2_again = demo.reads[first_sample]
    again = Reads.create_sync(r1_again, companions={"r2": r2_again}, sample_id=first_sample)
    mo.md(f"""
    ## 2. Query by metadata

    `assemble(kind="reads", sample_id="{first_sample}")` finds **{len(found)}** asset(s) in
    the store (earlier runs of this notebook add theirs too); a list means *any of*:
    `assemble(kind="reads", sample_id={sorted(samples)})` finds **{len(every_sample)}**.
    Results are typed (`{type(found[0]).__name__}`). Adding the same bytes with the same
    metadata again returns the same asset instead of a copy:
    `{again.id[:24]}…` == `{samples[first_sample].id[:24]}…` →
    **{again.id == samples[first_sample].id}**.
    """)
    return


@app.cell
async def _(reference):
    # A derived asset: contig lengths as a TSV table, made from the reference. Its `parents`
    # record where it came from; `tool` and `tool_version` record what made it.
    import pysam

    fasta_path = await reference.fetch()
    _scratch = tempfile.TemporaryDirectory(prefix="stargazer-lengths-")  # removed after the cell
    table_dir = Path(_scratch.name)
    table_path = table_dir / "contig_lengths.tsv"
    with pysam.FastaFile(str(fasta_path)) as fasta:
        rows = zip(fasta.references, fasta.lengths, strict=True)
        table_path.write_text("contig\tlength\n" + "".join(f"{c}\t{n}\n" for c, n in rows))
    lengths = await Table.create(
        table_path,
        name="contig_lengths",
        format="tsv",
        parents=[reference],
        tool="pysam",
        tool_version=pysam.__version__,
    )
    return (lengths,)


@app.cell
def _(lengths):
    def lineage(asset: Asset) -> list[Asset]:
        """The asset and all its ancestors, nearest first."""
        seen, queue = {}, [asset]
        while queue:
            current = queue.pop(0)
            if current.id not in seen:
                seen[current.id] = current
                queue += [Asset.load(parent) for parent in current.parents]
        return list(seen.values())

    family = lineage(lengths)
    label = {a.id: f"{a.kind} {a.id[7:15]}" for a in family}
    graph = "graph LR\n" + "\n".join(
        f'  {p[7:19]}["{label[p]}"] -->|{a.tool}| {a.id[7:19]}["{label[a.id]}"]'
        for a in family
        for p in a.parents
    )
    mo.vstack(
        [
            mo.md("## 3. Lineage\n\nThe contig-length table and what it was made from:"),
            mo.mermaid(graph),
            mo.ui.table(
                [
                    {
                        "kind": a.kind,
                        "id": a.id[:24] + "…",
                        "made by": f"{a.tool} {a.tool_version}".strip(),
                        "parents": ", ".join(p[:16] + "…" for p in a.parents) or "—",
                    }
                    for a in family
                ],
                selection=None,
            ),
        ]
    )
    return


@app.cell
def _(demo):
    _scratch = tempfile.TemporaryDirectory(prefix="stargazer-bad-")  # removed after the cell
    bad_dir = Path(_scratch.name)
    r1, _r2 = demo.reads[sorted(demo.reads)[0]]
    truncated = bad_dir / "truncated_R1.fastq.gz"
    truncated.write_bytes(Path(r1).read_bytes()[:2000])
    not_a_bam = bad_dir / "notes.bam"
    not_a_bam.write_text("these are my notes, not a BAM file\n")
    duplicated = bad_dir / "duplicated.fa"
    duplicated.write_text(">chr1\nACGTACGTAC\n>chr1\nGGGGCCCCAA\n")
    empty = bad_dir / "empty.fastq"
    empty.write_bytes(b"")
    attempts = {
        "a truncated FASTQ.gz": lambda: Reads.create_sync(truncated, sample_id="bad"),
        "a text file named .bam": lambda: Alignment.create_sync(not_a_bam, sample_id="bad"),
        "a FASTA with a duplicate contig": lambda: Reference.create_sync(duplicated),
        "an empty file": lambda: Reads.create_sync(empty, sample_id="bad"),
        "an unknown metadata field": lambda: Reference.create_sync(demo.reference, species="human"),
    }
    refusals = []
    for what, attempt in attempts.items():
        try:
            attempt()
        except InvalidAssetError as err:
            refusals.append({"input": what, "refused with": str(err)})
        else:
            raise AssertionError(f"{what} was accepted")
    mo.vstack(
        [
            mo.md(r"""
            ## 4. What validation refuses

            Files are opened with the real libraries (pysam, anndata) before anything is
            registered. Each of these is refused with a message that names the file, the
            problem and the fix — and nothing is left half-registered:
            """),
            mo.md("\n".join(f"- **{r['input']}**: `{r['refused with']}`" for r in refusals)),
        ]
    )
    return


if __name__ == "__main__":
    app.run()
