"""What a file really is, from its first bytes.

Used to name the problem when a type label does not match the content (a VCF added as an
alignment, a text file named `.bam`).
"""

from __future__ import annotations

import zlib
from pathlib import Path

from stargazer.errors import InvalidAssetError

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
GZIP_MAGIC = b"\x1f\x8b"
#: The empty BGZF block that ends every complete BGZF file (BAM, bgzipped VCF).
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")

#: What each detected format should be added as.
SUGGESTED_TYPE = {
    "bam": "alignment",
    "sam": "alignment (convert it to BAM first)",
    "cram": "alignment (convert it to BAM first)",
    "vcf": "variants",
    "bcf": "variants (convert it to VCF first)",
    "fastq": "reads",
    "fasta": "reference",
    "hdf5": "anndata",
    "text": "table",
}

DESCRIPTION = {
    "bam": "a BAM file",
    "sam": "a SAM (text) file",
    "cram": "a CRAM file",
    "vcf": "a VCF file",
    "bcf": "a BCF file",
    "fastq": "a FASTQ file",
    "fasta": "a FASTA file",
    "hdf5": "an HDF5 (h5ad) file",
    "gzip": "a gzip file of unknown content",
    "corrupt-gzip": "a corrupt gzip file",
    "text": "a text file",
    "binary": "a binary file of unknown format",
    "empty": "an empty file",
}


def _head(path: Path, size: int = 65536) -> tuple[bytes, bool, str]:
    """The first bytes of the content (decompressed if gzip), whether it was gzip, and why.

    The third value says why the gzip data could not be decompressed ("" when it could).
    """
    with open(path, "rb") as handle:
        raw = handle.read(size)
    if not raw.startswith(GZIP_MAGIC):
        return raw, False, ""
    try:
        return zlib.decompressobj(31).decompress(raw, size), True, ""
    except zlib.error as err:
        return b"", True, str(err)


#: Leading bytes and the format they mark, tried in this order (SAM headers before FASTQ's @).
_MAGIC: tuple[tuple[bytes | tuple[bytes, ...], str], ...] = (
    (b"BAM\x01", "bam"),
    (b"BCF", "bcf"),
    (b"CRAM", "cram"),
    (HDF5_MAGIC, "hdf5"),
    (b"##fileformat=VCF", "vcf"),
    ((b"@HD\t", b"@SQ\t", b"@RG\t", b"@PG\t", b"@CO\t"), "sam"),
    (b"@", "fastq"),
    (b">", "fasta"),
)


def sniff(path: Path) -> str:
    """A short label for the file's format: bam, vcf, fastq, fasta, hdf5, text, ...

    `corrupt-gzip` means the file starts like gzip but its first bytes do not decompress.
    """
    head, gz, problem = _head(path)
    if problem:
        return "corrupt-gzip"
    if not head:
        return "gzip" if gz else "empty"
    for magic, label in _MAGIC:
        if head.startswith(magic):
            return label
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as err:
        # a multi-byte character cut at the end of the sample is still text
        if err.start < len(head) - 4:
            return "gzip" if gz else "binary"
    return "gzip" if gz and b"\0" in head else ("binary" if b"\0" in head else "text")


def describe(label: str) -> str:
    """`bam` -> `a BAM file`."""
    return DESCRIPTION.get(label, label)


def mismatch(path: Path, label: str, expected: str, kind: str) -> str:
    """The message for a file whose content is not what its type needs."""
    if label == "corrupt-gzip":
        return corrupt_gzip(path, _head(path)[2])
    suggestion = SUGGESTED_TYPE.get(label)
    fix = f"add it as --type {suggestion}" if suggestion else f"give a valid {expected} file"
    return f"{path}: expected {expected} (type {kind}), but it is {describe(label)}; {fix}"


def require_format(path: Path, label: str, expected: str, kind: str) -> None:
    """Refuse a file whose content is not `label` (e.g. "bam"), with `mismatch`'s message.

    Raises:
        InvalidAssetError: The content is something else, e.g. a VCF added as an alignment.
    """
    found = sniff(path)
    if found != label:
        raise InvalidAssetError(mismatch(path, found, expected, kind))


def is_bgzf(path: Path) -> bool:
    """Whether the file is BGZF (blocked gzip: BAM, bgzip) rather than plain gzip."""
    with open(path, "rb") as handle:
        head = handle.read(18)
    return len(head) >= 16 and head[:4] == b"\x1f\x8b\x08\x04" and head[12:14] == b"BC"


def has_bgzf_eof(path: Path) -> bool:
    """Whether a BGZF file ends with its end-of-file block (i.e. it is not truncated)."""
    size = path.stat().st_size
    if size < len(BGZF_EOF):
        return False
    with open(path, "rb") as handle:
        handle.seek(size - len(BGZF_EOF))
        return handle.read() == BGZF_EOF


def corrupt_gzip(path: Path, problem: str) -> str:
    """The message for a gzip (or BGZF) file whose compressed data is damaged or cut short."""
    return (
        f"{path}: the gzip stream is truncated or corrupt ({problem}), so the file cannot be "
        "read; it was damaged in transfer or on disk: re-copy or re-download it (`gzip -t FILE` "
        "checks a copy) or re-compress it from the original"
    )


def gzip_damage(path: Path) -> str:
    """Decompress a gzip or BGZF file to its end; what is wrong with it, or "" if nothing.

    Streams (8 MiB at a time), so it is cheap in memory; callers use it on the error path or
    where the whole file is read anyway.
    """
    import gzip

    try:
        with gzip.open(path, "rb") as handle:
            while handle.read(8 * 1024 * 1024):
                pass
    except EOFError as err:
        return f"it ends before the end of the compressed stream: {err}"
    except (OSError, zlib.error) as err:
        return str(err)
    return ""
