"""The S3 remote, against moto's S3 server on loopback: what a laptop writes, a pod reads."""

from __future__ import annotations

import asyncio

import pytest

from stargazer.store import open_store
from stargazer.store.remote import RemoteStore, parse_url
from stargazer.testing import fastq_records, write_bam, write_fastq
from stargazer.testing.s3 import s3_client
from stargazer.types import Alignment, Asset, Reads, assemble


def _as_pod(monkeypatch, workspace, name: str) -> None:
    """Switch to a fresh local cache, as a cluster pod would start with."""
    monkeypatch.setenv("STARGAZER_HOME", str(workspace / name))


def test_a_pod_reads_what_the_laptop_wrote(bucket, workspace, monkeypatch, s3_server):

    r1 = write_fastq(workspace / "s1_R1.fq.gz", fastq_records(mate="/1"))
    r2 = write_fastq(workspace / "s1_R2.fq.gz", fastq_records(seed=2, mate="/2"))
    laptop = asyncio.run(Reads.create(r1, companions={"r2": r2}, sample_id="s1"))
    bam = asyncio.run(
        Alignment.create(
            write_bam(workspace / "s1.bam"), sorted=True, parents=[laptop], sample_id="s1"
        )
    )
    keys = {o["Key"] for o in s3_client(s3_server).list_objects_v2(Bucket=bucket)["Contents"]}
    assert f"team/store/manifests/{laptop.id}.json" in keys
    assert len([k for k in keys if k.startswith("team/store/objects/sha256/")]) == 4

    _as_pod(monkeypatch, workspace, "pod")
    found = assemble(kind="reads", sample_id="s1")
    assert found == [laptop]
    path = asyncio.run(found[0].fetch())
    assert str(path).startswith(str(workspace / "pod"))
    assert path.read_bytes() == r1.read_bytes()
    assert found[0].companion("r2").read_bytes() == r2.read_bytes()
    pod_bam = Asset.load(bam.id)  # by id, not yet listed in this pod's index
    assert pod_bam == bam and asyncio.run(pod_bam.fetch()).with_suffix(".bam.bai").exists()
    assert open_store().verify() == []


def test_by_id_without_listing_and_missing_objects_count_as_remote(bucket, workspace, monkeypatch):
    fastq = write_fastq(workspace / "r.fq", fastq_records())
    made = asyncio.run(Reads.create(fastq, sample_id="x"))
    _as_pod(monkeypatch, workspace, "pod")
    loaded = Reads.load(made.id)
    assert loaded == made
    assert open_store().verify() == []  # objects not cached yet, but the remote has them
    with pytest.raises(KeyError, match="no asset reads-"):
        Asset.load("reads-" + "1" * 40)


def test_a_corrupt_remote_object_is_refused_on_download(bucket, workspace, monkeypatch, s3_server):

    fastq = write_fastq(workspace / "r.fq", fastq_records())
    made = asyncio.run(Reads.create(fastq, sample_id="x"))
    key = "team/store/" + RemoteStore.object_key(made.files["primary"])
    client = s3_client(s3_server)
    client.put_object(Bucket=bucket, Key=key, Body=b"@evil\nA\n+\nI\n")
    _as_pod(monkeypatch, workspace, "pod")
    with pytest.raises(OSError, match="the remote is corrupt"):
        asyncio.run(Reads.load(made.id).fetch())
    assert not any(p.is_file() for p in (workspace / "pod").rglob("objects/**/*"))


def test_store_url_must_be_s3():
    with pytest.raises(ValueError, match="use s3://bucket/prefix"):
        parse_url("gs://bucket/x")
    with pytest.raises(ValueError, match=r"may not contain '\.\.'"):
        parse_url("s3://bucket/a/../b")
    assert parse_url("s3://b/team/store/") == ("b", "team/store")
