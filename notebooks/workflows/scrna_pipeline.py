import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup(hide_code=True):
    import math
    import sqlite3
    import tempfile
    import time
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    import altair as alt
    import anndata
    import flyte
    import marimo as mo
    import numpy as np
    import pandas as pd
    import scanpy as sc

    from stargazer.access import allowed_roots, check_path
    from stargazer.demo.scrna import simulate_counts
    from stargazer.errors import InvalidAssetError
    from stargazer.tasks import import_counts
    from stargazer.tasks.scrna.qc_filter import low_yield_warning, suggest_thresholds
    from stargazer.tasks.scrna.readers import h5_genomes
    from stargazer.tasks.scrna.warm_up import numba_code_compiled
    from stargazer.types import AnnData, assemble
    from stargazer.utils import (
        execution_context,
        labels_of,
        picker_options,
        run_targets,
        task_history,
    )
    from stargazer.workflows import scrna_clustering

    # What the upload and the file browser offer (10x folders are picked as folders).
    COUNT_FILETYPES = (".h5ad", ".h5", ".hdf5")
    # Folder names Cell Ranger uses for every sample: the sample name is the folder above.
    GENERIC_NAMES = {
        "outs",
        "filtered_feature_bc_matrix",
        "raw_feature_bc_matrix",
        "filtered_gene_bc_matrices",
        "raw_gene_bc_matrices",
        "sample_filtered_feature_bc_matrix",
    }


@app.cell(hide_code=True)
def _():
    mo.md(r"""
    # Single-cell RNA: counts → clusters and markers

    Quality control, normalisation, highly variable genes, PCA/neighbours/UMAP, Leiden
    clustering and marker genes, each a cached Flyte task
    (`stargazer.workflows.scrna_clustering`). Set the QC thresholds while looking at the
    distributions, then explore the clusters. Changing the **resolution** re-runs only
    clustering and markers: every earlier stage comes from the cache.
    """)
    return


@app.cell(hide_code=True)
def _():
    flyte.init_from_config()
    context = execution_context()
    _targets = run_targets(context)
    _usable = {target.label: target.mode for target in _targets if target.available}
    run_where = mo.ui.radio(
        _usable, value=next(iter(_usable)), label="**Run where**", disabled=len(_usable) == 1
    )
    mo.vstack(
        [
            mo.callout(mo.md(f"**Tasks in this notebook run {context.describe()}**"), kind="info"),
            mo.hstack(
                [
                    run_where,
                    mo.md(
                        "<br>".join(f"*{t.label}*: {t.reason}" for t in _targets if not t.available)
                    ),
                ],
                justify="start",
                gap=2,
            ),
        ]
    )
    return context, run_where


