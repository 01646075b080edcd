from __future__ import annotations

import asyncio

import pytest

from stargazer.errors import InvalidAssetError
from stargazer.testing import genome, nothing_registered, write_fasta
from stargazer.types import Reference


def _refused(workspace, match, path, **kwargs):
    with pytest.raises(InvalidAssetError, match=match):
        asyncio.run(Reference.create(path, **kwargs))
    assert nothing_registered(workspace / ".stargazer")


def _dict(path, contigs):
    lines = ["@HD\tVN:1.6"] + [f"@SQ\tSN:{n}\tLN:{len(s)}" for n, s in contigs.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_fai_is_built_and_sits_beside_the_fasta(workspace):
    import pysam

    contigs = genome()
    fasta = write_fasta(workspace / "ref.fa", contigs)
    ref = asyncio.run(
        Reference.create(
            fasta, companions={"dict": _dict(workspace / "x.dict", contigs)}, build="toy"
        )
    )
    assert sorted(ref.names.values()) == ["ref.dict", "ref.fa", "ref.fa.fai"]
    path = asyncio.run(ref.fetch())
    assert ref.companion("fai") == path.with_name("ref.fa.fai")
    with pysam.FastaFile(str(path)) as handle:
        assert handle.fetch("chr2", 0, 10) == contigs["chr2"][:10]
    assert not (workspace / "ref.fa.fai").exists(), "the user's folder must stay untouched"


def test_bwa_index_is_accepted_and_checked(workspace):
    from pybwa import BwaIndex

    contigs = genome()
    fasta = write_fasta(workspace / "ref.fa", contigs)
    BwaIndex.index(fasta)
    companions = {r: workspace / f"ref.fa.{r}" for r in ("amb", "ann", "bwt", "pac", "sa")}
    ref = asyncio.run(Reference.create(fasta, companions=companions))
    assert {"amb", "ann", "bwt", "pac", "sa", "fai"} <= set(ref.files)
    other = write_fasta(workspace / "other.fa", {"chrX": contigs["chr1"]})
    with pytest.raises(InvalidAssetError, match=r"this BWA \.ann does not belong to .*other\.fa"):
        asyncio.run(Reference.create(other, companions=companions))
    partial = {"amb": companions["amb"]}
    with pytest.raises(InvalidAssetError, match="BWA index is incomplete"):
        asyncio.run(Reference.create(fasta, companions=partial))


def test_duplicate_contigs_are_refused(workspace):
    fasta = workspace / "dup.fa"
    fasta.write_text(">chr1\nACGT\n>chr2\nGGCC\n>chr1\nTTTT\n")
    _refused(workspace, r"dup.fa: contig 'chr1' appears more than once", fasta)


def test_fai_of_another_fasta_is_refused(workspace):
    import pysam

    other = write_fasta(workspace / "other.fa", {"chr1": "ACGT" * 10})
    pysam.faidx(str(other))
    fasta = write_fasta(workspace / "ref.fa", genome())
    _refused(
        workspace,
        r"other.fa.fai: this .fai does not belong to .*ref.fa",
        fasta,
        companions={"fai": workspace / "other.fa.fai"},
    )
    _refused(
        workspace,
        r"bad.dict: this .dict does not belong",
        fasta,
        companions={"dict": _dict(workspace / "bad.dict", {"chr1": "A"})},
    )


def test_wrong_type_and_empty(workspace):
    fastq = workspace / "reads.fa"
    fastq.write_text("@r1\nACGT\n+\nIIII\n")
    _refused(workspace, "expected FASTA .* it is a FASTQ file; add it as --type reads", fastq)
    empty = workspace / "e.fa"
    empty.write_text("")
    _refused(workspace, "e.fa: the file is empty", empty)
