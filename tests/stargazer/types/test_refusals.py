"""Bad inputs the store used to register, or refused with a misleading message (issue 11).

Each test builds one bad file with the real tools, adds it, and checks two things: the
`InvalidAssetError` names the file, the problem and the fix, and the store is unchanged (no
manifest, no object, no index row).
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import numpy as np
import pytest

from stargazer.errors import InvalidAssetError
from stargazer.testing import (
    VCF_HEADER,
    genome,
    store_state,
    write_bam,
    write_fasta,
    write_fastq,
    write_vcf,
)
from stargazer.testing import fastq_records as reads
from stargazer.testing import write_h5ad as write_h5ad_matrix
from stargazer.types import Alignment, AnnData, Asset, Reads, Reference, Variants


def _refused(
    workspace: Path, kind: type[Asset], match: str, path: Path, named: Path | None = None, **kwargs
) -> str:
    """Add `path` as `kind`; assert the refusal and that nothing was registered.

    The message must match `match` and start with the file it is about (`named`, default `path`).
    """
    root = workspace / ".stargazer"
    before = store_state(root)
    with pytest.raises(InvalidAssetError, match=match) as refused:
        asyncio.run(kind.create(path, **kwargs))
    assert store_state(root) == before
    message = str(refused.value)
    assert message.startswith(str(named or path)), message  # it names the file first
    return message


# -- registered although bad ----------------------------------------------------------------


def test_bam_whose_sq_lines_do_not_match_its_reference(workspace):
    bam = write_bam(workspace / "s1.bam")  # @SQ chr1:600, chr2:400
    right = Reference.create_sync(write_fasta(workspace / "right.fa", genome()), build="toy")
    assert Alignment.create_sync(bam, reference_id=right.id, sorted=True).reference_id == right.id
    longer = {"chr1": "A" * 700, "chr2": "C" * 400}
    other = Reference.create_sync(write_fasta(workspace / "other.fa", longer), build="toy2")
    renamed = {"1": "A" * 600, "2": "C" * 400}
    ensembl = Reference.create_sync(write_fasta(workspace / "ensembl.fa", renamed))
    fix = r"re-align the reads to this reference, or pass the reference_id of the genome"
    _refused(
        workspace,
        Alignment,
        rf"s1\.bam: its header does not match reference {other.id} \(toy2\): @SQ chr1 has "
        rf"length 600, the reference's chr1 has 700; .*{fix}",
        bam,
        reference_id=other.id,
        sorted=True,
    )
    _refused(
        workspace,
        Alignment,
        r"@SQ chr1 is not a contig of the reference",
        bam,
        reference_id=ensembl.id,
    )


def test_vcf_record_on_a_contig_missing_from_its_header(workspace):
    body = "chr1\t10\t.\tA\tG\t50\tPASS\t.\tGT\t0/1\nchr3\t5\t.\tA\tG\t50\tPASS\t.\tGT\t0/1\n"
    vcf = workspace / "calls.vcf"
    vcf.write_text(VCF_HEADER + body)
    _refused(
        workspace,
        Variants,
        r"calls\.vcf line 7: a record on contig 'chr3', which the header does not declare "
        r"\(the header declares 2 contigs \(chr1, chr2\)\); .*bcftools reheader --fai",
        vcf,
    )


def _raw_refused(workspace: Path, name: str, matrix, match: str, **kwargs) -> None:
    h5ad = write_h5ad_matrix(workspace / name, matrix, **kwargs)
    _refused(workspace, AnnData, rf"{name}: stage=raw but {match}", h5ad, stage="raw")


def test_raw_h5ad_holding_normalised_values(workspace):
    import scipy.sparse as sp

    counts = np.random.default_rng(0).poisson(2, size=(20, 6)).astype("float32")
    normalised = np.log1p(counts / counts.sum(axis=1, keepdims=True) * 1e4).astype("float32")
    _raw_refused(
        workspace,
        "norm.h5ad",
        sp.csr_matrix(normalised),
        r"X holds non-integer values \([0-9.]+ at cell 'cell0', gene 'gene\d'\): it looks "
        r"normalised or log-transformed.*layers\['counts'\].*stage=normalized",
    )
    # the same values are fine at the stage they are at, and counts are fine as raw
    norm = AnnData.create_sync(workspace / "norm.h5ad", stage="normalized")
    raw = AnnData.create_sync(write_h5ad_matrix(workspace / "c.h5ad", counts), stage="raw")
    assert (norm.stage, raw.n_obs) == ("normalized", 20)


def test_raw_h5ad_holding_negative_values(workspace):
    scaled = np.zeros((5, 4), dtype="float32")
    scaled[2, 3] = -1.0  # a whole number, so only the sign is wrong
    scaled[0, 0] = 3.0
    _raw_refused(
        workspace,
        "scaled.h5ad",
        scaled,
        r"X holds negative values \(-1 at cell 'cell2', gene 'gene3'\): it looks scaled",
    )


def test_raw_h5ad_holding_nan(workspace):
    matrix = np.ones((5, 4), dtype="float64")
    matrix[4, 1] = np.nan
    _raw_refused(
        workspace,
        "nan.h5ad",
        matrix,
        r"X holds NaN or infinite values \(nan at cell 'cell4', gene 'gene1'\)",
    )


def test_raw_h5ad_with_zero_cells(workspace):
    _raw_refused(
        workspace,
        "empty.h5ad",
        np.zeros((0, 4), dtype="float32"),
        r"the matrix is empty \(0 cells x 4 genes\); export the filtered feature-barcode matrix",
    )


@pytest.mark.filterwarnings("ignore:Observation names are not unique:UserWarning")
def test_raw_h5ad_with_duplicate_barcodes(workspace):
    barcodes = ["AAAC-1", "AAAG-1", "AAAC-1", "AAAT-1"]
    _raw_refused(
        workspace,
        "dups.h5ad",
        np.ones((4, 3), dtype="int32"),
        r"1 cell barcode\(s\) occur more than once in obs_names \(AAAC-1\); .*"
        r"obs_names_make_unique",
        obs_names=barcodes,
    )


@pytest.mark.parametrize("how", ["same path", "same digest"])
def test_same_file_as_r1_and_r2(workspace, how):
    r1 = write_fastq(workspace / "s_R1.fastq.gz", reads(mate="/1"))
    r2 = r1
    if how == "same digest":
        r2 = Path(shutil.copy(r1, workspace / "s_R2.fastq.gz"))
    same = "is the same file as R1" if how == "same path" else r"has the same content \(the same"
    _refused(
        workspace,
        Reads,
        rf"{r2.name}: R2 {same}.*pass that one, or add R1 alone as single-end reads",
        r1,
        named=r2,
        companions={"r2": r2},
    )


# -- refused, but the message misled --------------------------------------------------------


@pytest.mark.parametrize("kind", ["reads", "variants", "alignment", "reference"])
def test_corrupt_gzip_says_so(workspace, kind):
    """A damaged byte in the first compressed block says the gzip is corrupt.

    The old message read "a gzip file of unknown content" (for a FASTA "decompress it first").
    """
    import pysam

    if kind == "reads":
        good, target = write_fastq(workspace / "r.fastq.gz", reads(n=400)), Reads
    elif kind == "variants":
        good, target = write_vcf(workspace / "v.vcf.gz"), Variants
    elif kind == "alignment":
        good, target = write_bam(workspace / "a.bam"), Alignment
    else:
        plain = write_fasta(workspace / "g.fa", genome())
        good, target = workspace / "g.fa.gz", Reference
        pysam.tabix_compress(str(plain), str(good))
    damaged = bytearray(good.read_bytes())
    damaged[30] ^= 0xFF  # inside the first deflate block
    bad = workspace / f"bad-{good.name}"
    bad.write_bytes(bytes(damaged))
    _refused(
        workspace,
        target,
        rf"bad-{good.name}: the gzip stream is truncated or corrupt \(.+\).*re-copy or "
        r"re-download it \(`gzip -t FILE`",
        bad,
    )


@pytest.mark.parametrize(
    ("keep", "line", "where"),
    [
        ("name", 197, "after its name line"),
        ("part of the bases", 198, "in its bases line"),
        ("bases", 198, r"after its bases line \(no '\+' and quality lines\)"),
        ("plus", 199, r"after its '\+' line \(no quality line\)"),
        ("part of the qualities", 200, r"in its quality line \(10 of 50 quality values\)"),
    ],
)
def test_fastq_cut_mid_record_says_where_and_that_it_is_truncated(workspace, keep, line, where):
    """Cut in the name, bases or quality line of the last read: says where, and truncated.

    The old message claimed the file "looks like FASTA", or named no line.
    """
    lines = write_fastq(workspace / "full.fq", reads(n=50)).read_text().splitlines(True)
    last = lines[196:]  # read 50: lines 197-200
    kept = {
        "name": last[:1],
        "part of the bases": [last[0], last[1][:20]],
        "bases": last[:2],
        "plus": last[:3],
        "part of the qualities": [*last[:3], last[3][:10]],
    }[keep]
    cut = workspace / "cut.fq"
    cut.write_text("".join(lines[:196] + kept))
    _refused(
        workspace,
        Reads,
        rf"cut\.fq line {line}: the file is truncated: it ends in the middle of read 50 "
        rf"\('read49'\), {where}; re-copy or re-download it",
        cut,
    )


@pytest.mark.parametrize(
    ("char", "what"),
    [(" ", "a space"), ("*", "a '\\*'"), ("7", "a digit \\('7'\\)"), ("\t", "a tab")],
)
def test_fasta_with_a_non_base_in_a_sequence_line(workspace, char, what):
    contigs = genome()
    fasta = write_fasta(workspace / "x.fa", contigs)
    lines = fasta.read_text().splitlines(True)
    lines[3] = lines[3][:20] + char + lines[3][21:]  # line 4 of the file, column 21
    fasta.write_text("".join(lines))
    _refused(
        workspace,
        Reference,
        rf"x\.fa line 4: {what} in the sequence of contig 'chr1' \(column 21\); sequence lines "
        r"hold only letters",
        fasta,
    )


def test_fasta_with_uneven_line_widths_names_the_line_and_how_to_rewrap(workspace):
    """Uneven widths are refused, naming the line and how to re-wrap.

    Decided: refuse rather than re-wrap, as the store keeps the user's own bytes (the asset's
    digest is that of the file given). `rewrap_fasta` makes a file that is then accepted.
    """
    contigs = genome()
    fasta = workspace / "uneven.fa"
    chr1 = contigs["chr1"]
    fasta.write_text(
        f">chr1\n{chr1[:60]}\n{chr1[60:110]}\n{chr1[110:170]}\n{chr1[170:]}\n"
        f">chr2\n{contigs['chr2']}\n"
    )
    _refused(
        workspace,
        Reference,
        r"uneven\.fa line 4: contig 'chr1' has a line of 50 bases \(line 3\) before more "
        r"sequence, but its lines are 60 bases wide; samtools faidx .* needs every line of a "
        r"contig except the last to be the same width: re-wrap it to one width, e.g. "
        r"`seqkit seq -w 60 uneven\.fa > uneven\.w60\.fa`",
        fasta,
    )
    from stargazer.types.reference import rewrap_fasta

    fixed = Reference.create_sync(rewrap_fasta(fasta, workspace / "uneven.w60.fa"))
    assert fixed.names["primary"] == "uneven.w60.fa"


def test_vcf_with_a_non_numeric_pos(workspace):
    body = "chr1\t10\t.\tA\tG\t50\tPASS\t.\tGT\t0/1\nchr1\t12x\t.\tA\tG\t50\tPASS\t.\tGT\t0/1\n"
    vcf = workspace / "pos.vcf"
    vcf.write_text(VCF_HEADER + body)
    _refused(
        workspace,
        Variants,
        r"pos\.vcf line 7: POS '12x' is not a number; the second column of a record is its "
        r"1-based position",
        vcf,
    )
