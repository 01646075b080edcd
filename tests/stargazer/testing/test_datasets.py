"""The tiny data sets: a germline demo registered as assets, and single-cell counts."""

from __future__ import annotations

from pathlib import Path

import pysam

from stargazer.testing.germline import SIZE, make_demo, register_demo
from stargazer.testing.scrna import CELLS, GENES, counts, read, stored
from stargazer.types import AnnData, Reads, Reference, Variants


def test_make_demo_writes_a_reference_reads_and_truth(tmp_path: Path):
    demo = make_demo(tmp_path, samples=2)
    with pysam.FastaFile(str(demo.reference)) as fasta:
        assert sum(fasta.lengths) == SIZE
    assert len(demo.reads) == 2
    with pysam.FastxFile(str(next(iter(demo.reads.values()))[0])) as r1:
        assert sum(1 for _ in r1) > 1000
    with pysam.VariantFile(str(demo.truth)) as truth:
        assert len(list(truth)) == len(demo.variants) > 0


def test_make_demo_is_reproducible(tmp_path: Path):
    first = make_demo(tmp_path / "a")
    second = make_demo(tmp_path / "b")
    assert first.reference.read_bytes() == second.reference.read_bytes()
    assert make_demo(tmp_path / "c", seed=12).reference.read_bytes() != first.reference.read_bytes()


def test_register_demo_registers_typed_assets_with_lineage(workspace: Path):
    assets = register_demo(make_demo(workspace / "demo"))
    reference, reads, truth = assets["reference"], *assets["reads"].values(), assets["truth"]
    assert isinstance(reference, Reference) and isinstance(truth, Variants)
    assert isinstance(reads, Reads) and reads.paired and reference.id in reads.parents


def test_counts_have_the_default_shape_and_whole_numbers():
    adata = counts()
    assert adata.shape == (CELLS, GENES)
    assert float(adata.X.sum()) == float(adata.X.astype(int).sum())


def test_stored_registers_a_stage_and_read_gives_it_back(workspace: Path):
    adata = counts(cells=100, genes=200)
    asset = stored(adata, workspace / "in", stage="raw", sample_id="x")
    assert isinstance(asset, AnnData) and (asset.stage, asset.sample_id) == ("raw", "x")
    assert (asset.n_obs, asset.n_vars) == (100, 200)
    assert list(read(asset).obs_names) == list(adata.obs_names)
