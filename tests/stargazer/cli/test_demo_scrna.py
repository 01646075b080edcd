import subprocess
import sys
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from stargazer.cli.main import cli
from stargazer.demo.scrna import score_clustering
from stargazer.types import Asset, assemble

STARGAZER = str(Path(sys.executable).parent / "stargazer")


def _demo(*args):
    return CliRunner().invoke(cli, ["demo", "scrna", *args])


def test_demo_registers_a_raw_anndata_with_truth(workspace):
    result = _demo("--cells", "300", "--genes", "400", "--clusters", "3", "--seed", "4")
    assert result.exit_code == 0, result.output
    kind, asset_id, path = result.stdout.strip().splitlines()[0].split("\t")
    assert kind == "anndata"
    asset = Asset.load(asset_id)
    assert (asset.stage, asset.sample_id, asset.n_obs, asset.n_vars) == (
        "raw",
        "demo-scrna",
        300,
        400,
    )
    assert asset.params == {
        "cells": "300",
        "genes": "400",
        "clusters": "3",
        "difficulty": "easy",
        "seed": "4",
    }
    import anndata

    adata = anndata.read_h5ad(path)
    assert {"truth_type", "truth_kind"} <= set(adata.obs) and "planted_marker_of" in adata.var
    again = _demo("--cells", "300", "--genes", "400", "--clusters", "3", "--seed", "4")
    assert again.stdout.split("\t")[1] == asset_id, "same seed, same asset"


def test_bad_sizes_are_a_clear_error_and_register_nothing(workspace):
    result = _demo("--cells", "30", "--clusters", "8")
    assert result.exit_code != 0
    assert "cells=30 is too few for 8 cell types: use at least 160" in result.output
    assert assemble(kind="anndata") == []
    result = _demo("--difficulty", "hard")
    assert result.exit_code != 0 and "'hard' is not one of 'easy', 'moderate'" in result.output


def test_demo_then_stargazer_run_scrna_clustering_from_the_shell(workspace, subprocess_env):
    demo = subprocess.run(
        [
            STARGAZER,
            "demo",
            "scrna",
            *("--cells", "400", "--genes", "500", "--clusters", "3"),
            *("--sample-id", "pbmc"),
        ],
        cwd=workspace,
        env=subprocess_env,
        capture_output=True,
        text=True,
    )
    assert demo.returncode == 0, demo.stderr
    assert "stargazer run scrna_clustering -i samples=" in demo.stderr
    result = CliRunner().invoke(
        cli,
        [
            "run",
            "scrna_clustering",
            "-i",
            "samples=sample_id=pbmc,stage=raw",
            "-i",
            "resolution=0.4",
            "-i",
            "min_genes=100",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.stdout.strip().splitlines()]
    assert [line[0] for line in lines] == ["anndata", "table"]
    markers, table = Asset.load(lines[0][1]), Asset.load(lines[1][1])
    assert markers.stage == "markers" and table.name == "marker_genes"
    import anndata

    score = score_clustering(anndata.read_h5ad(markers.path), pd.read_csv(table.path, sep="\t"))
    assert score.ari > 0.99
