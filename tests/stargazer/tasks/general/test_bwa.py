import shutil

import pysam
import pysam.bcftools
import pytest

from stargazer.errors import InvalidAssetError
from stargazer.tasks import align, prepare_reference
from stargazer.tasks.general.bwa import align_reads, bwa_index, strip_mate_suffix
from stargazer.testing import run
from stargazer.testing.germline import make_demo, register_demo
from stargazer.types import Reads, Reference, assemble


@pytest.fixture
def demo_assets(workspace):
    demo = make_demo(workspace / "data")
    assets = register_demo(demo)
    assets["prepared"] = run(prepare_reference, reference=assets["reference"])
    assets["demo"] = demo
    return assets


def test_align_sets_pair_flags_names_read_group_and_mate_tags(demo_assets):
    reads = demo_assets["reads"]["sample1"]
    alignment = run(align, reference=demo_assets["prepared"], reads=reads)
    assert alignment.sorted and not alignment.duplicates_marked
    assert alignment.sample_id == "sample1"
    assert alignment.reference_id == demo_assets["prepared"].id
    assert alignment.tool == "pybwa" and alignment.tool_version == "2.3.2"
    assert set(alignment.parents) == {demo_assets["prepared"].id, reads.id}
    with pysam.AlignmentFile(str(alignment.path)) as bam:
        assert bam.header["HD"]["SO"] == "coordinate"
        assert bam.header["RG"] == [
            {"ID": "sample1", "SM": "sample1", "PL": "ILLUMINA", "LB": "sample1"}
        ]
        records = list(bam)
    assert records == sorted(records, key=lambda r: (r.reference_id, r.reference_start))
    assert all(r.is_paired for r in records)
    assert all(r.is_read1 != r.is_read2 for r in records)
    assert sum(r.is_read1 for r in records) == sum(r.is_read2 for r in records)
    assert sum(r.is_proper_pair for r in records) > 0.97 * len(records)
    assert not any(r.query_name.endswith(("/1", "/2")) for r in records)
    assert all(r.get_tag("RG") == "sample1" for r in records)
    mapped_mates = [r for r in records if not r.mate_is_unmapped]
    assert all(r.has_tag("MC") and r.has_tag("ms") for r in mapped_mates)
    assert alignment.companion("bai").exists()


def test_align_output_feeds_mpileup(demo_assets):
    """The trap: without READ1/READ2/PROPER_PAIR flags mpileup silently skips every read."""
    alignment = run(align, reference=demo_assets["prepared"], reads=demo_assets["reads"]["sample1"])
    pileup = pysam.bcftools.mpileup(
        "-f", str(demo_assets["prepared"].path), "-r", "chr1:1000-1010", str(alignment.path)
    )
    depths = [line for line in pileup.splitlines() if not line.startswith("#")]
    assert depths and all("DP=0" not in line for line in depths)


def test_single_end_reads_align(demo_assets, workspace):
    r1, _ = demo_assets["demo"].reads["sample1"]
    single = Reads.create_sync(r1, sample_id="single")
    alignment = run(align, reference=demo_assets["prepared"], reads=single)
    with pysam.AlignmentFile(str(alignment.path)) as bam:
        records = list(bam)
    assert records and not any(r.is_paired for r in records)
    assert sum(not r.is_unmapped for r in records) > 0.95 * len(records)


def test_reads_from_another_genome_stop_with_the_mapping_rate(demo_assets, workspace):
    other = make_demo(workspace / "other", seed=99)
    r1, r2 = other.reads["sample1"]
    foreign = Reads.create_sync(r1, companions={"r2": r2}, sample_id="foreign")
    with pytest.raises(Exception, match=r"only 0\.\d% of the \d+ reads of sample foreign .* map"):
        run(align, reference=demo_assets["prepared"], reads=foreign)
    assert assemble(kind="alignment") == []


def test_align_needs_a_prepared_reference(demo_assets):
    with pytest.raises(Exception, match=r"no BWA index .* run prepare_reference"):
        run(align, reference=demo_assets["reference"], reads=demo_assets["reads"]["sample1"])


def _write_fastq(records, path):
    with open(path, "w") as out:
        for name, sequence, quality in records:
            out.write(f"@{name}\n{sequence}\n+\n{quality}\n")
    return path


def test_r1_r2_that_do_not_pair_are_refused(workspace):
    demo = make_demo(workspace / "data")
    r1, r2 = demo.reads["sample1"]
    with pysam.FastxFile(str(r2)) as handle:
        mates = [(r.name, r.sequence, r.quality) for r in handle]
    swapped = _write_fastq([mates[1], mates[0], *mates[2:]], workspace / "swapped_R2.fastq")
    short = _write_fastq(mates[:-1], workspace / "short_R2.fastq")
    with pytest.raises(InvalidAssetError, match="R1 and R2 must hold the same reads"):
        Reads.create_sync(r1, companions={"r2": swapped}, sample_id="s")
    assert assemble(kind="reads") == []
    fasta = workspace / "ref.fa"
    shutil.copy(demo.reference, fasta)
    bwa_index(fasta)
    with pytest.raises(ValueError, match=r"R1 and R2 do not pair: read 1 is 'sample1\.0000/1'"):
        align_reads(fasta, r1, swapped, workspace / "x.bam", sample_id="s")
    with pytest.raises(ValueError, match=r"R1 and R2 do not pair: .*short_R2\.fastq ends after"):
        align_reads(fasta, r1, short, workspace / "x.bam", sample_id="s")
    assert not (workspace / "x.bam").exists()


def test_strip_mate_suffix():
    assert strip_mate_suffix("read7/1") == "read7"
    assert strip_mate_suffix("read7/2") == "read7"
    assert strip_mate_suffix("read7/3") == "read7/3"
    assert strip_mate_suffix("read7") == "read7"


def test_prepared_reference_keeps_contig_order(demo_assets):
    prepared: Reference = demo_assets["prepared"]
    with pysam.FastaFile(str(prepared.path)) as fasta:
        assert list(fasta.references) == ["chr1", "chr2", "chr3"]


def test_worker_processes_give_the_same_bam_as_one_process(workspace):
    """Batches aligned in forked workers (threads=2) match the in-process path byte for byte."""
    demo = make_demo(workspace / "data")
    r1, r2 = demo.reads["sample1"]
    fasta = workspace / "ref.fa"
    shutil.copy(demo.reference, fasta)
    bwa_index(fasta)
    # the same batches both ways (batch = bases_per_thread * threads), several of them
    one = align_reads(
        fasta, r1, r2, workspace / "one.bam", sample_id="s", threads=1, bases_per_thread=60_000
    )
    two = align_reads(
        fasta, r1, r2, workspace / "two.bam", sample_id="s", threads=2, bases_per_thread=30_000
    )
    assert one == two and one.reads > 4 * 60_000 // 150
    assert pysam.view(str(workspace / "one.bam")) == pysam.view(str(workspace / "two.bam"))
    assert (workspace / "two.bam.bai").exists()
