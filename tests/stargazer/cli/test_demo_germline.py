import pysam
from click.testing import CliRunner

from stargazer.cli.main import cli
from stargazer.types import assemble


def _demo(*args):
    return CliRunner().invoke(cli, ["demo", "germline", *args], catch_exceptions=False)


def test_demo_germline_registers_reference_reads_and_truth(workspace):
    result = _demo("--size", "20kb", "--coverage", "10", "--seed", "4")
    assert result.exit_code == 0, result.output
    (reference,) = assemble(kind="reference", build="demo")
    (reads,) = assemble(kind="reads", sample_id="sample1")
    (truth,) = assemble(kind="variants", caller="truth")
    assert reads.paired and reads.parents == [reference.id]
    assert truth.sample_id == "sample1" and truth.parents == [reference.id]
    assert reference.params["seed"] == "4" and reference.tool == "stargazer.demo.germline"
    assert "SNVs and" in result.output and "indels planted" in result.output
    assert f"stargazer run germline_variants -i reference={reference.id}" in result.output
    assert f"-i samples={reads.id}" in result.output
    with pysam.VariantFile(str(truth.path)) as vcf:
        assert len(list(vcf)) > 5


def test_same_seed_registers_the_same_assets(workspace):
    _demo("--size", "20kb", "--coverage", "5", "--seed", "2")
    _demo("--size", "20kb", "--coverage", "5", "--seed", "2")
    assert len(assemble(kind="reads")) == 1
    assert len(assemble(kind="reference")) == 1


def test_several_samples_hard_and_kept_files(workspace):
    out = workspace / "kept"
    result = _demo(
        "--size",
        "20kb",
        "--coverage",
        "6",
        "--samples",
        "2",
        "--difficulty",
        "hard",
        "--output",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert {r.sample_id for r in assemble(kind="reads")} == {"sample1", "sample2"}
    (truth,) = assemble(kind="variants", caller="truth")
    assert truth.cohort == "demo"
    assert (out / "sample2_R2.fastq.gz").exists() and (out / "truth.vcf.gz").exists()
    assert assemble(kind="reference")[0].params["difficulty"] == "hard"


def test_bad_options_are_clear_and_register_nothing(workspace):
    result = CliRunner().invoke(cli, ["demo", "germline", "--size", "huge"])
    assert result.exit_code != 0
    assert "size 'huge' is not a size" in result.output
    result = CliRunner().invoke(cli, ["demo", "germline", "--size", "2kb"])
    assert result.exit_code != 0 and "at least 10 kb" in result.output
    assert assemble() == []
