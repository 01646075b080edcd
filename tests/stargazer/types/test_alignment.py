from __future__ import annotations

import asyncio

import pytest
from tests.stargazer.types.builders import nothing_registered, write_bam, write_vcf

from stargazer.errors import InvalidAssetError
from stargazer.types import Alignment


def _refused(workspace, match, path, **kwargs):
    with pytest.raises(InvalidAssetError, match=match):
        asyncio.run(Alignment.create(path, **kwargs))
    assert nothing_registered(workspace / ".stargazer")


def test_sorted_bam_gets_an_index_that_pysam_uses(workspace):
    import pysam

    bam = asyncio.run(
        Alignment.create(write_bam(workspace / "s1.bam"), sample_id="s1", sorted=True)
    )
    assert bam.names == {"primary": "s1.bam", "bai": "s1.bam.bai"}
    path = asyncio.run(bam.fetch())
    with pysam.AlignmentFile(str(path)) as handle:  # finds s1.bam.bai beside it
        assert handle.has_index()
        assert sum(1 for _ in handle.fetch("chr1")) + sum(1 for _ in handle.fetch("chr2")) == 30


def test_given_index_is_checked(workspace):
    import pysam

    bam = write_bam(workspace / "a.bam")
    pysam.index(str(bam))
    created = asyncio.run(
        Alignment.create(bam, companions={"bai": workspace / "a.bam.bai"}, sorted=True)
    )
    assert created.companion("bai").name == "a.bam.bai"
    other = write_bam(workspace / "b.bam", n=12, seed=9)
    with pytest.raises(InvalidAssetError, match=r"a.bam.bai: this BAI does not belong to .*b.bam"):
        asyncio.run(
            Alignment.create(other, companions={"bai": workspace / "a.bam.bai"}, sorted=True)
        )


def test_text_file_named_bam_is_refused(workspace):
    fake = workspace / "fake.bam"
    fake.write_text("this is not a BAM\n")
    _refused(workspace, r"fake.bam: expected BAM .* it is a text file", fake)


def test_bam_labelled_sorted_that_is_not(workspace):
    bam = write_bam(workspace / "u.bam", sort=False)
    _refused(
        workspace,
        r"u.bam: labelled sorted but the records are not in coordinate order",
        bam,
        sorted=True,
    )
    unsorted = asyncio.run(Alignment.create(bam, sorted=False))
    assert "bai" not in unsorted.files


def test_truncated_bam_and_type_mismatch(workspace):
    bam = write_bam(workspace / "t.bam", n=500)
    cut = workspace / "cut.bam"
    cut.write_bytes(bam.read_bytes()[:-100])
    _refused(workspace, r"cut.bam: (the BAM is truncated|pysam cannot read it)", cut)
    vcf = write_vcf(workspace / "calls.vcf.gz")
    _refused(workspace, r"it is a VCF file; add it as --type variants", vcf)
