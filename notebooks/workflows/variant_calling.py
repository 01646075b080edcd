import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup(hide_code=True):
    import json
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
    from stargazer.utils import (
        execution_context,
        label_of,
        labels_of,
        picker_options,
        run_targets,
        task_history,
    )
    from stargazer.workflows import germline_variants
    from stargazer.workflows.germline import qc_for


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    # Variant calling: FASTQ → VCF

    Align paired reads to a reference (BWA-MEM), mark duplicates, call SNVs and short indels
    (bcftools) for one sample or a cohort, then look at the result: mapping and duplicate
    rates, coverage along the reference, the variants themselves, Ti/Tv and indel sizes.
    Every step is a cached Flyte task (`stargazer.workflows.germline_variants`): run it again
    with the same inputs and it returns at once.

    **How to use it:** ① choose the data (demo data is ready to go), ② set the parameters,
    ③ press **Run variant calling**. Nothing heavy runs until you press it; results appear
    in tabs at the bottom, with the run history (what ran, what came from the cache).
    """)
    return


@app.cell(hide_code=True)
def _():
    flyte.init_from_config()
    context = execution_context()
    targets = run_targets(context)
    usable = {target.label: target.mode for target in targets if target.available}
    run_where = mo.ui.radio(
        usable, value=next(iter(usable)), label="**Run where**", disabled=len(usable) == 1
    )
    unavailable = [f"*{t.label}*: {t.reason}" for t in targets if not t.available]
    mo.vstack(
        [
            mo.callout(mo.md(f"**Tasks in this notebook run {context.describe()}**"), kind="info"),
            mo.hstack([run_where, mo.md("<br>".join(unavailable))], justify="start", gap=2),
        ]
    )
    return context, run_where


@app.cell(hide_code=True)
def _():
    source = mo.ui.radio(
        options={"demo data (simulated, with known truth)": "demo", "my own files": "own"},
        value="demo data (simulated, with known truth)",
        label="**1. Data**",
    )
    source
    return (source,)


@app.cell(hide_code=True)
def _():
    # The file picker opens only folders Stargazer may read: the workspace and the data
    # folders listed in STARGAZER_DATA_DIRS or `[tool.stargazer] data_dirs` (pyproject.toml).
    roots = [str(root) for root in allowed_roots()]
    data_root = mo.ui.dropdown(roots, value=roots[0], label="folder")
    return (data_root,)


@app.cell(hide_code=True)
def _(data_root, source):
    demo_size = mo.ui.dropdown(["20kb", "50kb", "200kb", "1Mb"], value="50kb", label="genome")
    demo_coverage = mo.ui.slider(4, 40, value=15, step=1, label="coverage", show_value=True)
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
                    "Uploads pass through the browser into memory and are limited to 100 MB "
                    "per file. For real data, don't upload: pick the files where they are "
                    "with the file browser below (any folder in your allowed data roots). "
                    "They are registered by path: hardlinked into the store when on the same "
                    "disk, otherwise copied once by the store, never through the browser. "
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


@app.cell(hide_code=True)
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


@app.cell(hide_code=True)
def _():
    # What the pickers had selected, by asset id: kept when they are rebuilt below.
    get_reference_id, set_reference_id = mo.state(None)
    get_reads_ids, set_reads_ids = mo.state([])
    return get_reads_ids, get_reference_id, set_reads_ids, set_reference_id


@app.cell(hide_code=True)
def _(
    get_reads_ids,
    get_reference_id,
    registered_message,
    set_reads_ids,
    set_reference_id,
    source,
):
    # Inputs already in the store, newest first, refreshed after every registration.
    registered_message
    references = picker_options(assemble(kind="reference"))
    reads_sets = picker_options(assemble(kind="reads"))
    pick_reference = mo.ui.dropdown(
        references,
        value=label_of(references, get_reference_id()) or next(iter(references), None),
        label="reference",
        on_change=lambda chosen: set_reference_id(chosen.id if chosen else None),
    )
    pick_reads = mo.ui.multiselect(
        reads_sets,
        value=labels_of(reads_sets, get_reads_ids()),
        label="samples (one or more)",
        on_change=lambda chosen: set_reads_ids([asset.id for asset in chosen]),
    )
    mo.vstack([pick_reference, pick_reads]) if source.value == "own" else mo.md("")
    return pick_reads, pick_reference


@app.cell(hide_code=True)
def _():
    threads = mo.ui.slider(1, 8, value=2, label="threads per tool", show_value=True)
    cohort = mo.ui.text(value="", placeholder="sample ids joined by _", label="cohort name")
    min_qual = mo.ui.slider(0, 100, value=0, step=5, label="min QUAL for scoring", show_value=True)
    mo.vstack([mo.md("**2. Parameters**"), mo.hstack([threads, cohort, min_qual])])
    return cohort, min_qual, threads


@app.cell(hide_code=True)
def _():
    # The run request: set only by the Run button, so moving a slider or pressing Enter in a
    # text box changes nothing until the button is pressed.
    get_request, set_request = mo.state(None)
    return get_request, set_request


@app.cell(hide_code=True)
def _(
    cohort,
    demo_coverage,
    demo_difficulty,
    demo_samples,
    demo_seed,
    demo_size,
    min_qual,
    pick_reads,
    pick_reference,
    run_where,
    set_request,
    source,
    threads,
):
    def request_run(_clicked: bool) -> None:
        set_request(
            {
                "source": source.value,
                "size": demo_size.value,
                "coverage": demo_coverage.value,
                "samples": demo_samples.value,
                "difficulty": demo_difficulty.value,
                "seed": int(demo_seed.value),
                "reference": pick_reference.value,
                "reads": list(pick_reads.value),
                "threads": threads.value,
                "cohort": cohort.value.strip(),
                "min_qual": min_qual.value,
                "mode": run_where.value,
            }
        )

    start = mo.ui.run_button(label="Run variant calling", kind="success", on_change=request_run)
    mo.vstack([mo.md("**3. Run**"), start])
    return


@app.cell(hide_code=True)
def _(get_request):
    # In the browser nothing runs until the Run button sets the request; as a script
    # (`python notebooks/workflows/variant_calling.py`) the small demo runs straight away.
    request = get_request() or (
        None
        if mo.running_in_notebook()
        else {
            "source": "demo",
            "size": "20kb",
            "coverage": 8,
            "samples": 1,
            "difficulty": "easy",
            "seed": 7,
            "reference": None,
            "reads": [],
            "threads": 2,
            "cohort": "",
            "min_qual": 0,
            "mode": "local",
        }
    )
    outcome = None
    if (
        request is not None
        and request["source"] == "own"
        and (request["reference"] is None or not request["reads"])
    ):
        mo.output.replace(mo.md("_Register or pick a reference and at least one sample above._"))
    elif request is not None:
        truth = demo_files = None
        if request["source"] == "demo":
            spec = GermlineSpec(
                size=parse_size(request["size"]),
                coverage=request["coverage"],
                samples=request["samples"],
                difficulty=request["difficulty"],
                seed=request["seed"],
            )
            # removed when the next run replaces it, or with the kernel; the store keeps the data
            demo_files = tempfile.TemporaryDirectory(prefix="stargazer-germline-")
            with mo.status.spinner(title="Simulating demo data…"):
                demo = generate(spec, Path(demo_files.name))
                reference = Reference.create_sync(demo.reference, build="demo")
                samples = [
                    Reads.create_sync(r1, companions={"r2": r2}, sample_id=sample)
                    for sample, (r1, r2) in demo.reads.items()
                ]
            truth = demo.truth
        else:
            reference, samples = request["reference"], request["reads"]

        runner = flyte.with_runcontext(mode=request["mode"])
        started_at = time.time()
        with (
            mo.status.spinner(title="Running germline_variants…") as spinner,
            ThreadPoolExecutor(max_workers=1) as pool,
        ):
            future = pool.submit(
                lambda: runner.run(
                    germline_variants,
                    reference=reference,
                    samples=samples,
                    cohort=request["cohort"],
                    threads=request["threads"],
                ).outputs()[0]
            )
            while not future.done():
                done = [step.task for step in reversed(task_history(since=started_at))]
                spinner.update(subtitle=f"finished: {', '.join(done) or 'nothing yet'}")
                time.sleep(0.5)
            variants = future.result()
        accuracy = None
        if truth is not None:
            # Demo data carries its planted truth: score the calls (genotype-level match).
            truth_asset = Variants.create_sync(truth, cohort="truth", caller="planted")
            accuracy_table = runner.run(
                variant_accuracy,
                calls=variants,
                truth=truth_asset,
                reference=reference,
                min_qual=float(request["min_qual"]),
            ).outputs()[0]
            accuracy = json.loads(accuracy_table.path.read_text())
        outcome = {
            "variants": variants,
            "truth": truth,
            "accuracy": accuracy,
            "demo_files": demo_files,
            "started_at": started_at,
            "seconds": time.time() - started_at,
        }
        mo.output.replace(
            mo.callout(
                mo.md(
                    f"**Done in {outcome['seconds']:.1f} s.** Variants: `{variants.id[:24]}…` "
                    "— see the tabs below."
                ),
                kind="success",
            )
        )
    return (outcome,)


@app.cell(hide_code=True)
async def _(outcome):
    # Everything the result tabs show, read from the run's assets.
    qc_tables, calls, vcf_path = {}, pd.DataFrame(), None
    if outcome is not None:
        # The workflow registers an alignment_qc table for every alignment the variants were
        # called from; `qc_for` finds them through lineage.
        qc_tables = {
            table.sample_id: json.loads(table.path.read_text())
            for table in qc_for(outcome["variants"])
        }
        vcf_path = await outcome["variants"].fetch()
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
        calls = pd.DataFrame(
            records,
            columns=[
                "sample",
                "contig",
                "position",
                "ref",
                "alt",
                "type",
                "genotype",
                "zygosity",
                "quality",
                "indel length",
            ],
        )
    return calls, qc_tables, vcf_path


@app.cell(hide_code=True)
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
    return genotype_filter, quality_filter, type_filter


@app.cell(hide_code=True)
def _(outcome, qc_tables):
    # Mapping, coverage and Ti/Tv panels (built once per run).
    qc_panel = coverage_panel = None
    if outcome is not None:
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
        qc_panel = mo.ui.table(
            qc_rows, selection=None, page_size=10, label="alignment QC per sample"
        )
        windows = pd.DataFrame(
            [dict(row, sample=s) for s, qc in qc_tables.items() for row in qc["windows"]]
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
        coverage_panel = mo.Html(
            "<div id='coverage-plot'>" + mo.ui.altair_chart(coverage_chart).text + "</div>"
        )
    return coverage_panel, qc_panel


@app.cell(hide_code=True)
def _(calls, outcome):
    # Ti/Tv, indel sizes and, for demo data, accuracy against the planted truth.
    summary_panel = None
    if outcome is not None:
        snvs = calls[calls["type"] == "SNV"]
        transitions = {("A", "G"), ("G", "A"), ("C", "T"), ("T", "C")}
        n_ti = sum((r, a) in transitions for r, a in zip(snvs["ref"], snvs["alt"], strict=True))
        n_tv = len(snvs) - n_ti
        indels = calls[calls["type"] == "indel"]
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
                    f"{(calls['zygosity'] == 'hom').sum()}",
                },
            ],
            selection=None,
            page_size=10,
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
        parts = [mo.hstack([summary, mo.ui.altair_chart(indel_chart)], align="start")]
        planted = outcome["accuracy"]
        if planted is not None:
            measures = ("tp", "fp", "fn", "precision", "recall", "f1")
            parts += [
                mo.md("**Against the planted truth** (genotype-level match)"),
                mo.ui.table(
                    [
                        {"type": kind.upper() if kind == "snv" else kind}
                        | {key: planted[kind].get(key) for key in measures}
                        for kind in ("snv", "indel")
                    ],
                    selection=None,
                ),
            ]
        summary_panel = mo.vstack(parts)
    return (summary_panel,)


@app.cell(hide_code=True)
def _(outcome, vcf_path):
    downloads_panel = None
    if outcome is not None:
        downloads = [
            mo.download(
                data=Path(vcf_path).read_bytes(),
                filename="variants.vcf.gz",
                mimetype="application/gzip",
                label="Download the VCF",
            )
        ]
        if outcome["truth"] is not None:
            downloads.append(
                mo.download(
                    data=Path(outcome["truth"]).read_bytes(),
                    filename="truth.vcf.gz",
                    mimetype="application/gzip",
                    label="Download the planted truth",
                )
            )
        downloads_panel = mo.hstack(downloads, justify="start")
    return (downloads_panel,)


@app.cell(hide_code=True)
def _(context, outcome):
    # Run history that tells the truth: each task call of the last run, ran or from cache.
    steps = task_history(since=outcome["started_at"]) if outcome is not None else []
    if steps:
        cached = sum(step.cached for step in steps)
        history_panel = mo.vstack(
            [
                mo.md(
                    f"**{len(steps)} task calls: {len(steps) - cached} ran, {cached} came "
                    "from the cache.** A workflow that came from the cache is one row: its "
                    "tasks were not called. (Flyte's local history, `.flyte/local-cache`.)"
                ),
                mo.ui.table([step.row() for step in steps], selection=None, page_size=10),
            ]
        )
    elif context.mode != "local":
        history_panel = mo.md("_Remote runs: see the cluster's UI or `flyte get runs`._")
    else:
        history_panel = mo.md("_No task calls recorded for this run._")
    return (history_panel,)


@app.cell(hide_code=True)
def _():
    # Which result tab is open, kept when the tabs are rebuilt (e.g. after filtering).
    get_tab, set_tab = mo.state("Variants")
    return get_tab, set_tab


@app.cell(hide_code=True)
def _(
    calls,
    coverage_panel,
    downloads_panel,
    genotype_filter,
    get_tab,
    history_panel,
    outcome,
    qc_panel,
    quality_filter,
    set_tab,
    summary_panel,
    type_filter,
):
    if outcome is None:
        results = mo.md("_Results appear here after **Run variant calling**._")
    else:
        shown = calls[
            calls["type"].isin(type_filter.value)
            & calls["genotype"].isin(genotype_filter.value)
            & (calls["quality"] >= quality_filter.value)
        ]
        variant_panel = mo.vstack(
            [
                mo.hstack([type_filter, genotype_filter, quality_filter], justify="start"),
                mo.Html(
                    "<div id='variant-table'>"
                    + mo.ui.table(
                        shown.reset_index(drop=True),
                        page_size=15,
                        selection=None,
                        label=f"{len(shown)} of {len(calls)} calls",
                    ).text
                    + "</div>"
                ),
            ]
        )
        results = mo.ui.tabs(
            {
                "Variants": variant_panel,
                "Mapping & coverage": mo.vstack([qc_panel, coverage_panel]),
                "Ti/Tv, indels, accuracy": summary_panel,
                "Run history": history_panel,
                "Download": downloads_panel,
            },
            value=get_tab(),
            on_change=set_tab,
        )
    mo.vstack([mo.md("## Results"), results])
    return


if __name__ == "__main__":
    app.run()
