"""The pairing flags `bwa mem` writes and pybwa leaves out, computed as bwa computes them.

pybwa pairs the mates in bwa's C code (rescue, mate fields, TLEN, MAPQ, ``MC``), but the
records it returns lack READ1/READ2, PROPER_PAIR and, for a mapped read whose mate is
unmapped, the mate-reverse bit; they carry an ``MQ`` tag `bwa mem` does not write, and a
hard-clipped supplementary alignment on the reverse strand gets the wrong bases. `mark_batch`
puts all of that right, so the records are the ones `bwa mem` writes for the same batch.

PROPER_PAIR follows bwa's ``mem_pestat``: per batch and per orientation (FF, FR, RF, RR),
the insert sizes of unique pairs give percentiles p25/p75 and a mean and standard deviation;
a pair is proper when its orientation has enough pairs and its insert lies within the
*wider* of ``p25 - 3 IQR .. p75 + 3 IQR`` and ``mean -+ 4 SD``. The orientation and insert
(``|TLEN| - 1``, bwa's distance between the 5' ends) are read from the primary records.

Known limit: bwa also weighs pairings of its *other* candidate hits (which pybwa does not
return) against the unpaired hits; for a pair whose mates also pair up elsewhere (chimeric
reads, mates in repeats on the same strand) it can leave PROPER_PAIR off where this rule sets
it, or the reverse. `tests/.../test_bwa_records.py` measures how often (one pair in ~2,000
of deliberately hard pairs; none in ordinary pairs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pysam

#: bwa's `mem_pestat` constants (bwamem_pair.c).
MIN_DIR_COUNT, MIN_DIR_RATIO = 10, 0.05
OUTLIER_BOUND, MAPPING_BOUND, MAX_STDDEV = 2.0, 3.0, 4.0
#: A pair feeds the statistics when each read's best other hit scores <= 0.8 x its best.
MIN_RATIO = 0.8
#: bwa's ``max_ins`` and, with no competing hit, the sub-score ``min_seed_len * a``.
MAX_INSERT, NO_SUB_SCORE = 10_000, 19
_NOT_PRIMARY = pysam.FSECONDARY | pysam.FSUPPLEMENTARY
_COMPLEMENT = str.maketrans("ACGTNacgtn", "TGCANtgcan")


@dataclass(frozen=True)
class InsertBounds:
    """Proper-pair insert bounds of one orientation; ``failed`` when too few pairs."""

    low: int = 0
    high: int = 0
    failed: bool = True

    def holds(self, distance: int) -> bool:
        """Whether a pair this far apart is within the bounds."""
        return not self.failed and self.low <= distance <= self.high


def orientation_bounds(sizes: np.ndarray, most: int) -> InsertBounds:
    """One orientation's bounds, as bwa's ``mem_pestat`` computes them.

    Args:
        sizes: Insert sizes of the unique pairs in this orientation.
        most: The largest pair count over the four orientations.
    """
    count = len(sizes)
    if count < MIN_DIR_COUNT or count < most * MIN_DIR_RATIO:
        return InsertBounds()
    values = np.sort(sizes)
    p25 = int(values[int(0.25 * count + 0.499)])
    p75 = int(values[int(0.75 * count + 0.499)])
    spread = p75 - p25
    low = max(1, int(p25 - OUTLIER_BOUND * spread + 0.499))
    high = int(p75 + OUTLIER_BOUND * spread + 0.499)
    kept = values[(values >= low) & (values <= high)].astype(np.float64)
    mean = float(kept.mean())
    std = float(np.sqrt(((kept - mean) ** 2).mean()))
    low = int(p25 - MAPPING_BOUND * spread + 0.499)
    high = int(p75 + MAPPING_BOUND * spread + 0.499)
    # The wider bounds win: bwa widens, it never narrows.
    low = min(low, int(mean - MAX_STDDEV * std + 0.499))
    high = max(high, int(mean + MAX_STDDEV * std + 0.499))
    return InsertBounds(max(1, low), high, False)


def _primary(records: list[Any]) -> Any:
    """The primary record of one query (bwa lists it first)."""
    for record in records:
        if not record.flag & _NOT_PRIMARY:
            return record
    return records[0]


def _unique(record: Any) -> bool:
    """Whether no other hit scores above 0.8 x the best (bwa's ``cal_sub``, from AS/XS)."""
    sub = int(record.get_tag("XS")) if record.has_tag("XS") else 0
    return (sub or NO_SUB_SCORE) <= MIN_RATIO * int(record.get_tag("AS"))


def _orientation(first: Any, second: Any) -> tuple[int, int] | None:
    """Orientation and distance of two mapped primaries, as bwa's ``mem_infer_dir`` sees them.

    Orientations are 0..3 for FF, FR, RF, RR, strands as seen from R1's strand; the distance
    is between the 5' ends, ``|TLEN| - 1``.
    """
    if first.flag & pysam.FUNMAP or second.flag & pysam.FUNMAP:
        return None
    if first.reference_id != second.reference_id:
        return None
    tlen = first.template_length
    first_reverse = bool(first.flag & pysam.FREVERSE)
    same_strand = first_reverse == bool(second.flag & pysam.FREVERSE)
    right = tlen < 0 if first_reverse else tlen > 0
    distance = abs(tlen) - 1 if tlen else 0
    return (0 if same_strand else 1) ^ (0 if right else 3), distance


def batch_bounds(
    pairs: list[tuple[Any, Any, tuple[int, int] | None]],
) -> list[InsertBounds]:
    """Insert bounds per orientation from a batch's pairs, as ``mem_pestat`` sets them."""
    sizes: list[list[int]] = [[], [], [], []]
    for first, second, shape in pairs:
        if shape is None or not 0 < shape[1] <= MAX_INSERT:
            continue
        if _unique(first) and _unique(second):
            sizes[shape[0]].append(shape[1])
    most = max(len(s) for s in sizes)
    return [orientation_bounds(np.asarray(s, dtype=np.int64), most) for s in sizes]


def _reverse_complement(sequence: str) -> str:
    return sequence.translate(_COMPLEMENT)[::-1]


def fix_hard_clipped(record: Any, read: str) -> None:
    """Give a hard-clipped supplementary record the bases `bwa mem` writes for it."""
    cigar = record.cigartuples or []
    if not cigar:
        return
    left = cigar[0][1] if cigar[0][0] == pysam.CHARD_CLIP else 0
    right = cigar[-1][1] if len(cigar) > 1 and cigar[-1][0] == pysam.CHARD_CLIP else 0
    if not left and not right:
        return
    oriented = _reverse_complement(read) if record.flag & pysam.FREVERSE else read
    qualities = record.query_qualities
    record.query_sequence = oriented[left : len(oriented) - right]
    record.query_qualities = qualities


def mark_batch(
    results: list[list[Any]], reads: list[str], scores: list[int], read_group: str
) -> tuple[list[Any], int]:
    """Set `bwa mem`'s pairing flags and the ``ms``/``RG`` tags on a batch of pair results.

    Args:
        results: pybwa's output, one list of records per query (R1, R2, R1, R2, ...).
        reads: Each query's bases as read (to restore hard-clipped supplementary records).
        scores: Per query, the fixmate ``ms`` score of that read.
        read_group: The read group ID put in each record's RG tag.

    Returns:
        All records of the batch, flat, and the number of proper pairs.
    """
    pairs = []
    for i in range(0, len(results), 2):
        first, second = _primary(results[i]), _primary(results[i + 1])
        pairs.append((first, second, _orientation(first, second)))
    bounds = batch_bounds(pairs)
    records: list[Any] = []
    proper_pairs = 0
    for number, (first, second, shape) in enumerate(pairs):
        proper = False
        if shape is not None:
            direction, distance = shape
            proper = bounds[direction].holds(distance)
        proper_pairs += proper
        extra = pysam.FPAIRED | (pysam.FPROPER_PAIR if proper else 0)
        for mate, read_bit in ((1, pysam.FREAD1), (0, pysam.FREAD2)):
            query = 2 * number + 1 - mate
            mate_unmapped = (second if mate else first).flag & pysam.FUNMAP
            for record in results[query]:
                flag = record.flag | extra | read_bit
                if mate_unmapped and not flag & pysam.FUNMAP and flag & pysam.FREVERSE:
                    flag |= pysam.FMREVERSE  # bwa places the unmapped mate on this strand
                record.flag = flag
                if flag & pysam.FSUPPLEMENTARY:
                    fix_hard_clipped(record, reads[query])
                record.set_tag("MQ", None)
                record.set_tag("ms", scores[query ^ 1], value_type="i")
                record.set_tag("RG", read_group, value_type="Z")
                records.append(record)
    return records, proper_pairs


__all__ = ["InsertBounds", "batch_bounds", "fix_hard_clipped", "mark_batch", "orientation_bounds"]
