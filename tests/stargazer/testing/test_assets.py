"""Each asset builder registers a valid asset of its type in the workspace's store."""

from __future__ import annotations

from pathlib import Path

import anndata
import pysam
import pytest

from stargazer.testing import (
    ASSET_BUILDERS,
    alignment_asset,
    anndata_asset,
    reads_asset,
    reference_asset,
    table_asset,
    variants_asset,
)
from stargazer.types import Alignment, AnnData, Asset, Reads, Reference, Table, Variants, assemble


def test_asset_builders_cover_every_asset_type():
    import stargazer.types as types

    kinds = {name for name in types.__all__ if isinstance(getattr(types, name), type)}
    assert set(ASSET_BUILDERS) == kinds - {"Asset"}


@pytest.mark.parametrize("type_name", sorted(ASSET_BUILDERS))
def test_each_builder_registers_its_type_once(workspace: Path, type_name: str):
    build = ASSET_BUILDERS[type_name]
    asset = build(workspace, "x")
    assert type(asset).__name__ == type_name
    assert [found.id for found in assemble(kind=asset.kind)] == [asset.id]
    assert build(workspace, "x").id == asset.id, "same bytes, same asset"
    assert isinstance(Asset.load(asset.id), type(asset))


def test_reference_asset_reads_back_with_its_index(workspace: Path):
    reference = reference_asset(workspace)
    assert isinstance(reference, Reference) and reference.build == "test"
    with pysam.FastaFile(str(reference.path)) as fasta:
        assert tuple(fasta.lengths) == (600, 400)
    assert reference.companion("dict").name == "reference.dict"


def test_reads_asset_single_and_paired(workspace: Path):
    single = reads_asset(workspace, "one")
    paired = reads_asset(workspace, "two", sample_id="s2", paired=True)
    assert isinstance(single, Reads) and not single.paired
    assert isinstance(paired, Reads) and paired.paired and paired.sample_id == "s2"
    with pysam.FastxFile(str(paired.companion("r2"))) as r2:
        assert len(list(r2)) == 20


def test_alignment_asset_is_sorted_and_indexed(workspace: Path):
    alignment = alignment_asset(workspace)
    assert isinstance(alignment, Alignment) and alignment.sorted
    with pysam.AlignmentFile(str(alignment.path)) as bam:
        assert bam.count() == 30


def test_variants_asset_names_its_sample(workspace: Path):
    variants = variants_asset(workspace, sample_id="NA1")
    assert isinstance(variants, Variants) and variants.caller == "test"
    with pysam.VariantFile(str(variants.path)) as vcf:
        assert list(vcf.header.samples) == ["NA1"]
        assert len(list(vcf.fetch("chr1"))) == 2


def test_anndata_asset_records_its_shape_and_stage(workspace: Path):
    adata = anndata_asset(workspace, stage="raw")
    assert isinstance(adata, AnnData) and (adata.n_obs, adata.n_vars) == (12, 8)
    assert anndata.read_h5ad(adata.path).shape == (12, 8)


def test_table_asset_is_a_named_tsv(workspace: Path):
    table = table_asset(workspace, "genes")
    assert isinstance(table, Table) and (table.name, table.format) == ("genes", "tsv")
    assert table.path.read_text().splitlines()[0] == "gene\tcount"
