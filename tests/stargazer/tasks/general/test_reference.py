import shutil
import subprocess

import pytest

from stargazer.errors import InvalidAssetError
from stargazer.tasks import prepare_reference
from stargazer.tasks.general.bwa_align import INDEX_SUFFIXES, _index_method, bwa_index
from stargazer.tasks.general.reference import build_indexes
from stargazer.tasks.general.samtools import check_unique_contigs
from stargazer.testing import genome, run, write_fasta
from stargazer.testing.germline import make_demo
from stargazer.types import Reference, assemble


def test_prepare_reference_adds_fai_dict_and_bwa_index(workspace):
    demo = make_demo(workspace / "data")
    plain = Reference.create_sync(demo.reference, build="demo")
    prepared = run(prepare_reference, reference=plain)
    assert set(prepared.files) == {"primary", "fai", "dict", "amb", "ann", "bwt", "pac", "sa"}
    assert prepared.files["primary"] == plain.files["primary"]
    assert prepared.parents == [plain.id]
    assert prepared.tool == "samtools+pybwa"
    assert "pybwa 2.3.2" in prepared.tool_version
    assert prepared.build == "demo"
    dictionary = prepared.companion("dict").read_text()
    assert "@SQ\tSN:chr1\tLN:10000" in dictionary


def test_prepare_reference_is_idempotent(workspace):
    demo = make_demo(workspace / "data")
    prepared = run(prepare_reference, reference=Reference.create_sync(demo.reference))
    again = run(prepare_reference, reference=prepared)
    assert again.id == prepared.id
    assert len(assemble(kind="reference")) == 2  # the plain FASTA and the prepared one


def test_duplicate_contigs_are_refused_and_nothing_registered(workspace):
    fasta = workspace / "dup.fa"
    fasta.write_text(">chr1\nACGTACGTAC\n>chr2\nGGGGCCCCAA\n>chr1\nTTTTAAAACC\n")
    with pytest.raises(InvalidAssetError, match="'chr1' appears more than once"):
        Reference.create_sync(fasta)
    assert assemble(kind="reference") == []
    with pytest.raises(ValueError, match="duplicate contig names: chr1"):
        check_unique_contigs(fasta)
    with pytest.raises(ValueError, match="duplicate contig names"):
        build_indexes(fasta, workspace)


def test_the_bwa_index_is_the_one_debians_bwa_index_writes(tmp_path):
    """Pybwa's AUTO would build with rb2; we pick bwa's own algorithm: same bytes, faster."""
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    fasta = write_fasta(ours / "ref.fa", genome(seed=5, contigs={"chr1": 30_000, "chr2": 12_000}))
    shutil.copy(fasta, theirs / "ref.fa")
    assert _index_method(fasta).value == 3  # bwa's code for "is", its choice under 50 Mb
    bwa_index(fasta)
    subprocess.run(["bwa", "index", "ref.fa"], cwd=theirs, check=True, capture_output=True)
    for suffix in INDEX_SUFFIXES.values():
        assert (ours / f"ref.fa{suffix}").read_bytes() == (theirs / f"ref.fa{suffix}").read_bytes()
