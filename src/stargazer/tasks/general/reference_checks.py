"""Checks that a reference and the BAMs aligned to it agree: contig names, lengths, MD5s.

Everything is read with pysam: contigs from the FASTA index (`pysam.FastaFile`), MD5s from the
sequence dictionary (a SAM header, `pysam.AlignmentFile`), names of an unindexed FASTA with
`pysam.FastxFile`.

    from stargazer.tasks.general.reference_checks import check_bam_matches_reference
    check_bam_matches_reference("s.bam", "ref.fa", "ref.dict")
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pysam


def fasta_names(fasta: str | Path) -> list[str]:
    """Sequence names of a FASTA, in order (the first word of each ``>`` line)."""
    with pysam.FastxFile(str(fasta)) as handle:
        return [record.name or "" for record in handle]


def check_unique_contigs(fasta: str | Path) -> list[str]:
    """The contig names of ``fasta``; raises if any is empty or repeated.

    Raises:
        ValueError: Duplicate or empty contig names.
    """
    names = fasta_names(fasta)
    counts = Counter(names)
    repeated = sorted(name for name, count in counts.items() if count > 1)
    if repeated:
        raise ValueError(
            f"reference {fasta} has duplicate contig names: {', '.join(repeated[:5])}. Each "
            "contig must be named once; rename or drop the duplicates (e.g. `seqkit rmdup -n`)."
        )
    if "" in names or not names:
        raise ValueError(f"reference {fasta} has no named contigs: every '>' line needs a name.")
    return names


def reference_contigs(fasta: str | Path) -> list[tuple[str, int]]:
    """(name, length) of each contig of an indexed FASTA (its ``.fai`` path works too)."""
    path = str(fasta)
    path = path[: -len(".fai")] if path.endswith(".fai") else path
    with pysam.FastaFile(path) as handle:
        return list(zip(handle.references, handle.lengths, strict=True))


def dictionary_md5s(dictionary: str | Path) -> dict[str, str]:
    """Contig -> M5 (sequence MD5) from a sequence dictionary (``samtools dict``)."""
    with pysam.AlignmentFile(str(dictionary), "r", check_sq=False) as handle:
        lines = handle.header.to_dict().get("SQ", [])
    return {line["SN"]: line["M5"] for line in lines if "SN" in line and "M5" in line}


def check_bam_matches_reference(
    bam: str | Path, fai: str | Path, dictionary: str | Path | None = None
) -> None:
    """Raise unless the BAM's @SQ lines are the reference's contigs.

    Names and lengths must agree; when both the BAM header and the reference's sequence
    dictionary carry sequence MD5s (``M5``, as `align` and ``samtools dict`` write them),
    those must agree too, which tells apart two genomes with the same contig names and sizes.

    Raises:
        ValueError: The BAM was aligned to another reference.
    """
    with pysam.AlignmentFile(str(bam), "rb", check_sq=False) as handle:
        in_bam = list(zip(handle.references, handle.lengths, strict=True))
        bam_md5s = {
            sq["SN"]: sq["M5"] for sq in handle.header.to_dict().get("SQ", []) if "M5" in sq
        }
    expected = reference_contigs(fai)
    advice = (
        "Align the reads to this reference first, or call variants against the reference the "
        "BAM was made with."
    )
    if in_bam != expected:
        differing = sorted(set(in_bam) ^ set(expected))[:3]
        raise ValueError(
            f"{bam} was aligned to another reference: its contigs differ from {fai} "
            f"(e.g. {', '.join(f'{n}:{length}' for n, length in differing)}). {advice}"
        )
    reference_md5s = dictionary_md5s(dictionary) if dictionary else {}
    for name, md5 in bam_md5s.items():
        if name in reference_md5s and reference_md5s[name] != md5:
            raise ValueError(
                f"{bam} was aligned to another reference: contig {name} has the same name and "
                f"length but another sequence (MD5 {md5} in the BAM, {reference_md5s[name]} "
                f"in {dictionary}). {advice}"
            )
