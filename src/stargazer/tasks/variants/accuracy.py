"""Accuracy of variant calls against a truth VCF: precision, recall and F1 for SNVs and indels.

Both VCFs are normalised the same way first (``bcftools norm -f ref -m -any``: left-aligned,
multi-allelic records split), then matched per sample at genotype level: a call is a true
positive when the truth has the same contig, position, REF and ALT with the same number of ALT
copies (het or hom). A called allele with the wrong genotype counts once as a false positive
and once as a false negative, as in hap.py's genotype-level numbers. Calls whose FILTER is not
PASS (or ``.``) or whose QUAL is below ``min_qual`` are ignored; `variant_accuracy` also
reports every call, filtered or not (``all_calls``).

    from stargazer.tasks.variants.accuracy import score_vcf
    report = score_vcf("calls.vcf.gz", "truth.vcf.gz", "ref.fa")
    report["snv"]["f1"], report["indel"]["f1"]
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from pathlib import Path

from stargazer.config import gatk_env
from stargazer.types import Reference, Table, Variants

TOOL = "stargazer.accuracy"

Key = tuple[str, int, str, str]


def tool_version() -> str:
    """Stargazer's version plus the bcftools used to normalise."""
    from stargazer import __version__
    from stargazer.tasks.variants.bcftools import tool_version as bcftools_version

    return f"{__version__} (bcftools {bcftools_version()})"


def _normalise(vcf: Path, reference: Path, out: Path) -> Path:
    import pysam.bcftools as bcftools

    bcftools.norm(
        "--no-version",
        "-f",
        str(reference),
        "-m",
        "-any",
        "-Ov",
        "-o",
        str(out),
        str(vcf),
        catch_stdout=False,
    )
    return out


def alt_copies(
    vcf: str | Path, sample: str | int = 0, min_qual: float = 0.0, pass_only: bool = True
) -> dict[Key, int]:
    """(contig, pos, ref, alt) -> number of ALT copies in one sample, for split records.

    Args:
        vcf: A VCF with one ALT per record (normalise with ``-m -any`` first).
        sample: Sample name, or its column index.
        min_qual: Records with a QUAL below this are skipped (missing QUAL is kept).
        pass_only: Skip records whose FILTER is not PASS (or ``.``).
    """
    import pysam

    copies: dict[Key, int] = {}
    with pysam.VariantFile(str(vcf)) as handle:
        names = list(handle.header.samples)
        name = names[sample] if isinstance(sample, int) else sample
        for record in handle:
            if record.alts is None or record.alts[0] in ("*", "<*>", "<NON_REF>"):
                continue
            filters = list(record.filter.keys())
            if pass_only and filters and filters != ["PASS"]:
                continue
            if record.qual is not None and record.qual < min_qual:
                continue
            genotype = record.samples[name]["GT"]
            count = sum(1 for allele in genotype if allele == 1)
            if count:
                copies[(record.chrom, record.pos, record.ref or "", record.alts[0])] = count
    return copies


def _rates(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": round(precision, 5),
        "recall": round(recall, 5),
        "f1": round(f1, 5),
    }


def compare(calls: dict[Key, int], truth: dict[Key, int]) -> dict[str, dict[str, float | int]]:
    """Genotype-level counts and rates, split into SNVs and indels."""
    result = {}
    for kind in ("snv", "indel"):

        def wanted(key: Key, kind: str = kind) -> bool:
            snv = len(key[2]) == len(key[3])
            return snv if kind == "snv" else not snv

        called = {k: v for k, v in calls.items() if wanted(k)}
        expected = {k: v for k, v in truth.items() if wanted(k)}
        tp = sum(1 for k, v in called.items() if expected.get(k) == v)
        result[kind] = _rates(tp, len(called) - tp, len(expected) - tp)
    return result


def score_vcf(
    calls: str | Path,
    truth: str | Path,
    reference: str | Path,
    samples: list[str] | None = None,
    min_qual: float = 0.0,
    pass_only: bool = True,
) -> dict[str, object]:
    """Score calls against truth, per sample and summed over samples.

    Args:
        calls: The called VCF (any number of samples).
        truth: The truth VCF; samples are matched by name (by position if there is one each).
        reference: The FASTA both were made against (``.fai`` beside it).
        samples: Samples to score; all samples of the truth by default.
        min_qual: Ignore calls below this QUAL.
        pass_only: Score only calls whose FILTER is PASS (False: every call).

    Returns:
        ``{"snv": {...}, "indel": {...}, "samples": {name: {"snv": ..., "indel": ...}}}``
        with tp, fp, fn, precision, recall and f1.

    Raises:
        ValueError: A truth sample is missing from the calls.
    """
    import pysam

    workdir = Path(tempfile.mkdtemp(prefix="accuracy-"))
    try:
        calls_norm = _normalise(Path(calls), Path(reference), workdir / "calls.vcf")
        truth_norm = _normalise(Path(truth), Path(reference), workdir / "truth.vcf")
        with pysam.VariantFile(str(calls_norm)) as handle:
            called_samples = list(handle.header.samples)
        with pysam.VariantFile(str(truth_norm)) as handle:
            truth_samples = list(handle.header.samples)
        wanted = samples or truth_samples
        per_sample = {}
        totals = {"snv": [0, 0, 0], "indel": [0, 0, 0]}
        for name in wanted:
            if name in called_samples:
                column: str | int = name
            elif len(called_samples) == 1 and len(truth_samples) == 1:
                column = 0
            else:
                raise ValueError(
                    f"sample {name!r} of {truth} is not in {calls} (it has "
                    f"{', '.join(called_samples) or 'no samples'}); call that sample or pass "
                    "samples=[...] to score a subset."
                )
            called = alt_copies(calls_norm, column, min_qual, pass_only)
            scored = compare(called, alt_copies(truth_norm, name))
            per_sample[name] = scored
            for kind in totals:
                for i, field in enumerate(("tp", "fp", "fn")):
                    totals[kind][i] += int(scored[kind][field])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report: dict[str, object] = {kind: _rates(*counts) for kind, counts in totals.items()}
    report["samples"] = per_sample
    return report


@gatk_env.task
async def variant_accuracy(
    calls: Variants, truth: Variants, reference: Reference, min_qual: float = 0.0
) -> Table:
    """Score calls against a truth set (e.g. the demo's planted variants).

    Args:
        calls: Called variants (one sample or a cohort).
        truth: The truth VCF; samples are matched by name.
        reference: The reference both were made against.
        min_qual: Ignore calls below this QUAL.

    Returns:
        A JSON `Table` (``name="variant_accuracy"``) with tp, fp, fn, precision, recall and F1
        for SNVs and indels of the PASS calls, overall and per sample, and of every call
        (``all_calls``).
    """
    fasta = await reference.fetch()
    called, expected = await calls.fetch(), await truth.fetch()
    report = await asyncio.to_thread(score_vcf, called, expected, fasta, None, min_qual)
    everything = await asyncio.to_thread(score_vcf, called, expected, fasta, None, min_qual, False)
    report["all_calls"] = {kind: everything[kind] for kind in ("snv", "indel")}
    with tempfile.TemporaryDirectory(prefix="stargazer-accuracy-") as work:
        path = Path(work) / "variant_accuracy.json"
        path.write_text(json.dumps(report, indent=1))
        return await Table.create(
            path,
            parents=[calls, truth, reference],
            tool=TOOL,
            tool_version=tool_version(),
            params={"min_qual": min_qual, "match": "genotype"},
            name="variant_accuracy",
            sample_id=calls.sample_id,
            format="json",
        )
