"""Variant calls: a bgzipped VCF with its tabix index (or a plain VCF, unindexed)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from stargazer.errors import InvalidAssetError
from stargazer.types.base import Asset, link_into
from stargazer.types.sniff import (
    corrupt_gzip,
    gzip_damage,
    has_bgzf_eof,
    is_bgzf,
    require_format,
)


@dataclass
class Variants(Asset):
    """Variant calls of one sample or a cohort. A sorted VCF.gz gets a `.tbi` if none is given.

    Attributes:
        sample_id: The sample the calls belong to ("" for a cohort).
        cohort: The cohort name ("" for a single sample).
        caller: The variant caller, e.g. bcftools.
    """

    kind: ClassVar[str] = "variants"
    roles: ClassVar[tuple[str, ...]] = ("tbi",)

    sample_id: str = ""
    cohort: str = ""
    caller: str = ""

    @classmethod
    def _companion_name(cls, role: str, primary: str, given: str) -> str:
        return f"{primary}.{role}"

    @classmethod
    def _validate(
        cls, files: dict[str, Path], metadata: dict[str, Any], workdir: Path
    ) -> tuple[dict[str, Path], dict[str, Any]]:
        vcf = files["primary"]
        require_format(vcf, "vcf", "VCF", "variants")
        with open(vcf, "rb") as handle:
            compressed = handle.read(2) == b"\x1f\x8b"
        bgzf = compressed and is_bgzf(vcf)
        if compressed and not bgzf:
            raise InvalidAssetError(
                f"{vcf}: compressed with gzip, not bgzip, so it cannot be indexed; recompress "
                "it with `bgzip` (or pysam.tabix_compress)"
            )
        if bgzf and not has_bgzf_eof(vcf):
            raise InvalidAssetError(f"{vcf}: the VCF.gz is truncated; re-create or re-copy it")
        counts, sortable = _scan(vcf)
        files = dict(files)
        if "tbi" in files:
            if not bgzf:
                raise InvalidAssetError(
                    f"{files['tbi']}: a tabix index needs a bgzipped VCF; {vcf} is plain text"
                )
            _check_index(vcf, workdir, files["tbi"], counts)
        elif bgzf and sortable:
            import pysam

            link = link_into(workdir, vcf, vcf.name)
            pysam.tabix_index(str(link), preset="vcf", index=str(workdir / f"{vcf.name}.tbi"))
            files["tbi"] = workdir / f"{vcf.name}.tbi"
        return files, metadata


def _scan(vcf: Path) -> tuple[dict[str, int], bool]:
    """Read the header and every record with pysam: records per contig and sortedness."""
    import pysam

    counts: dict[str, int] = {}
    sortable = True
    previous = ("", -1)
    quiet = pysam.set_verbosity(0)  # htslib would print "could not load index" to stderr
    try:
        with pysam.VariantFile(str(vcf)) as handle:
            # htslib adds a contig it meets in a record to the header; keep the declared ones
            declared = {str(name) for name in handle.header.contigs}
            for record in handle:
                contig = record.chrom
                if contig not in counts and contig not in declared:
                    raise InvalidAssetError(_undeclared(vcf, contig, declared))
                revisited = contig != previous[0] and contig in counts
                backwards = contig == previous[0] and record.pos < previous[1]
                if revisited or backwards:
                    sortable = False
                counts[contig] = counts.get(contig, 0) + 1
                previous = (contig, record.pos)
    except InvalidAssetError:
        raise
    except (OSError, ValueError) as err:
        # say where and what, from a second look at the text (only on this error path)
        problem = _damage(vcf) or _record_problem(vcf)
        raise InvalidAssetError(
            problem
            or f"{vcf}: pysam cannot read it as VCF ({err}); check the header (##fileformat, "
            "##contig lines, the #CHROM line) and that the file is complete"
        ) from err
    finally:
        pysam.set_verbosity(quiet)
    return counts, sortable


def _text_lines(vcf: Path) -> Iterator[tuple[int, str]]:
    """(line number, line) of a plain or bgzipped VCF, streamed."""
    import gzip

    with open(vcf, "rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"
    opener = gzip.open if compressed else open
    with opener(vcf, "rt", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            yield number, line.rstrip("\r\n")


def _damage(vcf: Path) -> str:
    """The corrupt-gzip message if the VCF.gz's compressed data is damaged, else ""."""
    with open(vcf, "rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"
    problem = gzip_damage(vcf) if compressed else ""
    return corrupt_gzip(vcf, problem) if problem else ""


def _undeclared(vcf: Path, contig: str, declared: set[str]) -> str:
    """The message for a record on a contig the header has no ##contig line for."""
    where = next((n for n, line in _text_lines(vcf) if line.split("\t", 1)[0] == contig), None)
    at = f" line {where}" if where else ""
    known = (
        f"the header declares {len(declared)} contigs ({', '.join(sorted(declared)[:5])}"
        f"{' ...' if len(declared) > 5 else ''})"
        if declared
        else "the header has no ##contig lines at all"
    )
    return (
        f"{vcf}{at}: a record on contig {contig!r}, which the header does not declare ({known}); "
        "add the contig lines from the reference it was called on, e.g. `bcftools reheader "
        f"--fai REF.fa.fai` (pysam.bcftools.reheader), or a `##contig=<ID={contig},length=N>` "
        "line, then add the file again"
    )


def _record_problem(vcf: Path) -> str:
    """The first record line that is not a VCF record (columns, POS), as a message; or ""."""
    for number, line in _text_lines(vcf):
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) < 8:
            return (
                f"{vcf} line {number}: only {len(fields)} tab-separated column(s), a VCF record "
                "has at least 8 (CHROM POS ID REF ALT QUAL FILTER INFO); columns must be "
                "separated by tabs, not spaces: fix or drop that line"
            )
        if not fields[1].isdigit():
            return (
                f"{vcf} line {number}: POS {fields[1]!r} is not a number; the second column of "
                "a record is its 1-based position on the contig, a whole number: fix or drop "
                "that line"
            )
    return ""


def _check_index(vcf: Path, workdir: Path, tbi: Path, counts: dict[str, int]) -> None:
    """Open the VCF through the index and compare per-contig record counts with the data."""
    import pysam

    link = link_into(workdir, vcf, vcf.name)
    index = link_into(workdir, tbi, f"{vcf.name}.tbi")
    problem = ""
    try:
        with pysam.TabixFile(str(link), index=str(index)) as handle:
            indexed = set(handle.contigs)
            if indexed != set(counts):
                problem = f"it lists contigs {sorted(indexed)}, the VCF has {sorted(counts)}"
            for contig in sorted(indexed & set(counts)):
                found = sum(1 for _ in handle.fetch(contig))
                if found != counts[contig]:
                    problem = f"it finds {found} records on {contig}, the VCF has {counts[contig]}"
                    break
    except (OSError, ValueError) as err:
        problem = f"pysam cannot use it: {err}"
    if problem:
        raise InvalidAssetError(
            f"{tbi}: this index does not belong to {vcf} ({problem}); rebuild it with "
            "pysam.tabix_index or leave it out"
        )
