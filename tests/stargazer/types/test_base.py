"""The Asset API: create, load, fetch, assemble, lineage, refusals, Flyte round trips."""

from __future__ import annotations

import asyncio
import gzip
import os
import stat
from pathlib import Path

import flyte
import pytest

from stargazer.errors import InvalidAssetError
from stargazer.testing import fastq_records as reads
from stargazer.testing import genome, write_bam, write_fasta, write_fastq, write_h5ad, write_vcf
from stargazer.types import (
    Alignment,
    AnnData,
    Asset,
    Reads,
    Reference,
    Table,
    Variants,
    assemble,
)

env = flyte.TaskEnvironment(name="asset_roundtrip", cache="auto")


@env.task
async def echo_reads(reads: Reads) -> Reads:
    return reads


@env.task
async def count_reads(reads: Reads) -> Table:
    path = await reads.fetch()
    r2 = reads.companion("r2")
    assert path.parent == r2.parent, "R1 and R2 must sit side by side"
    with gzip.open(path, "rt") as handle:
        lines = sum(1 for _ in handle)
    out = Path(path.parent.parent.parent / "tmp" / f"count-{os.getpid()}.tsv")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(f"sample\treads\n{reads.sample_id}\t{lines // 4}\n")
    with open("calls.log", "a") as log:
        log.write(reads.id + "\n")
    table = await Table.create(
        out, parents=[reads], tool="count_reads", tool_version="1", name="counts"
    )
    out.unlink()
    return table


@env.task
async def echo_all(
    reference: Reference, alignment: Alignment, variants: Variants, data: AnnData
) -> tuple[Reference, Alignment, Variants, AnnData]:
    return reference, alignment, variants, data


def _paired(folder: Path, sample: str = "s1") -> Reads:
    folder.mkdir(parents=True, exist_ok=True)
    r1 = write_fastq(folder / f"{sample}_R1.fastq.gz", reads(mate="/1"))
    r2 = write_fastq(folder / f"{sample}_R2.fastq.gz", reads(seed=2, mate="/2"))
    return asyncio.run(Reads.create(r1, companions={"r2": r2}, sample_id=sample))


def test_create_fetch_and_load(workspace):
    created = _paired(workspace / "in")
    assert created.paired and created.sample_id == "s1" and created.tool == "user"
    path = asyncio.run(created.fetch())
    assert path.name == "s1_R1.fastq.gz"
    assert created.companion("r2") == path.parent / "s1_R2.fastq.gz"
    assert path.read_bytes() == (workspace / "in" / "s1_R1.fastq.gz").read_bytes()
    loaded = Asset.load(created.id)
    assert isinstance(loaded, Reads) and loaded == created
    assert Reads.load(created.id) == created
    with pytest.raises(ValueError, match="is a Reads, not a Reference"):
        Reference.load(created.id)
    with pytest.raises(KeyError, match="no 'bai' companion"):
        created.companion("bai")


def test_ids_follow_content_not_paths(workspace):
    first = _paired(workspace / "a")
    again = _paired(workspace / "b")
    assert again.id == first.id
    other = asyncio.run(Reads.create(workspace / "a" / "s1_R1.fastq.gz", sample_id="s1"))
    assert other.id != first.id and not other.paired
    relabelled = asyncio.run(Reads.create(workspace / "a" / "s1_R1.fastq.gz", sample_id="s9"))
    assert relabelled.id != other.id
    assert relabelled.files == other.files


def test_users_file_is_not_moved_or_modified(workspace):
    fasta = write_fasta(workspace / "ref.fa", genome())
    os.chmod(fasta, 0o640)
    before = (fasta.read_bytes(), stat.S_IMODE(fasta.stat().st_mode), fasta.stat().st_mtime_ns)
    asyncio.run(Reference.create(fasta, build="t"))
    after = (fasta.read_bytes(), stat.S_IMODE(fasta.stat().st_mode), fasta.stat().st_mtime_ns)
    assert after == before
    assert sorted(p.name for p in workspace.iterdir() if p.is_file()) == ["ref.fa"]


def test_unknown_metadata_is_refused_listing_the_allowed_fields(workspace):
    fastq = write_fastq(workspace / "r.fq", reads())
    with pytest.raises(InvalidAssetError, match=r"does not take metadata build.*paired, platform"):
        asyncio.run(Reads.create(fastq, build="hg38"))
    with pytest.raises(InvalidAssetError, match="should be a bool, not a str"):
        asyncio.run(Reads.create(fastq, paired="yes"))
    with pytest.raises(InvalidAssetError, match="no companion role 'bai'"):
        asyncio.run(Reads.create(fastq, companions={"bai": fastq}))
    with pytest.raises(TypeError, match="base class"):
        asyncio.run(Asset.create(fastq))
    assert assemble() == []


