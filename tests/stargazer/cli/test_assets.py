"""`stargazer assets`: add, ls, show, export, verify, reindex and gc on real files."""

from __future__ import annotations

import json
import os

from click.testing import CliRunner

from stargazer.cli.main import cli
from stargazer.store import open_store
from stargazer.testing import fastq_records as reads
from stargazer.testing import genome, write_bam, write_fasta, write_fastq


def _run(*args: str):
    return CliRunner().invoke(cli, ["assets", *args], catch_exceptions=False)


def test_add_paired_reads_then_ls_show_export(workspace):
    r1 = write_fastq(workspace / "s1_R1.fastq.gz", reads(mate="/1"))
    r2 = write_fastq(workspace / "s1_R2.fastq.gz", reads(seed=2, mate="/2"))
    added = _run(
        "add", str(r1), "--companion", str(r2), "--type", "reads", "--meta", "sample_id=s1"
    )
    assert added.exit_code == 0, added.output
    asset_id = added.output.strip()
    assert asset_id.startswith("reads-")

    listed = _run("ls", "--type", "reads", "--where", "sample_id=s1", "--where", "sample_id=s2")
    assert listed.output.split()[:2] == [asset_id, "s1_R1.fastq.gz"]
    assert "paired=True" in listed.output
    assert _run("ls", "--where", "sample_id=nobody").output == ""
    as_json = json.loads(_run("ls", "--json").output)
    assert [m["id"] for m in as_json] == [asset_id]
    assert as_json[0]["metadata"]["paired"] is True

    shown = json.loads(_run("show", asset_id).output)
    assert shown["names"] == {"primary": "s1_R1.fastq.gz", "r2": "s1_R2.fastq.gz"}
    assert shown["sizes"]["primary"] == r1.stat().st_size

    dest = workspace / "out"
    exported = _run("export", asset_id, str(dest))
    assert exported.exit_code == 0, exported.output
    assert (dest / "s1_R1.fastq.gz").read_bytes() == r1.read_bytes()
    assert (dest / "s1_R2.fastq.gz").read_bytes() == r2.read_bytes()
    again = _run("export", asset_id, str(dest))
    assert again.exit_code == 1 and "already exist" in again.output


def test_companion_roles_follow_suffixes(workspace):
    import pysam

    fasta = write_fasta(workspace / "ref.fa", genome())
    pysam.faidx(str(fasta))
    added = _run(
        "add",
        str(fasta),
        "--type",
        "reference",
        "--companion",
        str(workspace / "ref.fa.fai"),
        "--meta",
        "build=toy",
    )
    assert added.exit_code == 0, added.output
    bam = write_bam(workspace / "x.bam")
    ref_id = added.output.strip()
    aligned = _run(
        "add",
        str(bam),
        "--type",
        "alignment",
        "--meta",
        "sorted=true",
        "--meta",
        f"reference_id={ref_id}",
        "--parent",
        ref_id,
        "--tool",
        "pybwa",
        "--tool-version",
        "2.3.2",
    )
    assert aligned.exit_code == 0, aligned.output
    shown = json.loads(_run("show", aligned.output.strip()).output)
    assert shown["metadata"]["sorted"] is True and shown["parents"] == [ref_id]
    assert shown["names"]["bai"] == "x.bam.bai"
    odd = _run("add", str(bam), "--type", "alignment", "--companion", str(workspace / "ref.fa"))
    assert odd.exit_code == 2 and "cannot tell the role" in odd.output


def test_bad_inputs_are_clear_errors_and_register_nothing(workspace):
    fake = workspace / "fake.bam"
    fake.write_text("hello\n")
    result = _run("add", str(fake), "--type", "alignment")
    assert result.exit_code == 1
    assert "fake.bam: expected BAM" in result.output and "text file" in result.output
    fastq = write_fastq(workspace / "r.fq", reads())
    unknown = _run("add", str(fastq), "--type", "reads", "--meta", "build=hg38")
    assert unknown.exit_code == 1 and "allowed fields are paired, platform, sample_id" in (
        unknown.output
    )
    typed = _run("add", str(fastq), "--type", "reads", "--meta", "paired=maybe")
    assert typed.exit_code == 1 and "expected true or false" in typed.output
    assert _run("ls").output == ""
    missing = _run("show", "reads-" + "0" * 40)
    assert missing.exit_code == 1
    # the typed "not found" error, printed as it was raised: no quotes around it
    assert missing.stderr.startswith(f"Error: no asset reads-{'0' * 40} in ")
    assert "`stargazer assets ls`" in missing.stderr
    bad_id = _run("show", "../../etc/passwd")
    assert bad_id.exit_code == 1 and "is not an asset id" in bad_id.output


def test_verify_names_a_flipped_byte_and_exits_1(workspace, monkeypatch):
    monkeypatch.setenv("STARGAZER_INGEST", "copy")
    fastq = write_fastq(workspace / "r.fq", reads())
    asset_id = _run("add", str(fastq), "--type", "reads").output.strip()
    clean = _run("verify")
    assert clean.exit_code == 0 and "OK: 1 objects verified" in clean.output
    digest = json.loads(_run("show", asset_id).output)["files"]["primary"]
    stored = open_store().local.object_path(digest)
    os.chmod(stored, 0o644)
    data = bytearray(stored.read_bytes())
    data[-3] ^= 0xFF
    stored.write_bytes(bytes(data))
    result = CliRunner().invoke(cli, ["assets", "verify"])
    assert result.exit_code == 1
    assert str(stored) in result.output and "corrupted" in result.output


def test_reindex_and_gc(workspace):
    fastq = write_fastq(workspace / "r.fq", reads())
    asset_id = _run("add", str(fastq), "--type", "reads", "--meta", "sample_id=s7").output.strip()
    (workspace / ".stargazer" / "index.sqlite").unlink()
    healed = _run("ls")  # a missing index is rebuilt from the manifests, saying so
    assert asset_id in healed.output and "rebuilt the index" in healed.output
    rebuilt = _run("reindex")
    assert rebuilt.exit_code == 0 and "indexed 1 assets" in rebuilt.output
    assert _run("ls", "--where", "sample_id=s7").output.startswith(asset_id)

    stray = open_store().local.ingest(write_fastq(workspace / "stray.fq", reads(seed=9)))
    stray_path = open_store().local.object_path(stray.digest)
    dry = _run("gc")
    assert str(stray_path) in dry.output and "run with --delete" in dry.output
    assert stray_path.exists()
    deleted = _run("gc", "--delete")
    assert "deleted 1 path(s)" in deleted.output and not stray_path.exists()
    assert _run("verify").exit_code == 0
