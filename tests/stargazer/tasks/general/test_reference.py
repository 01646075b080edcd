import pytest

from stargazer.errors import InvalidAssetError
from stargazer.tasks import prepare_reference
from stargazer.tasks.general.reference import build_indexes
from stargazer.tasks.general.samtools import check_unique_contigs
from stargazer.testing import run
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
