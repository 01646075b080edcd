import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
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
    from stargazer.types import AnnData, assemble
    from stargazer.utils import execution_context
    from stargazer.workflows import scrna_clustering


@app.cell
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


@app.cell
def _():
    flyte.init_from_config()
    context = execution_context()
    mo.callout(mo.md(f"**Tasks in this notebook run {context.describe()}**"), kind="info")
    return (context,)


@app.cell
def _():
    source = mo.ui.radio(
        options={"demo data (planted cell types)": "demo", "my own files": "own"},
        value="demo data (planted cell types)",
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
    upload = mo.ui.file(filetypes=[".h5ad"], multiple=True, label="h5ad files (raw counts)")
    browse = mo.ui.file_browser(
        initial_path=Path(data_root.value),
        restrict_navigation=True,
        filetypes=[".h5ad"],
        multiple=True,
        label="…or pick files in the workspace or a data folder",
    )
    register = mo.ui.run_button(label="Register files as assets")
    if source.value == "demo":
        data_form = mo.hstack(
            [demo_cells, demo_genes, demo_clusters, demo_samples, demo_difficulty], wrap=True
        )
    else:
        data_form = mo.vstack(
            [
                mo.md(
                    "Upload or pick `.h5ad` files with **raw counts** (one per sample; the "
                    "file name becomes the sample id). For 10x folders or `.h5` files use "
                    "`stargazer.tasks.import_counts` or `stargazer assets add`."
                ),
                upload,
                data_root,
                browse,
                register,
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
        register,
        upload,
    )


@app.cell
def _(browse, register, source, upload):
    registered_message = mo.md("")
    if source.value == "own" and register.value:
        _uploads = tempfile.TemporaryDirectory(prefix="stargazer-upload-")  # removed after
        upload_dir = Path(_uploads.name)
        for item in upload.value:
            (upload_dir / Path(item.name).name).write_bytes(item.contents)
        made = []
        try:
            # Picked paths are checked again, symlinks resolved, before anything is read.
            picked = [check_path(entry.path) for entry in browse.value]
            files = [*upload_dir.iterdir(), *picked]
            for _file in files:
                _counts = anndata.read_h5ad(_file, backed="r")
                made.append(
                    AnnData.create_sync(
                        _file,
                        sample_id=_file.stem,
                        stage="raw",
                        n_obs=int(_counts.n_obs),
                        n_vars=int(_counts.n_vars),
                    )
                )
        except (InvalidAssetError, OSError, ValueError) as err:
            registered_message = mo.callout(mo.md(f"**Refused:** {err}"), kind="danger")
        else:
            registered_message = mo.callout(
                mo.md(f"Registered {len(made)} sample(s): {', '.join(a.sample_id for a in made)}"),
                kind="success",
            )
    registered_message
    return (registered_message,)


@app.cell
def _(registered_message, source):
    registered_message
    raw_assets = {
        f"{a.sample_id} · {a.n_obs} cells · {a.id[7:19]}": a
        for a in assemble(kind="anndata", stage="raw")
    }
    pick_samples = mo.ui.multiselect(raw_assets, label="samples")
    pick_samples if source.value == "own" else mo.md("")
    return (pick_samples,)


@app.cell
def _(
    demo_cells,
    demo_clusters,
    demo_difficulty,
    demo_genes,
    demo_samples,
    pick_samples,
    source,
):
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
        mo.stop(not pick_samples.value, mo.md("_Register or pick at least one sample above._"))
        samples = list(pick_samples.value)
    return (samples,)


@app.cell
def _(samples):
    # Per-cell QC metrics of the raw counts, computed here for the plots (the qc_filter task
    # computes the same with scanpy before it filters).
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
    qc_frame = pd.concat(frames, ignore_index=True)
    return (qc_frame,)


@app.cell
def _(qc_frame):
    min_genes = mo.ui.slider(
        0,
        int(qc_frame["n_genes_by_counts"].quantile(0.5)),
        value=200 if len(qc_frame) else 0,
        step=10,
        label="min genes per cell",
        show_value=True,
    )
    min_counts = mo.ui.slider(
        0,
        int(qc_frame["total_counts"].quantile(0.5)),
        value=0,
        step=50,
        label="min counts per cell",
        show_value=True,
    )
    max_pct_mt = mo.ui.slider(1, 100, value=20, label="max % mitochondrial", show_value=True)
    remove_doublets = mo.ui.checkbox(value=True, label="remove predicted doublets (scrublet)")
    mo.vstack(
        [
            mo.md("## 2. Quality control"),
            mo.hstack([min_genes, min_counts, max_pct_mt, remove_doublets], wrap=True),
        ]
    )
    return max_pct_mt, min_counts, min_genes, remove_doublets


@app.cell
def _(max_pct_mt, min_counts, min_genes, qc_frame):
    kept = (
        (qc_frame["n_genes_by_counts"] >= min_genes.value)
        & (qc_frame["total_counts"] >= min_counts.value)
        & (qc_frame["pct_counts_mt"] <= max_pct_mt.value)
    )
    shown_qc = qc_frame.assign(kept=np.where(kept, "kept", "removed"))

    def histogram(column: str, title: str, threshold: float, log: bool = False):
        bars = (
            alt.Chart(shown_qc)
            .mark_bar(opacity=0.8)
            .encode(
                x=alt.X(f"{column}:Q", bin=alt.Bin(maxbins=50), title=title),
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


@app.cell
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
    mo.vstack([mo.md("## 3. Clustering"), mo.hstack([n_top_genes, resolution]), start])
    return get_started, n_top_genes, resolution, set_started, start


@app.cell
def _(
    context,
    get_started,
    max_pct_mt,
    min_counts,
    min_genes,
    n_top_genes,
    remove_doublets,
    resolution,
    samples,
    set_started,
    start,
):
    # In the browser nothing runs until the first press of the button; after that, moving a
    # slider re-runs the workflow, and only the stages it changes do any work.
    if start.value:
        set_started(True)
    mo.stop(
        mo.running_in_notebook() and not (start.value or get_started()),
        mo.md("_Press **Run the pipeline** to start._"),
    )

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

    started_at = time.time()
    with (
        mo.status.spinner(title="Running scrna_clustering…") as spinner,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        future = pool.submit(
            lambda: flyte.run(
                scrna_clustering,
                samples=samples,
                min_genes=min_genes.value,
                min_counts=min_counts.value,
                max_pct_mt=float(max_pct_mt.value),
                remove_doublets=remove_doublets.value,
                n_top_genes=n_top_genes.value,
                resolution=float(resolution.value),
            ).outputs()
        )
        while not future.done():
            done = stages_since(started_at)
            spinner.update(subtitle="finished: " + (", ".join(n for n, _ in done) or "nothing yet"))
            time.sleep(0.5)
        outputs = future.result()
    seconds = time.time() - started_at
    stages = stages_since(started_at)
    clustered, markers = outputs[0], outputs[1]
    mo.callout(
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
    return clustered, markers


@app.cell
def _(clustered):
    cells = anndata.read_h5ad(clustered.path)
    umap = pd.DataFrame(cells.obsm["X_umap"], columns=["UMAP1", "UMAP2"], index=cells.obs_names)
    umap["cluster"] = cells.obs["leiden"].astype(str).to_numpy()
    color_by = mo.ui.dropdown(
        ["cluster", *sorted(cells.var_names)],
        value="cluster",
        label="colour UMAP by",
        searchable=True,
    )
    color_by
    return cells, color_by, umap


@app.cell
def _(cells, color_by, umap):
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
        color = alt.Color("expression:Q", scale=alt.Scale(scheme="viridis"), title=color_by.value)
    umap_chart = (
        alt.Chart(colored.reset_index(drop=True))
        .mark_circle(size=12, opacity=0.8)
        .encode(x="UMAP1:Q", y="UMAP2:Q", color=color, tooltip=["cluster"])
        .properties(width=520, height=420, title=f"UMAP coloured by {color_by.value}")
    )
    mo.ui.altair_chart(umap_chart)
    return


@app.cell
def _(markers):
    marker_frame = pd.read_csv(markers.path, sep="\t")
    top_n = mo.ui.slider(
        1, 10, value=3, label="markers per cluster in the dot plot", show_value=True
    )
    mo.vstack(
        [
            mo.md("## Marker genes"),
            mo.ui.table(marker_frame, page_size=10, selection=None),
            top_n,
        ]
    )
    return marker_frame, top_n


@app.cell
def _(cells, marker_frame, top_n):
    group_column = next(c for c in ("group", "cluster") if c in marker_frame.columns)
    gene_column = next(c for c in ("names", "gene") if c in marker_frame.columns)
    genes = list(
        dict.fromkeys(marker_frame.groupby(group_column, sort=True).head(top_n.value)[gene_column])
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
    mo.ui.altair_chart(dot_plot)
    return


@app.cell
def _(clustered, markers):
    mo.vstack(
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
    return


if __name__ == "__main__":
    app.run()
