"""Reference genomes: a FASTA with its .fai, sequence dictionary and BWA index."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from stargazer.errors import InvalidAssetError
from stargazer.types.base import Asset, link_into
from stargazer.types.sniff import mismatch, sniff

BWA_ROLES = ("amb", "ann", "bwt", "pac", "sa")
FASTA_SUFFIXES = (".fasta", ".fa", ".fna", ".fas")


@dataclass
class Reference(Asset):
    """A reference genome (plain FASTA). A `.fai` is built when none is given.

    Companion roles: `fai`, `dict` (sequence dictionary), and the BWA index `amb`, `ann`,
    `bwt`, `pac`, `sa` (all five or none). Each is checked to belong to this FASTA.

    Attributes:
        build: The genome build, e.g. GRCh38.
    """

    kind: ClassVar[str] = "reference"
    roles: ClassVar[tuple[str, ...]] = ("fai", "dict", *BWA_ROLES)

    build: str = ""

    @classmethod
    def _companion_name(cls, role: str, primary: str, given: str) -> str:
        if role == "dict":
            stem = primary
            for suffix in FASTA_SUFFIXES:
                if primary.lower().endswith(suffix):
                    stem = primary[: -len(suffix)]
                    break
            return f"{stem}.dict"
        return f"{primary}.{role}"

    @classmethod
    def _validate(
        cls, files: dict[str, Path], metadata: dict[str, Any], workdir: Path
    ) -> tuple[dict[str, Path], dict[str, Any]]:
        fasta = files["primary"]
        label = sniff(fasta)
        if label != "fasta":
            raise InvalidAssetError(mismatch(fasta, label, "FASTA", "reference"))
        with open(fasta, "rb") as handle:
            if handle.read(2) == b"\x1f\x8b":
                raise InvalidAssetError(
                    f"{fasta}: compressed FASTA is not supported; decompress it (gunzip) first"
                )
        contigs = _contigs(fasta)
        files = dict(files)
        link = link_into(workdir, fasta, fasta.name)
        if "fai" in files:
            _check_fai(files["fai"], fasta, contigs)
            link_into(workdir, files["fai"], f"{fasta.name}.fai")
        else:
            import pysam

            pysam.faidx(str(link))
            files["fai"] = workdir / f"{fasta.name}.fai"
        _check_fetch(link, contigs, files["fai"])
        if "dict" in files:
            _check_dict(files["dict"], fasta, contigs)
        bwa = [role for role in BWA_ROLES if role in files]
        if bwa and len(bwa) != len(BWA_ROLES):
            missing = ", ".join(r for r in BWA_ROLES if r not in files)
            raise InvalidAssetError(
                f"{fasta}: the BWA index is incomplete (missing {missing}); give all of "
                f"{', '.join(BWA_ROLES)} or none"
            )
        if bwa:
            _check_bwa(files, fasta, contigs)
        return files, metadata


def _contigs(fasta: Path) -> list[tuple[str, int, str]]:
    """(name, length, last base) of every contig, parsed by pysam; refuses duplicates."""
    import pysam

    contigs: list[tuple[str, int, str]] = []
    seen: set[str] = set()
    try:
        with pysam.FastxFile(str(fasta)) as handle:
            for record in handle:
                if record.quality is not None:
                    raise InvalidAssetError(
                        f"{fasta}: has quality lines; this is FASTQ (add it as --type reads)"
                    )
                if record.name in seen:
                    raise InvalidAssetError(
                        f"{fasta}: contig {record.name!r} appears more than once; contig names "
                        "must be unique (rename or drop the duplicate)"
                    )
                if not record.sequence:
                    raise InvalidAssetError(f"{fasta}: contig {record.name!r} has no sequence")
                seen.add(record.name)
                contigs.append((record.name, len(record.sequence), record.sequence[-1]))
    except (OSError, ValueError) as err:
        if isinstance(err, InvalidAssetError):
            raise
        raise InvalidAssetError(f"{fasta}: pysam cannot read it as FASTA ({err})") from err
    if not contigs:
        raise InvalidAssetError(f"{fasta}: no sequences; give a FASTA with at least one contig")
    return contigs


def _foreign(companion: Path, fasta: Path, role: str, detail: str) -> InvalidAssetError:
    return InvalidAssetError(
        f"{companion}: this {role} does not belong to {fasta} ({detail}); rebuild it from "
        "this FASTA or leave it out"
    )


def _check_fai(fai: Path, fasta: Path, contigs: list[tuple[str, int, str]]) -> None:
    try:
        rows = [line.split("\t") for line in fai.read_text().splitlines() if line]
        entries = [(row[0], int(row[1])) for row in rows if len(row) == 5]
    except (UnicodeDecodeError, ValueError, IndexError) as err:
        raise InvalidAssetError(f"{fai}: not a FASTA index (.fai): {err}") from err
    if len(entries) != len(rows):
        raise InvalidAssetError(f"{fai}: not a FASTA index (.fai has 5 columns per line)")
    expected = [(name, length) for name, length, _ in contigs]
    if entries != expected:
        raise _foreign(fai, fasta, ".fai", _difference(entries, expected))


def _check_fetch(link: Path, contigs: list[tuple[str, int, str]], fai: Path) -> None:
    """Open with pysam.FastaFile through the index and read each contig's last base."""
    import pysam

    try:
        with pysam.FastaFile(str(link), filepath_index=str(fai)) as fasta:
            for name, length, last in contigs:
                if fasta.fetch(name, length - 1, length).upper() != last.upper():
                    raise _foreign(fai, link.resolve(), ".fai", f"offsets of {name} are wrong")
    except InvalidAssetError:
        raise
    except (OSError, ValueError, KeyError) as err:
        raise InvalidAssetError(f"{link.resolve()}: pysam cannot open it indexed ({err})") from err


