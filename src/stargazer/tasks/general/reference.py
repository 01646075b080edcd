"""Prepare a reference for alignment and calling: FASTA index, sequence dictionary, BWA index.

The ``.fai`` and ``.dict`` come from samtools (pysam), the BWA index from pybwa; all of them
become companions of one new `Reference` asset whose parent is the plain FASTA.

    from stargazer.tasks import prepare_reference
    prepared = flyte.run(prepare_reference, reference=fasta_asset).outputs()[0]
    prepared.files.keys()   # primary, fai, dict, amb, ann, bwt, pac, sa
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from stargazer.config import gatk_env
from stargazer.tasks.general import bwa, samtools
from stargazer.types import Reference

TOOL = "samtools+pybwa"
#: Companion roles a prepared reference has.
PREPARED_ROLES = ("fai", "dict", *bwa.INDEX_SUFFIXES)


def tool_version() -> str:
    """The samtools and pybwa versions that build the indexes."""
    return f"samtools {samtools.tool_version()}; pybwa {bwa.tool_version()}"


def is_prepared(reference: Reference) -> bool:
    """True when the reference already has every index `prepare_reference` builds."""
    return all(role in reference.files for role in PREPARED_ROLES)


def build_indexes(fasta: str | Path, workdir: str | Path) -> dict[str, Path]:
    """Link ``fasta`` into ``workdir`` and build its .fai, .dict and BWA index there.

    Returns:
        Role -> path, including ``primary`` (the linked FASTA).

    Raises:
        ValueError: The FASTA has duplicate or unnamed contigs.
    """
    fasta = Path(fasta)
    samtools.check_unique_contigs(fasta)
    linked = Path(workdir) / fasta.name
    linked.symlink_to(fasta.resolve())
    files = {"primary": linked, "fai": samtools.faidx(linked)}
    files.update(bwa.bwa_index(linked))
    # After the BWA index: pybwa writes its own `<stem>.dict` (UR = the FASTA's absolute path,
    # so the asset would depend on where the store lives); samtools' replaces it.
    files["dict"] = samtools.sequence_dictionary(linked, Path(workdir) / f"{fasta.stem}.dict")
    return files


@gatk_env.task
async def prepare_reference(reference: Reference) -> Reference:
    """Index a reference FASTA for alignment and calling (idempotent).

    Args:
        reference: A plain FASTA reference.

    Returns:
        The same genome with ``fai``, ``dict`` and the BWA index (``amb``, ``ann``, ``bwt``,
        ``pac``, ``sa``) as companions. A reference that has them all is returned as is.

    Raises:
        ValueError: The FASTA has duplicate or unnamed contigs.
    """
    if is_prepared(reference):
        return reference
    fasta = await reference.fetch()
    with tempfile.TemporaryDirectory(prefix="stargazer-reference-") as work:
        files = await asyncio.to_thread(build_indexes, fasta, work)
        primary = files.pop("primary")
        return await Reference.create(
            primary,
            companions=files,
            parents=[reference],
            tool=TOOL,
            tool_version=tool_version(),
            params={},
            build=reference.build,
        )
