"""Reference genomes: a FASTA with its .fai, sequence dictionary and BWA index."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from stargazer.errors import InvalidAssetError
from stargazer.types.base import Asset, link_into
from stargazer.types.sniff import corrupt_gzip, gzip_damage, require_format

BWA_ROLES = ("amb", "ann", "bwt", "pac", "sa")
FASTA_SUFFIXES = (".fasta", ".fa", ".fna", ".fas")
#: What a sequence line may hold: letters (IUPAC codes, soft-masked lower case).
LETTERS = bytes(range(ord("A"), ord("Z") + 1)) + bytes(range(ord("a"), ord("z") + 1))
#: How to re-wrap a FASTA whose lines are uneven, in the messages.
REWRAP = (
    "re-wrap it to one width, e.g. `seqkit seq -w 60 {name} > {stem}.w60.fa`, or in Python "
    "`stargazer.types.reference.rewrap_fasta('{name}', '{stem}.w60.fa')`, and add that file"
)


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
        require_format(fasta, "fasta", "FASTA", "reference")
        with open(fasta, "rb") as handle:
            if handle.read(2) == b"\x1f\x8b":
                damage = gzip_damage(fasta)
                raise InvalidAssetError(
                    corrupt_gzip(fasta, damage)
                    if damage
                    else f"{fasta}: compressed FASTA is not supported; decompress it (gunzip) first"
                )
        contigs = _contigs(fasta)
        files = dict(files)
        link = link_into(workdir, fasta, fasta.name)
        if "fai" in files:
            _check_fai(files["fai"], fasta, contigs)
            link_into(workdir, files["fai"], f"{fasta.name}.fai")
        else:
            import pysam
            from pysam.utils import SamtoolsError

            quiet = pysam.set_verbosity(0)  # htslib's "Format error" is said better below
            try:
                pysam.faidx(str(link))
            except SamtoolsError as err:
                raise InvalidAssetError(
                    _layout_problem(fasta)
                    or f"{fasta}: samtools faidx cannot index it ({str(err).strip()})"
                ) from err
            finally:
                pysam.set_verbosity(quiet)
            files["fai"] = workdir / f"{fasta.name}.fai"
        try:
            _check_fetch(link, contigs, files["fai"])
        except InvalidAssetError as err:
            # a given .fai that disagrees may be right about a FASTA whose lines are uneven
            raise InvalidAssetError(_layout_problem(fasta) or str(err)) from err
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
                name = record.name or ""  # pysam gives every FASTA record a name, maybe ""
                if name in seen:
                    raise InvalidAssetError(
                        f"{fasta}: contig {name!r} appears more than once; contig names "
                        "must be unique (rename or drop the duplicate)"
                    )
                sequence = record.sequence
                if not sequence:
                    raise InvalidAssetError(f"{fasta}: contig {name!r} has no sequence")
                # one C pass, no copy: isascii is O(1), isalpha then means only A-Z and a-z
                if not (sequence.isascii() and sequence.isalpha()):
                    raise InvalidAssetError(_character_problem(fasta, name))
                seen.add(name)
                contigs.append((name, len(sequence), sequence[-1]))
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

    quiet = pysam.set_verbosity(0)  # htslib's "Failed to retrieve block" is said below
    try:
        with pysam.FastaFile(str(link), filepath_index=str(fai)) as fasta:
            for name, length, last in contigs:
                if fasta.fetch(name, length - 1, length).upper() != last.upper():
                    raise _foreign(fai, link.resolve(), ".fai", f"offsets of {name} are wrong")
    except InvalidAssetError:
        raise
    except (OSError, ValueError, KeyError) as err:
        raise InvalidAssetError(f"{link.resolve()}: pysam cannot open it indexed ({err})") from err
    finally:
        pysam.set_verbosity(quiet)


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


def _lines(fasta: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, line without its end) of a plain-text FASTA, streamed."""
    with open(fasta, "rb") as handle:
        for number, line in enumerate(handle, 1):
            yield number, line.rstrip(b"\r\n")