def _check_dict(path: Path, fasta: Path, contigs: list[tuple[str, int, str]]) -> None:
    entries = []
    try:
        for line in path.read_text().splitlines():
            if line.startswith("@SQ"):
                tags = dict(field.split(":", 1) for field in line.split("\t")[1:] if ":" in field)
                entries.append((tags["SN"], int(tags["LN"])))
    except (UnicodeDecodeError, KeyError, ValueError) as err:
        raise InvalidAssetError(f"{path}: not a sequence dictionary (.dict): {err}") from err
    expected = [(name, length) for name, length, _ in contigs]
    if entries != expected:
        raise _foreign(path, fasta, ".dict", _difference(entries, expected))


def _check_bwa(files: dict[str, Path], fasta: Path, contigs: list[tuple[str, int, str]]) -> None:
    total = sum(length for _, length, _ in contigs)
    expected = [(name, length) for name, length, _ in contigs]
    try:
        ann = files["ann"].read_text().splitlines()
        l_pac, n_seqs = (int(x) for x in ann[0].split()[:2])
        names = [ann[1 + 2 * i].split()[1] for i in range(n_seqs)]
        lengths = [int(ann[2 + 2 * i].split()[1]) for i in range(n_seqs)]
        amb = files["amb"].read_text().split()
    except (UnicodeDecodeError, ValueError, IndexError) as err:
        raise InvalidAssetError(f"{files['ann']}: not a BWA .ann/.amb pair: {err}") from err
    found = list(zip(names, lengths, strict=True))
    if l_pac != total or found != expected:
        raise _foreign(files["ann"], fasta, "BWA .ann", _difference(found, expected))
    if int(amb[0]) != total or int(amb[1]) != len(contigs):
        raise _foreign(files["amb"], fasta, "BWA .amb", "total length or contig count differs")
    if files["pac"].stat().st_size < total // 4:
        raise _foreign(files["pac"], fasta, "BWA .pac", "too small for this genome")


def _difference(found: list[tuple[str, int]], expected: list[tuple[str, int]]) -> str:
    for index, (got, want) in enumerate(zip(found, expected, strict=False)):
        if got != want:
            return f"entry {index + 1} is {got[0]}:{got[1]}, the FASTA has {want[0]}:{want[1]}"
    return f"it lists {len(found)} contigs, the FASTA has {len(expected)}"