def test_lineage_tool_and_params_are_recorded(workspace):
    parent = _paired(workspace / "in")
    (workspace / "qc.tsv").write_text("metric\tvalue\nreads\t20\n")
    table = asyncio.run(
        Table.create(
            workspace / "qc.tsv",
            parents=[parent],
            tool="fastqc",
            tool_version="0.12",
            params={"threads": 2, "strict": True},
        )
    )
    assert table.parents == [parent.id]
    assert table.params == {"strict": "true", "threads": "2"}
    assert (table.tool, table.tool_version) == ("fastqc", "0.12")
    assert assemble(kind="table", parent=parent.id) == [table]
    missing = "reads-" + "0" * 40
    with pytest.raises(InvalidAssetError, match=f"parent {missing} is not in"):
        asyncio.run(Table.create(workspace / "qc.tsv", parents=[missing], name="x"))


def test_assemble_by_kind_and_any_of(workspace):
    s1 = _paired(workspace / "a", "s1")
    s2 = _paired(workspace / "b", "s2")
    s3 = _paired(workspace / "c", "s3")
    assert assemble(kind="reads", sample_id="s2") == [s2]
    assert assemble(kind="reads", sample_id=["s1", "s3"]) == [s1, s3]
    assert assemble(type=Reads, paired=True, sample_id=["s1", "s2", "s3"]) == [s1, s2, s3]
    assert assemble(kind="alignment") == []
    assert all(isinstance(a, Reads) for a in assemble())
    with pytest.raises(ValueError, match="cannot filter reads by build"):
        assemble(kind="reads", build="hg38")
    with pytest.raises(ValueError, match="unknown asset kind 'bam'"):
        assemble(kind="bam")


def test_assets_pass_through_flyte_tasks_and_come_back_equal(workspace):
    created = _paired(workspace / "in")
    flyte.init_from_config()
    assert flyte.run(echo_reads, reads=created).outputs()[0] == created
    table = flyte.run(count_reads, reads=created).outputs()[0]
    assert isinstance(table, Table) and table == Asset.load(table.id)
    assert table.parents == [created.id]
    assert table.path.read_text() == "sample\treads\ns1\t20\n"


def test_every_type_round_trips_through_flyte(workspace):
    reference = asyncio.run(Reference.create(write_fasta(workspace / "g.fa", genome()), build="t"))
    alignment = asyncio.run(
        Alignment.create(write_bam(workspace / "g.bam"), sorted=True, reference_id=reference.id)
    )
    variants = asyncio.run(Variants.create(write_vcf(workspace / "g.vcf.gz"), caller="x"))
    data = asyncio.run(AnnData.create(write_h5ad(workspace / "g.h5ad"), stage="raw"))
    flyte.init_from_config()
    outputs = flyte.run(
        echo_all, reference=reference, alignment=alignment, variants=variants, data=data
    ).outputs()
    assert list(outputs) == [reference, alignment, variants, data]
    assert [type(o) for o in outputs] == [Reference, Alignment, Variants, AnnData]


def test_flyte_cache_key_follows_content(workspace):
    flyte.init_from_config()
    # a sample name no other test uses, so no earlier run in this process can be a hit
    first = _paired(workspace / "a", "cached")
    flyte.run(count_reads, reads=first).outputs()
    same = _paired(workspace / "b", "cached")  # the same bytes and names, another folder
    flyte.run(count_reads, reads=same).outputs()
    assert (workspace / "calls.log").read_text().split() == [first.id], "expected a cache hit"
    (workspace / "c").mkdir()
    r1 = write_fastq(workspace / "c" / "cached_R1.fastq.gz", reads(n=21, mate="/1"))
    r2 = write_fastq(workspace / "c" / "cached_R2.fastq.gz", reads(n=21, seed=2, mate="/2"))
    other = asyncio.run(Reads.create(r1, companions={"r2": r2}, sample_id="cached"))
    flyte.run(count_reads, reads=other).outputs()
    assert (workspace / "calls.log").read_text().split() == [first.id, other.id]


def test_ids_names_and_metadata_cannot_escape_the_store(workspace):
    fastq = write_fastq(workspace / "r.fq", reads())
    for bad in ("../../etc", "/etc/passwd", "a/b", "..", "x\0y"):
        with pytest.raises(InvalidAssetError, match="sample_id"):
            asyncio.run(Reads.create(fastq, sample_id=bad))
    with pytest.raises(InvalidAssetError, match="NUL"):
        asyncio.run(Reads.create(str(workspace / "r.fq\0.bam")))
    for bad_id in ("../../etc/passwd", "/etc/passwd", "reads-../x", "reads-" + "0" * 39 + "\0"):
        with pytest.raises(ValueError, match="is not an asset id"):
            Asset.load(bad_id)
    with pytest.raises(InvalidAssetError, match="not allowed"):
        Reads(files={"primary": "sha256:" + "0" * 64}, names={"primary": "../x.fq"})
    with pytest.raises(InvalidAssetError, match="not allowed"):
        Reads(files={"primary": "sha256:" + "0" * 64}, names={"primary": "/abs.fq"})
    assert assemble() == []


def test_alignment_reference_id_must_be_a_reference(workspace):
    from stargazer.testing import write_bam

    reads_asset = _paired(workspace / "in")
    bam = write_bam(workspace / "x.bam")
    with pytest.raises(InvalidAssetError, match="is not a reference asset"):
        asyncio.run(Alignment.create(bam, reference_id=reads_asset.id))
