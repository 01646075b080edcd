from __future__ import annotations

import asyncio
import gzip

import pytest

from stargazer.errors import InvalidAssetError
from stargazer.testing import VCF_HEADER, nothing_registered, write_vcf
from stargazer.types import Variants


def _refused(workspace, match, path, **kwargs):
    with pytest.raises(InvalidAssetError, match=match):
        asyncio.run(Variants.create(path, **kwargs))
    assert nothing_registered(workspace / ".stargazer")


def test_bgzipped_vcf_gets_a_tabix_index(workspace):
    import pysam

    calls = asyncio.run(
        Variants.create(write_vcf(workspace / "s1.vcf.gz"), sample_id="s1", caller="bcftools")
    )
    assert calls.names == {"primary": "s1.vcf.gz", "tbi": "s1.vcf.gz.tbi"}
    with pysam.VariantFile(str(asyncio.run(calls.fetch()))) as handle:
        assert len(list(handle.fetch("chr1"))) == 2
    plain = asyncio.run(Variants.create(write_vcf(workspace / "p.vcf"), cohort="trio"))
    assert set(plain.files) == {"primary"}


def test_broken_header_is_refused(workspace):
    broken = workspace / "broken.vcf"
    broken.write_text(
        VCF_HEADER.replace("#CHROM\tPOS", "#CHROM\tPOSITION").replace("\tFORMAT\ts1", "")
        + "chr1\t10\t.\tA\tG\t50\tPASS\t.\tGT\t0/1\textra\n"
    )
    _refused(workspace, r"broken.vcf: pysam cannot read it as VCF", broken)


def test_index_of_another_vcf_is_refused(workspace):
    import pysam

    other = write_vcf(workspace / "other.vcf.gz", [("chr2", 7), ("chr2", 9)])
    pysam.tabix_index(str(other), preset="vcf", force=True)
    vcf = write_vcf(workspace / "s.vcf.gz")
    _refused(
        workspace,
        r"other.vcf.gz.tbi: this index does not belong to .*s.vcf.gz",
        vcf,
        companions={"tbi": workspace / "other.vcf.gz.tbi"},
    )


def test_plain_gzip_and_wrong_type(workspace):
    gz = workspace / "g.vcf.gz"
    with gzip.open(gz, "wt") as handle:
        handle.write(VCF_HEADER + "chr1\t10\t.\tA\tG\t50\tPASS\t.\tGT\t0/1\n")
    _refused(workspace, r"g.vcf.gz: compressed with gzip, not bgzip", gz)
    h5 = workspace / "x.vcf"
    h5.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    _refused(workspace, r"x.vcf: expected VCF .* it is an HDF5 .* --type anndata", h5)
