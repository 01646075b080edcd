import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import json
    import sqlite3
    import tempfile
    import time
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    import altair as alt
    import flyte
    import marimo as mo
    import pandas as pd
    import pysam

    from stargazer.access import allowed_roots, check_path
    from stargazer.demo.germline import GermlineSpec, generate, parse_size
    from stargazer.errors import InvalidAssetError
    from stargazer.tasks import variant_accuracy
    from stargazer.types import Reads, Reference, Variants, assemble
    from stargazer.utils import execution_context
    from stargazer.workflows import germline_variants
    from stargazer.workflows.germline import qc_for


@app.cell
def _():
    mo.md(r"""
    # Variant calling: FASTQ → VCF

    Align paired reads to a reference (BWA-MEM), mark duplicates, call SNVs and short indels
    (bcftools) for one sample or a cohort, then look at the result: mapping and duplicate
    rates, coverage along the reference, the variants themselves, Ti/Tv and indel sizes.
    Every step is a cached Flyte task (`stargazer.workflows.germline_variants`): run it again
    with the same inputs and it returns at once.
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
    source = mo.ui.radio(
        options={"demo data (simulated, with known truth)": "demo", "my own files": "own"},
        value="demo data (simulated, with known truth)",
        label="**1. Data**",
    )
    source
    return (source,)


@app.cell
def _():
    # The file picker opens only folders Stargazer may read: the workspace and the data
    # folders listed in STARGAZER_DATA_DIRS or `[tool.stargazer] data_dirs` (pyproject.toml).
    roots = [str(root) for root in allowed_roots()]
    data_root = mo.ui.dropdown(roots, value=roots[0], label="folder")
    return (data_root,)


@app.cell
def _(data_root, source):
    # Small by default when this notebook runs as a script (tests), bigger in the browser.
    interactive = mo.running_in_notebook()
    demo_size = mo.ui.dropdown(
        ["20kb", "50kb", "200kb", "1Mb"], value="50kb" if interactive else "20kb", label="genome"
    )
    demo_coverage = mo.ui.slider(
        4, 40, value=15 if interactive else 8, step=1, label="coverage", show_value=True
    )
    demo_samples = mo.ui.slider(1, 4, value=1, label="samples", show_value=True)
    demo_difficulty = mo.ui.dropdown(["easy", "hard"], value="easy", label="difficulty")
    demo_seed = mo.ui.number(0, 10_000, value=7, label="seed")
    upload_reference = mo.ui.file(
        filetypes=[".fa", ".fasta", ".fna", ".gz"], label="reference FASTA"
    )
    upload_reads = mo.ui.file(
        filetypes=[".fastq", ".fq", ".gz"], multiple=True, label="FASTQ files (R1 and R2)"
    )
    browse = mo.ui.file_browser(
        initial_path=Path(data_root.value),
        restrict_navigation=True,
        filetypes=[".fa", ".fasta", ".fna", ".fastq", ".fq", ".gz"],
        multiple=True,
        label="…or pick files in the workspace or a data folder",
    )
    sample_name = mo.ui.text(value="sample1", label="sample id for these reads")
    register = mo.ui.run_button(label="Register files as assets")
    if source.value == "demo":
        data_form = mo.hstack(
            [demo_size, demo_coverage, demo_samples, demo_difficulty, demo_seed], wrap=True
        )
    else:
        data_form = mo.vstack(
            [
                mo.md(
                    "Upload files (up to a few hundred MB) or pick them on this machine. "
                    "Paired reads: give R1 and R2 (names with `_R1`/`_R2` or `_1`/`_2`). "
                    "Files are validated before anything is registered."
                ),
                mo.hstack([upload_reference, upload_reads]),
                data_root,
                browse,
                mo.hstack([sample_name, register]),
            ]
        )
    data_form
    return (
        browse,
        demo_coverage,
        demo_difficulty,
        demo_samples,
        demo_seed,
        demo_size,
        register,
        sample_name,
        upload_reads,
        upload_reference,
    )


@app.cell
def _(browse, register, sample_name, source, upload_reads, upload_reference):
    # Register uploaded or picked files as assets (only in "my own files" mode, on click).
    def pair_up(paths: list[Path]) -> tuple[Path, Path | None]:
        ordered = sorted(paths, key=lambda p: p.name)
        r1 = [p for p in ordered if any(t in p.name for t in ("_R1", "_1."))]
        r2 = [p for p in ordered if any(t in p.name for t in ("_R2", "_2."))]
        if r1 and r2:
            return r1[0], r2[0]
        return ordered[0], (ordered[1] if len(ordered) > 1 else None)

    registered_message = mo.md("")
    if source.value == "own" and register.value:
        _uploads = tempfile.TemporaryDirectory(prefix="stargazer-upload-")  # removed after
        upload_dir = Path(_uploads.name)
        for item in [*upload_reference.value, *upload_reads.value]:
            (upload_dir / Path(item.name).name).write_bytes(item.contents)
        made = []
        try:
            # Picked paths are checked again, symlinks resolved, before anything is read.
            picked = [check_path(entry.path) for entry in browse.value]
            files = [*upload_dir.iterdir(), *picked]
            fastas = [p for p in files if p.name.endswith((".fa", ".fasta", ".fna", ".fa.gz"))]
            fastqs = [p for p in files if ".fastq" in p.name or ".fq" in p.name]
            for fasta in fastas:
                made.append(Reference.create_sync(fasta, build=fasta.stem))
            if fastqs:
                r1, r2 = pair_up(fastqs)
                made.append(
                    Reads.create_sync(
                        r1,
                        companions={"r2": r2} if r2 else None,
                        sample_id=sample_name.value,
                    )
                )
        except (InvalidAssetError, PermissionError, ValueError) as err:
            registered_message = mo.callout(mo.md(f"**Refused:** {err}"), kind="danger")
        else:
            registered_message = mo.callout(
                mo.md(
                    "Registered: "
                    + ", ".join(f"{a.kind} `{a.id[:16]}…`" for a in made)
                    + (" — nothing selected yet." if not made else "")
                ),
                kind="success",
            )
    registered_message
    return (registered_message,)


@app.cell
def _(registered_message, source):
    # Inputs already in the store, refreshed after every registration.
    registered_message
    references = {f"{r.build or 'reference'} · {r.id[7:19]}": r for r in assemble(kind="reference")}
    reads_sets = {f"{r.sample_id} · {r.id[7:19]}": r for r in assemble(kind="reads")}
    pick_reference = mo.ui.dropdown(
        references, value=next(iter(references), None), label="reference"
    )
    pick_reads = mo.ui.multiselect(reads_sets, label="samples (one or more)")
    mo.hstack([pick_reference, pick_reads]) if source.value == "own" else mo.md("")
    return pick_reads, pick_reference


@app.cell
def _():
    threads = mo.ui.slider(1, 8, value=2, label="threads per tool", show_value=True)
    cohort = mo.ui.text(value="", placeholder="sample ids joined by _", label="cohort name")
    min_qual = mo.ui.slider(0, 100, value=0, step=5, label="min QUAL for scoring", show_value=True)
    start = mo.ui.run_button(label="Run variant calling", kind="success")
    mo.vstack([mo.md("**2. Parameters**"), mo.hstack([threads, cohort, min_qual]), start])
    return cohort, min_qual, start, threads


@app.cell
def _(
    demo_coverage,
    demo_difficulty,
    demo_samples,
    demo_seed,
    demo_size,
    pick_reads,
    pick_reference,
    source,
    start,
):
    # Inputs for the run. In the browser nothing runs until you press the button; as a script
    # (`python notebooks/workflows/variant_calling.py`) the demo runs straight away.
    mo.stop(
        mo.running_in_notebook() and not start.value,
        mo.md("_Press **Run variant calling** to start._"),
    )
    truth = demo_files = None
    if source.value == "demo":
        spec = GermlineSpec(
            size=parse_size(demo_size.value),
            coverage=demo_coverage.value,
            samples=demo_samples.value,
            difficulty=demo_difficulty.value,
            seed=int(demo_seed.value),
        )
        # removed when the next run replaces it, or with the kernel; the store keeps the data
        demo_files = tempfile.TemporaryDirectory(prefix="stargazer-germline-")
        demo_dir = Path(demo_files.name)
        with mo.status.spinner(title="Simulating demo data…"):
            demo = generate(spec, demo_dir)
            reference = Reference.create_sync(demo.reference, build="demo")
            samples = [
                Reads.create_sync(r1, companions={"r2": r2}, sample_id=sample)
                for sample, (r1, r2) in demo.reads.items()
            ]
        truth = demo.truth
    else:
        mo.stop(
            pick_reference.value is None or not pick_reads.value,
            mo.md("_Register or pick a reference and at least one sample above._"),
        )
        reference, samples = pick_reference.value, list(pick_reads.value)
    return demo_files, reference, samples, truth


@app.cell
def _(cohort, context, reference, samples, threads):
    def finished_steps(since: float) -> list[str]:
        """Steps of this run that have finished, from Flyte's local run history."""
        if context.mode != "local" or context.config_path is None:
            return []
        database = context.config_path.parent / "local-cache" / "cache.db"
        if not database.exists():
            return []
        with sqlite3.connect(database) as connection:
            rows = connection.execute(
                "SELECT short_name, cache_hit FROM runs WHERE start_time >= ? "
                "AND action_name != 'a0' AND status = 'succeeded' ORDER BY end_time",
                (since,),
            ).fetchall()
        return [f"{name}{' (cached)' if hit else ''}" for name, hit in rows]

    started_at = time.time()
    with (
        mo.status.spinner(title="Running germline_variants…") as spinner,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        future = pool.submit(
            lambda: flyte.run(
                germline_variants,
                reference=reference,
                samples=samples,
                cohort=cohort.value,
                threads=threads.value,
            ).outputs()[0]
        )
        while not future.done():
            done = finished_steps(started_at)
            spinner.update(subtitle=f"finished: {', '.join(done) or 'nothing yet'}")
            time.sleep(0.5)
        variants = future.result()
    run_seconds = time.time() - started_at
    steps = finished_steps(started_at)
    mo.callout(
        mo.md(
            f"**Done in {run_seconds:.1f} s** — {len(steps)} steps: {', '.join(steps)}. "
            f"Variants: `{variants.id[:24]}…`"
        ),
        kind="success",
    )
    return (variants,)


@app.cell
def _(variants):
    # The workflow registers an alignment_qc table for every alignment the variants were
    # called from; `qc_for` finds them through lineage.
    qc_tables = {table.sample_id: json.loads(table.path.read_text()) for table in qc_for(variants)}
    return (qc_tables,)


@app.cell
def _(qc_tables):
    qc_rows = []
    for _sample, _qc in qc_tables.items():
        metrics = _qc["metrics"]
        qc_rows.append(
            {
                "sample": _sample,
                "reads": int(metrics["reads"]),
                "mapped %": round(100 * metrics["mapping_rate"], 2),
                "properly paired %": round(100 * metrics["properly_paired_rate"], 2),
                "duplicates %": round(100 * metrics["duplicate_rate"], 2),
                "mean depth": round(metrics["mean_depth"], 1),
                "≥10x %": round(100 * metrics["fraction_10x"], 1),
                "median insert": metrics["insert_size_median"],
            }
        )
    mo.vstack(
        [
            mo.md("## Mapping and duplicates"),
            mo.ui.table(qc_rows, selection=None, label="alignment QC per sample"),
        ]
    )
    return


@app.cell
def _(qc_tables):
    windows = pd.DataFrame(
        [dict(row, sample=sample) for sample, qc in qc_tables.items() for row in qc["windows"]]
    )
    coverage_chart = (
        alt.Chart(windows)
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("start:Q", title="position (bp)"),
            y=alt.Y("depth:Q", title="mean depth"),
            color="sample:N",
            tooltip=["contig", "start", "end", "depth", "sample"],
        )
        .properties(width=280, height=180)
        .facet(column=alt.Column("contig:N"))
        .resolve_scale(x="independent")
    )
    mo.Html(
        "<div id='coverage-plot'>"
        + mo.vstack(
            [mo.md("## Coverage along the reference"), mo.ui.altair_chart(coverage_chart)]
        ).text
        + "</div>"
    )
    return


@app.cell
async def _(variants):
    vcf_path = await variants.fetch()
    records = []
    with pysam.VariantFile(str(vcf_path)) as vcf:
        sample_names = list(vcf.header.samples)
        for record in vcf:
            alt_allele = record.alts[0] if record.alts else "."
            if len(record.ref) == len(alt_allele) == 1:
                kind = "SNV"
            elif len(record.ref) == len(alt_allele):
                kind = "MNP"
            else:
                kind = "indel"
            for _sample in sample_names:
                genotype = record.samples[_sample]["GT"]
                if genotype is None or all(g in (0, None) for g in genotype):
                    continue
                records.append(
                    {
                        "sample": _sample,
                        "contig": record.chrom,
                        "position": record.pos,
                        "ref": record.ref,
                        "alt": alt_allele,
                        "type": kind,
                        "genotype": "/".join("." if g is None else str(g) for g in genotype),
                        "zygosity": "hom" if len(set(genotype)) == 1 else "het",
                        "quality": round(float(record.qual or 0.0), 1),
                        "indel length": len(alt_allele) - len(record.ref),
                    }
                )
    calls = pd.DataFrame(records)
    return calls, vcf_path


@app.cell
def _(calls):
    type_filter = mo.ui.multiselect(
        sorted(calls["type"].unique()) if len(calls) else [],
        value=sorted(calls["type"].unique()) if len(calls) else [],
        label="type",
    )
    genotype_filter = mo.ui.multiselect(
        sorted(calls["genotype"].unique()) if len(calls) else [],
        value=sorted(calls["genotype"].unique()) if len(calls) else [],
        label="genotype",
    )
    quality_filter = mo.ui.slider(0, 250, value=20, step=5, label="min quality", show_value=True)
    mo.vstack(
        [
            mo.md("## Variants"),
            mo.hstack([type_filter, genotype_filter, quality_filter], justify="start"),
        ]
    )
    return genotype_filter, quality_filter, type_filter


@app.cell
def _(calls, genotype_filter, quality_filter, type_filter):
    shown = (
        calls[
            calls["type"].isin(type_filter.value)
            & calls["genotype"].isin(genotype_filter.value)
            & (calls["quality"] >= quality_filter.value)
        ]
        if len(calls)
        else calls
    )
    mo.Html(
        "<div id='variant-table'>"
        + mo.ui.table(
            shown.reset_index(drop=True),
            page_size=15,
            selection=None,
            label=f"{len(shown)} of {len(calls)} calls",
        ).text
        + "</div>"
    )
    return


@app.cell
def _(calls):
    snvs = calls[calls["type"] == "SNV"] if len(calls) else calls
    transitions = {("A", "G"), ("G", "A"), ("C", "T"), ("T", "C")}
    n_ti = sum((r, a) in transitions for r, a in zip(snvs["ref"], snvs["alt"], strict=True))
    n_tv = len(snvs) - n_ti
    indels = calls[calls["type"] == "indel"] if len(calls) else calls
    summary = mo.ui.table(
        [
            {"measure": "SNVs", "value": len(snvs)},
            {"measure": "indels", "value": len(indels)},
            {"measure": "transitions", "value": n_ti},
            {"measure": "transversions", "value": n_tv},
            {"measure": "Ti/Tv", "value": round(n_ti / n_tv, 2) if n_tv else "—"},
            {
                "measure": "het / hom",
                "value": f"{(calls['zygosity'] == 'het').sum()} / "
                f"{(calls['zygosity'] == 'hom').sum()}"
                if len(calls)
                else "—",
            },
        ],
        selection=None,
    )
    indel_chart = (
        alt.Chart(indels if len(indels) else pd.DataFrame({"indel length": []}))
        .mark_bar()
        .encode(
            x=alt.X("indel length:O", title="indel length (bp; negative = deletion)"),
            y=alt.Y("count():Q", title="calls"),
        )
        .properties(height=160, width=360)
    )
    mo.vstack(
        [
            mo.md("## Ti/Tv and indel sizes"),
            mo.hstack([summary, mo.ui.altair_chart(indel_chart)], align="start"),
        ]
    )
    return


@app.cell
def _(min_qual, reference, truth, variants):
    # Demo data carries its planted truth: score the calls against it (genotype-level match).
    mo.stop(truth is None)
    truth_asset = Variants.create_sync(truth, cohort="truth", caller="planted")
    accuracy_table = flyte.run(
        variant_accuracy,
        calls=variants,
        truth=truth_asset,
        reference=reference,
        min_qual=float(min_qual.value),
    ).outputs()[0]
    accuracy = json.loads(accuracy_table.path.read_text())
    measures = ("tp", "fp", "fn", "precision", "recall", "f1")
    mo.vstack(
        [
            mo.md("## Against the planted truth"),
            mo.ui.table(
                [
                    {"type": kind.upper() if kind == "snv" else kind}
                    | {key: accuracy[kind].get(key) for key in measures}
                    for kind in ("snv", "indel")
                ],
                selection=None,
            ),
        ]
    )
    return


@app.cell
def _(truth, vcf_path):
    downloads = [
        mo.download(
            data=Path(vcf_path).read_bytes(),
            filename="variants.vcf.gz",
            mimetype="application/gzip",
            label="Download the VCF",
        )
    ]
    if truth is not None:
        downloads.append(
            mo.download(
                data=Path(truth).read_bytes(),
                filename="truth.vcf.gz",
                mimetype="application/gzip",
                label="Download the planted truth",
            )
        )
    mo.vstack([mo.md("## Download"), mo.hstack(downloads, justify="start")])
    return


if __name__ == "__main__":
    app.run()