@app.cell(hide_code=True)
def _():
    source = mo.ui.radio(
        options={"demo data (planted cell types)": "demo", "my own files": "own"},
        value="demo data (planted cell types)",
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
    # Small by default when this notebook runs as a script (tests), bigger in the browser.
    interactive = mo.running_in_notebook()
    demo_cells = mo.ui.slider(
        300, 20_000, value=3000 if interactive else 400, step=100, label="cells", show_value=True
    )
    demo_genes = mo.ui.slider(
        200, 4000, value=1500 if interactive else 300, step=100, label="genes", show_value=True
    )
    demo_clusters = mo.ui.slider(
        2, 12, value=6 if interactive else 3, label="cell types", show_value=True
    )
    demo_samples = mo.ui.slider(1, 3, value=1, label="samples", show_value=True)
    demo_difficulty = mo.ui.dropdown(["easy", "moderate"], value="easy", label="difficulty")
    upload = mo.ui.file(
        filetypes=list(COUNT_FILETYPES), multiple=True, label="upload .h5ad / 10x .h5 files"
    )
    # Picked files and folders are read where they are (by path), never sent through the
    # browser: use this for anything large.
    browse = mo.ui.file_browser(
        initial_path=Path(data_root.value),
        restrict_navigation=True,
        filetypes=list(COUNT_FILETYPES),
        selection_mode="all",
        multiple=True,
        label="…or pick files or 10x folders in the workspace or a data folder",
    )
    if source.value == "demo":
        data_form = mo.hstack(
            [demo_cells, demo_genes, demo_clusters, demo_samples, demo_difficulty], wrap=True
        )
    else:
        data_form = mo.vstack(
            [
                mo.md(
                    "**Raw counts**, one sample per file or folder, in any form "
                    "`stargazer.tasks.import_counts` reads: a Cell Ranger folder "
                    "(`matrix.mtx`, `barcodes.tsv`, `features.tsv` or v2 `genes.tsv`, gzipped "
                    "or not), a 10x `.h5` (Cell Ranger 2 or 3+) or an AnnData `.h5ad`. The "
                    "file or folder name becomes the sample id. Uploads pass through the "
                    "browser into memory and are limited to 100 MB per file: pick anything "
                    "larger by path with the file browser (any folder in your allowed data "
                    "roots); it is read in place, never copied through the browser."
                ),
                upload,
                data_root,
                browse,
            ]
        )
    data_form
    return (
        browse,
        demo_cells,
        demo_clusters,
        demo_difficulty,
        demo_genes,
        demo_samples,
        upload,
    )


@app.cell(hide_code=True)
def _(browse, source, upload):
    # The files to import: uploads (saved to a temporary folder when registering) and picked
    # paths (checked against the allowed roots again, symlinks resolved, then read in place).
    picked_paths, pick_problem = [], None
    try:
        picked_paths = [check_path(entry.path) for entry in browse.value]
    except (InvalidAssetError, OSError, ValueError) as err:
        pick_problem = mo.callout(mo.md(f"**Refused:** {err}"), kind="danger")
    genomes = {}  # name -> the genomes of each multi-genome 10x .h5
    with tempfile.TemporaryDirectory(prefix="stargazer-genomes-") as _folder:
        for _item in upload.value:
            if Path(_item.name).suffix.lower() in (".h5", ".hdf5"):
                _copy = Path(_folder) / Path(_item.name).name
                _copy.write_bytes(_item.contents)
                genomes[_copy.name] = h5_genomes_or_none(_copy)
    for _path in picked_paths:
        if _path.is_file() and _path.suffix.lower() in (".h5", ".hdf5"):
            genomes[str(_path)] = h5_genomes_or_none(_path)
    genomes = {name: found for name, found in genomes.items() if found and len(found) > 1}
    all_genomes = sorted({g for found in genomes.values() for g in found})
    genome = mo.ui.dropdown(
        all_genomes, value=all_genomes[0] if all_genomes else None, label="genome to import"
    )
    register = mo.ui.run_button(label="Register files as assets")
    mo.vstack(
        [
            pick_problem or mo.md(""),
            mo.vstack(
                [
                    mo.md(
                        "These 10x `.h5` files hold several genomes (one matrix each, Cell "
                        "Ranger 2, or a mixed-species run): "
                        + "; ".join(
                            f"`{Path(name).name}`: {', '.join(found)}"
                            for name, found in genomes.items()
                        )
                        + ". Choose the genome to import:"
                    ),
                    genome,
                ]
            )
            if genomes
            else mo.md(""),
            register,
        ]
    ) if source.value == "own" else mo.md("")
    return genome, genomes, picked_paths, register


@app.cell(hide_code=True)
def _(genome, genomes, picked_paths, register, source, upload):
    registered_message = mo.md("")
    if source.value == "own" and register.value:
        made, problems = [], []
        with (
            tempfile.TemporaryDirectory(prefix="stargazer-upload-") as _uploads,
            mo.status.spinner(title="Importing counts…") as _spinner,
        ):
            for _item in upload.value:
                (Path(_uploads) / Path(_item.name).name).write_bytes(_item.contents)
            for _path in [*sorted(Path(_uploads).iterdir()), *picked_paths]:
                multi = str(_path) in genomes or _path.name in genomes
                chosen = genome.value if multi and genome.value else ""
                name = sample_name(_path) + (f"-{chosen}" if chosen else "")
                _spinner.update(subtitle=f"{_path.name} as {name}")
                try:
                    _run = flyte.run(import_counts, path=str(_path), sample_id=name, genome=chosen)
                    made.append(_run.outputs()[0])
                except (
                    flyte.errors.RuntimeUserError,
                    InvalidAssetError,
                    OSError,
                    ValueError,
                ) as err:
                    problems.append(f"- `{_path.name}`: {err}")
        parts = []
        if made:
            parts.append(
                mo.callout(
                    mo.md(
                        f"Registered {len(made)} sample(s): "
                        + ", ".join(f"{a.sample_id} ({a.n_obs} cells)" for a in made)
                    ),
                    kind="success",
                )
            )
        if problems:
            parts.append(mo.callout(mo.md("**Refused:**\n\n" + "\n".join(problems)), kind="danger"))
        if not made and not problems:
            parts.append(mo.callout(mo.md("Upload or pick a file first."), kind="warn"))
        registered_message = mo.vstack(parts)
    registered_message
    return (registered_message,)


@app.cell(hide_code=True)
def _():
    # The samples picked, by asset id: kept when the picker is rebuilt below.
    get_sample_ids, set_sample_ids = mo.state([])
    return get_sample_ids, set_sample_ids


@app.cell(hide_code=True)
def _(get_sample_ids, registered_message, set_sample_ids, source):
    # Raw count matrices in the store, newest first, refreshed after every registration.
    registered_message
    raw_assets = picker_options(assemble(kind="anndata", stage="raw"))
    pick_samples = mo.ui.multiselect(
        raw_assets,
        value=labels_of(raw_assets, get_sample_ids()),
        label="samples",
        on_change=lambda chosen: set_sample_ids([asset.id for asset in chosen]),
    )
    pick_samples if source.value == "own" else mo.md("")
    return (pick_samples,)


@app.cell(hide_code=True)
def _(
    demo_cells,
    demo_clusters,
    demo_difficulty,
    demo_genes,
    demo_samples,
    pick_samples,
    source,
):
    _waiting = ""
    if source.value == "demo":
        _demo_files = tempfile.TemporaryDirectory(prefix="stargazer-scrna-")  # removed after
        demo_dir = Path(_demo_files.name)
        samples = []
        with mo.status.spinner(title="Simulating counts…"):
            for index in range(demo_samples.value):
                _counts = simulate_counts(
                    cells=demo_cells.value,
                    genes=demo_genes.value,
                    clusters=demo_clusters.value,
                    difficulty=demo_difficulty.value,
                    seed=index,
                )
                path = demo_dir / f"sample{index + 1}.h5ad"
                _counts.write_h5ad(path)
                samples.append(
                    AnnData.create_sync(
                        path,
                        sample_id=path.stem,
                        stage="raw",
                        n_obs=int(_counts.n_obs),
                        n_vars=int(_counts.n_vars),
                    )
                )
    else:
        # Nothing picked yet: say so here, and the QC cells below stay empty (no stopped cells).
        samples = list(pick_samples.value)
        _waiting = "" if samples else "_Register or pick at least one sample above._"
    mo.md(_waiting)
    return (samples,)


@app.cell(hide_code=True)
def _(samples):
    # Per-cell QC metrics of the raw counts, computed here for the plots (the qc_filter task
    # computes the same with scanpy before it filters). None until there are samples.
    frames = []
    for asset in samples:
        raw = anndata.read_h5ad(asset.path)
        raw.var["mt"] = raw.var_names.str.upper().str.startswith("MT-")
        sc.pp.calculate_qc_metrics(raw, qc_vars=["mt"], percent_top=None, inplace=True)
        frames.append(
            raw.obs[["n_genes_by_counts", "total_counts", "pct_counts_mt"]].assign(
                sample=asset.sample_id
            )
        )
    qc_frame = pd.concat(frames, ignore_index=True) if frames else None
    return (qc_frame,)


@app.cell(hide_code=True)
def _(qc_frame):
    # The thresholds the sliders start from: the task's defaults, or the suggested ones once
    # "Use the suggested thresholds" is pressed (new data starts from the defaults again).
    get_thresholds, set_thresholds = mo.state(
        {"min_genes": 200, "min_counts": 0, "max_pct_mt": 20.0}
        if qc_frame is not None and len(qc_frame)
        else {}
    )
    return get_thresholds, set_thresholds


@app.cell(hide_code=True)
def _(get_thresholds, qc_frame):
    start_at = get_thresholds()

    def upper(column: str, quantile: float, floor: int) -> int:
        """A slider's top: a quantile of the data (at least `floor`); `floor` without data."""
        return floor if qc_frame is None else max(floor, int(qc_frame[column].quantile(quantile)))

    min_genes = mo.ui.slider(
        0,
        upper("n_genes_by_counts", 0.95, 200),
        value=int(start_at.get("min_genes", 0)),
        step=1,
        label="min genes per cell",
        show_value=True,
    )
    min_counts = mo.ui.slider(
        0,
        upper("total_counts", 0.5, 50),
        value=int(start_at.get("min_counts", 0)),
        step=1,
        label="min counts per cell",
        show_value=True,
    )
    max_pct_mt = mo.ui.slider(
        1,
        100,
        value=min(100, math.ceil(start_at.get("max_pct_mt", 20))),
        label="max % mitochondrial",
        show_value=True,
    )
    remove_doublets = mo.ui.checkbox(value=True, label="remove predicted doublets (scrublet)")
    (
        mo.md("")
        if qc_frame is None
        else mo.vstack(
            [
                mo.md("## 2. Quality control"),
                mo.hstack([min_genes, min_counts, max_pct_mt, remove_doublets], wrap=True),
            ]
        )
    )
    return max_pct_mt, min_counts, min_genes, remove_doublets


@app.cell(hide_code=True)
def _(max_pct_mt, min_counts, min_genes, qc_frame, set_thresholds):
    # Under 10% of cells kept (a 1,000-gene panel under min_genes=200, say): say so, and offer
    # thresholds from this data's own distribution, as the qc_filter task warns.
    thresholds = {
        "min_genes": min_genes.value,
        "min_counts": min_counts.value,
        "max_pct_mt": float(max_pct_mt.value),
    }
    qc_warning = "" if qc_frame is None else low_yield_warning(qc_frame, source="", **thresholds)
    suggested = {} if qc_frame is None else suggest_thresholds(qc_frame, **thresholds)
    use_suggested = mo.ui.button(
        label="Use the suggested thresholds",
        kind="warn",
        on_click=lambda _: set_thresholds(dict(suggested)),
    )
    (
        mo.callout(
            mo.vstack([mo.md(f"**Few cells pass QC.** {qc_warning}"), use_suggested]), kind="warn"
        )
        if qc_warning
        else mo.md("")
    )
    return


@app.cell(hide_code=True)
def _(max_pct_mt, min_counts, min_genes, qc_frame):
    mo.stop(qc_frame is None)  # no samples yet: no output (and this cell has no descendants)
    kept = (
        (qc_frame["n_genes_by_counts"] >= min_genes.value)
        & (qc_frame["total_counts"] >= min_counts.value)
        & (qc_frame["pct_counts_mt"] <= max_pct_mt.value)
    )
    shown_qc = qc_frame.assign(kept=np.where(kept, "kept", "removed"))

    def histogram(column: str, title: str, threshold: float, log: bool = False):
        # Binned in a transform, so the axis gets a few round ticks (not one label per bin
        # edge, which overlapped) in short form (1.2k).
        bars = (
            alt.Chart(shown_qc)
            .transform_bin(as_=["bin_start", "bin_end"], field=column, bin=alt.Bin(maxbins=50))
            .mark_bar(opacity=0.8)
            .encode(
                x=alt.X(
                    "bin_start:Q",
                    title=title,
                    axis=alt.Axis(tickCount=4, labelOverlap="greedy", format="~s"),
                ),
                x2="bin_end:Q",
                y=alt.Y(
                    "count():Q", title="cells", scale=alt.Scale(type="symlog" if log else "linear")
                ),
                color=alt.Color(
                    "kept:N",
                    scale=alt.Scale(domain=["kept", "removed"], range=["#4c78a8", "#e45756"]),
                ),
            )
        )
        rule = (
            alt.Chart(pd.DataFrame({column: [threshold]}))
            .mark_rule(color="black", strokeDash=[4, 4])
            .encode(x=f"{column}:Q")
        )
        return (bars + rule).properties(width=230, height=160)

    qc_chart = alt.hconcat(
        histogram("n_genes_by_counts", "genes per cell", min_genes.value),
        histogram("total_counts", "counts per cell", min_counts.value),
        histogram("pct_counts_mt", "% mitochondrial", max_pct_mt.value),
    )
    mo.vstack(
        [
            mo.ui.altair_chart(qc_chart),
            mo.md(
                f"**{int(kept.sum())} of {len(kept)} cells** pass these thresholds "
                "(doublet removal and the gene filter happen in the task)."
            ),
        ]
    )
    return


@app.cell(hide_code=True)
def _():
    n_top_genes = mo.ui.slider(
        200, 4000, value=2000, step=100, label="highly variable genes", show_value=True
    )
    resolution = mo.ui.slider(
        0.1, 2.0, value=1.0, step=0.1, label="Leiden resolution", show_value=True
    )
    start = mo.ui.run_button(label="Run the pipeline", kind="success")
    # Remembers the first press, so that afterwards every slider re-runs the pipeline.
    get_started, set_started = mo.state(False)
    # The UMAP colouring chosen last, kept when new results replace the plot.
    get_color_by, set_color_by = mo.state("cluster")
    # scanpy, UMAP and pynndescent compile their numerical code (numba) on first use and keep
    # it on disk; `make install` does that ahead of time (stargazer.tasks.scrna.warm_up).
    compiled = numba_code_compiled()
    first_run_note = mo.callout(
        mo.md(
            "**The first run on this machine takes about a minute longer:** scanpy and UMAP "
            "compile their numerical code once and keep it on disk (`make install` usually "
            "does this ahead of time: `python -m stargazer.tasks.scrna.warm_up`). Later runs, "
            "here or in any new session, start at once."
        ),
        kind="info",
    )
    mo.vstack(
        [
            mo.md("## 3. Clustering"),
            mo.hstack([n_top_genes, resolution]),
            start,
            mo.md("") if compiled else first_run_note,
        ]
    )
    return (
        compiled,
        get_color_by,
        get_started,
        n_top_genes,
        resolution,
        set_color_by,
        set_started,
        start,
    )


@app.cell(hide_code=True)
def _(
    compiled,
    context,
    get_started,
    max_pct_mt,
    min_counts,
    min_genes,
    n_top_genes,
    remove_doublets,
    resolution,
    run_where,
    samples,
    set_started,
    start,
):
    # In the browser nothing runs until the first press of the button; after that, moving a
    # slider re-runs the workflow, and only the stages it changes do any work.
    # Until then the results are None and the cells below show nothing (no grey
    # "ancestor stopped" boxes).
    if start.value:
        set_started(True)
    waiting = mo.running_in_notebook() and not (start.value or get_started())

    def stages_since(since: float) -> list[tuple[str, bool]]:
        if context.mode != "local" or context.config_path is None:
            return []
        database = context.config_path.parent / "local-cache" / "cache.db"
        if not database.exists():
            return []
        with sqlite3.connect(database) as connection:
            return connection.execute(
                "SELECT short_name, cache_hit FROM runs WHERE start_time >= ? "
                "AND action_name != 'a0' AND status = 'succeeded' ORDER BY end_time",
                (since,),
            ).fetchall()

    clustered = markers = None
    if waiting:
        run_output = mo.md("_Press **Run the pipeline** to start._")
    else:
        started_at = time.time()
        with (
            mo.status.spinner(
                title="Running scrna_clustering…"
                if compiled
                else "Running scrna_clustering (compiling numerical code once, about a minute; "
                "later runs are fast)…"
            ) as spinner,
            ThreadPoolExecutor(max_workers=1) as pool,
        ):
            future = pool.submit(
                lambda: (
                    flyte.with_runcontext(mode=run_where.value)
                    .run(
                        scrna_clustering,
                        samples=samples,
                        min_genes=min_genes.value,
                        min_counts=min_counts.value,
                        max_pct_mt=float(max_pct_mt.value),
                        remove_doublets=remove_doublets.value,
                        n_top_genes=n_top_genes.value,
                        resolution=float(resolution.value),
                    )
                    .outputs()
                )
            )
            while not future.done():
                done = stages_since(started_at)
                spinner.update(
                    subtitle="finished: " + (", ".join(n for n, _ in done) or "nothing yet")
                )
                time.sleep(0.5)
            outputs = future.result()
        seconds = time.time() - started_at
        stages = stages_since(started_at)
        clustered, markers = outputs[0], outputs[1]
        run_output = mo.callout(
            mo.md(
                f"**Done in {seconds:.1f} s.** Stages: "
                + ", ".join(
                    f"{name} ({'cached' if hit else 'ran'})"
                    for name, hit in stages
                    if name != "scrna_clustering"
                )
                + (
                    " — the whole workflow was a cache hit"
                    if (("scrna_clustering", 1) in stages)
                    else ""
                )
            ),
            kind="success",
        )
    run_output
    return clustered, markers


@app.cell(hide_code=True)
def _(clustered, get_color_by, set_color_by):
    cells = umap = None
    _options = ["cluster"]
    if clustered is not None:
        cells = anndata.read_h5ad(clustered.path)
        umap = pd.DataFrame(cells.obsm["X_umap"], columns=["UMAP1", "UMAP2"], index=cells.obs_names)
        umap["cluster"] = cells.obs["leiden"].astype(str).to_numpy()
        _options = ["cluster", *sorted(cells.var_names)]
    color_by = mo.ui.dropdown(
        _options,
        value=get_color_by() if get_color_by() in _options else "cluster",
        label="colour UMAP by",
        searchable=True,
        on_change=set_color_by,  # kept for the next results (a new resolution, new data)
    )
    color_by if cells is not None else mo.md("")
    return cells, color_by, umap


@app.cell(hide_code=True)
def _(cells, color_by, umap):
    _shown = mo.md("")
    if cells is not None:
        if color_by.value == "cluster":
            colored = umap
            color = alt.Color("cluster:N", title="cluster")
        else:
            expression = cells[:, color_by.value].X
            expression = (
                expression.toarray().ravel()
                if hasattr(expression, "toarray")
                else np.asarray(expression).ravel()
            )
            colored = umap.assign(expression=expression)
            color = alt.Color(
                "expression:Q", scale=alt.Scale(scheme="viridis"), title=color_by.value
            )
        umap_chart = (
            alt.Chart(colored.reset_index(drop=True))
            .mark_circle(size=12, opacity=0.8)
            .encode(x="UMAP1:Q", y="UMAP2:Q", color=color, tooltip=["cluster"])
            .properties(width=520, height=420, title=f"UMAP coloured by {color_by.value}")
        )
        _shown = mo.ui.altair_chart(umap_chart)
    _shown
    return


@app.cell(hide_code=True)
def _(markers):
    marker_frame = None if markers is None else pd.read_csv(markers.path, sep="\t")
    top_n = mo.ui.slider(
        1, 10, value=3, label="markers per cluster in the dot plot", show_value=True
    )
    mo.md("") if marker_frame is None else mo.vstack(
        [
            mo.md("## Marker genes"),
            mo.ui.table(
                marker_frame,
                page_size=10,
                selection=None,
                # p-values in scientific notation: most are far below 0.001
                format_mapping={
                    "pval": "{:.2e}".format,
                    "pval_adj": "{:.2e}".format,
                    "score": "{:.2f}".format,
                    "logfoldchange": "{:.2f}".format,
                    "pct_in": "{:.2f}".format,
                    "pct_out": "{:.2f}".format,
                },
            ),
            top_n,
        ]
    )
    return marker_frame, top_n


@app.cell(hide_code=True)
def _(cells, marker_frame, top_n):
    _shown = mo.md("")
    if marker_frame is not None and cells is not None:
        group_column = next(c for c in ("group", "cluster") if c in marker_frame.columns)
        gene_column = next(c for c in ("names", "gene") if c in marker_frame.columns)
        genes = list(
            dict.fromkeys(
                marker_frame.groupby(group_column, sort=True).head(top_n.value)[gene_column]
            )
        )
        values = cells[:, genes].X
        values = values.toarray() if hasattr(values, "toarray") else np.asarray(values)
        per_cell = pd.DataFrame(values, columns=genes).assign(
            cluster=cells.obs["leiden"].astype(str).to_numpy()
        )
        dots = per_cell.groupby("cluster").agg(
            **{f"{g}|mean": (g, "mean") for g in genes},
            **{f"{g}|frac": (g, lambda v: float((v > 0).mean())) for g in genes},
        )
        long = pd.DataFrame(
            [
                {
                    "cluster": cluster,
                    "gene": g,
                    "mean expression": row[f"{g}|mean"],
                    "fraction expressing": row[f"{g}|frac"],
                }
                for cluster, row in dots.iterrows()
                for g in genes
            ]
        )
        dot_plot = (
            alt.Chart(long)
            .mark_circle()
            .encode(
                x=alt.X("gene:N", sort=genes),
                y=alt.Y("cluster:N"),
                size=alt.Size("fraction expressing:Q", scale=alt.Scale(domain=[0, 1])),
                color=alt.Color("mean expression:Q", scale=alt.Scale(scheme="reds")),
                tooltip=["gene", "cluster", "mean expression", "fraction expressing"],
            )
            .properties(title="Marker dot plot")
        )
        _shown = mo.ui.altair_chart(dot_plot)
    _shown
    return


@app.cell(hide_code=True)
def _(clustered, markers):
    _shown = mo.md("")
    if clustered is not None and markers is not None:
        _shown = mo.vstack(
            [
                mo.md("## Download"),
                mo.hstack(
                    [
                        mo.download(
                            data=Path(clustered.path).read_bytes(),
                            filename="clustered.h5ad",
                            label="Download the h5ad",
                        ),
                        mo.download(
                            data=Path(markers.path).read_bytes(),
                            filename="marker_genes.tsv",
                            mimetype="text/tab-separated-values",
                            label="Download the markers",
                        ),
                    ],
                    justify="start",
                ),
            ]
        )
    _shown
    return


@app.cell(hide_code=True)
def _(clustered):
    # Run history that tells the truth: every task call of the latest run, ran or cached.
    clustered
    _steps = task_history(limit=100)
    _latest = [step for step in _steps if _steps and step.run == _steps[0].run]
    _cached = sum(step.cached for step in _latest)
    mo.accordion(
        {
            f"Run history: {len(_latest)} task calls, {len(_latest) - _cached} ran, "
            f"{_cached} from the cache": mo.ui.table(
                [step.row() for step in _latest], selection=None, page_size=10
            )
        }
    )
    return


@app.function(hide_code=True)
def sample_name(path: Path) -> str:
    """The sample id for a counts file or folder: its name, skipping Cell Ranger's own."""
    path = Path(path)
    name = path.name.split(".")[0]
    while name in GENERIC_NAMES and path.parent != path:
        path = path.parent
        name = path.name.split(".")[0]
    return name or "sample"


@app.function(hide_code=True)
def h5_genomes_or_none(path: Path) -> list[str] | None:
    """The genomes in a 10x .h5, or None when it cannot be read (import_counts will say why)."""
    try:
        return h5_genomes(path)
    except ValueError:
        return None


if __name__ == "__main__":
    app.run()