def _character_problem(fasta: Path, contig: str) -> str:
    """The line and the character that is not a base in `contig` (error path only)."""
    inside = False
    for number, line in _lines(fasta):
        if line.startswith(b">"):
            inside = line[1:].split(maxsplit=1)[:1] == [contig.encode()]
            continue
        bad = line.translate(None, LETTERS) if inside else b""
        if not bad:
            continue
        column = next(i for i, byte in enumerate(line, 1) if byte not in LETTERS)
        char = chr(bad[0]) if bad[0] < 128 else f"byte 0x{bad[0]:02x}"
        if char == " ":
            what, fix = "a space", "remove the spaces"
        elif char == "\t":
            what, fix = "a tab", "remove the tabs"
        elif char.isdigit():
            what = f"a digit ({char!r})"
            fix = (
                "this looks like a numbered (GenBank/EMBL) listing: convert it to plain FASTA, "
                "e.g. `seqkit seq` or Biopython `SeqIO.convert`"
            )
        elif char == "*":
            what = "a '*'"
            fix = "'*' is not a base (it ends a protein); a reference holds nucleotides only"
        elif char in "-.":
            what = f"a gap ({char!r})"
            fix = "this looks like an alignment: remove the gaps (`seqkit seq -g`)"
        else:
            what, fix = f"{char!r}", "remove it"
        return (
            f"{fasta} line {number}: {what} in the sequence of contig {contig!r} (column "
            f"{column}); sequence lines hold only letters (A, C, G, T, N and the other IUPAC "
            f"codes): {fix}, then add the file again"
        )
    return f"{fasta}: contig {contig!r} holds characters that are not letters; remove them"


def _layout_problem(fasta: Path) -> str:
    """Why `samtools faidx` cannot index this FASTA: uneven or blank lines; "" if neither.

    samtools faidx (which pysam, bwa and GATK rely on to read a genome) needs every line of a
    contig except the last to hold the same number of bases. Streams the file in Python, so it
    runs only once indexing has failed.
    """
    name, stem = fasta.name, fasta.stem
    contig, width, last, last_number = "", 0, -1, 0
    for number, line in _lines(fasta):
        if line.startswith(b">"):
            contig, width, last = line[1:].split(maxsplit=1)[0].decode(errors="replace"), 0, -1
            continue
        if not contig:
            return (
                f"{fasta} line {number}: sequence before the first '>' header line; every "
                "contig starts with a '>name' line"
            )
        if last >= 0 and last < width:
            where = (
                f"a blank line (line {last_number})"
                if last == 0
                else f"a line of {last} bases (line {last_number})"
            )
            return (
                f"{fasta} line {number}: contig {contig!r} has {where} before more sequence, "
                f"but its lines are {width} bases wide; samtools faidx (used by pysam, bwa and "
                "GATK) needs every line of a contig except the last to be the same width: "
                + REWRAP.format(name=name, stem=stem)
            )
        if width and len(line) > width:
            return (
                f"{fasta} line {number}: contig {contig!r} has a line of {len(line)} bases "
                f"after lines of {width}; samtools faidx (used by pysam, bwa and GATK) needs "
                "every line of a contig except the last to be the same width: "
                + REWRAP.format(name=name, stem=stem)
            )
        if not width:
            width = len(line)
        last, last_number = len(line), number
    return ""


def rewrap_fasta(source: str | Path, target: str | Path, width: int = 60) -> Path:
    """Write `source` to `target` with every sequence line `width` bases wide; return `target`.

    For a FASTA whose line widths vary, which `Reference` refuses. Streams contig by contig.
    """
    import pysam

    target = Path(target)
    with pysam.FastxFile(str(source)) as records, open(target, "w") as out:
        for record in records:
            out.write(f">{record.name}" + (f" {record.comment}" if record.comment else "") + "\n")
            sequence = record.sequence or ""
            for start in range(0, len(sequence), width):
                out.write(sequence[start : start + width] + "\n")
    return target
