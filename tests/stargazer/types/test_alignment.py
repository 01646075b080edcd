from __future__ import annotations

import asyncio

import pytest

from stargazer.errors import InvalidAssetError
from stargazer.testing import nothing_registered, write_bam, write_vcf
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


def _contigs_swapped(path):
    """A BAM whose chr2 records come before chr1's (each contig in order on its own)."""
    import pysam

    header = {"HD": {"VN": "1.6"}, "SQ": [{"SN": "chr1", "LN": 600}, {"SN": "chr2", "LN": 400}]}
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for tid in (1, 0):
            for pos in (5, 10, 20):
                record = pysam.AlignedSegment(out.header)
                record.query_name = f"r{tid}{pos}"
                record.query_sequence = "A" * 10
                record.reference_id, record.reference_start = tid, pos
                record.mapping_quality, record.cigarstring = 60, "10M"
                out.write(record)
    return path


def test_contigs_out_of_header_order_are_not_sorted(workspace):
    import pysam

    bam = _contigs_swapped(workspace / "swapped.bam")
    _refused(
        workspace, r"swapped.bam: labelled sorted but the records are not in", bam, sorted=True
    )
    index = workspace / "swapped.bam.bai"
    pysam.index(str(bam), str(index))  # samtools accepts it: contig blocks are contiguous
    _refused(
        workspace,
        r"swapped.bam.bai: an index needs a coordinate-sorted BAM",
        bam,
        companions={"bai": index},
    )


def test_corrupt_bam_with_an_end_block_is_refused(workspace):
    bam = write_bam(workspace / "c.bam", n=200)
    data = bytearray(bam.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 40] = b"\xff" * 40  # inside the compressed records, EOF block intact
    bad = workspace / "bad.bam"
    bad.write_bytes(bytes(data))
    _refused(workspace, r"bad.bam: pysam cannot read it as BAM", bad)
    _refused(workspace, r"bad.bam: pysam cannot read it as BAM", bad, sorted=True)
