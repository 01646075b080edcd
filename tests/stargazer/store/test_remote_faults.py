"""Faults in the S3 remote (issue 11, case 9), made to happen against moto's real S3 server.

Stray and damaged keys under `manifests/`, an upload killed with SIGKILL between two parts,
an upload whose bytes no longer match their digest, and an endpoint nobody listens on.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import anyio
import pytest

from stargazer.errors import StoreWarning
from stargazer.store import open_store
from stargazer.store.remote import RemoteStore
from stargazer.testing import fastq_records, free_port, write_fastq
from stargazer.testing.s3 import s3_client
from stargazer.types import Asset, Reads, assemble

PREFIX = "team/store/"
#: Bigger than two 8 MiB upload parts (and than obstore's 5 MiB multipart threshold).
BIG = 2 * 8 * 1024 * 1024 + 1000


def _s3(s3_server: str):

    return s3_client(s3_server)


def _env(workspace: Path, home: str) -> dict[str, str]:
    env = dict(os.environ)
    env["STARGAZER_HOME"] = str(workspace / home)
    return env


def _cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`stargazer ARGS` in a real child process."""
    return subprocess.run(
        [sys.executable, "-c", "from stargazer.cli.main import cli; cli()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _uploads(s3_server: str, bucket: str) -> list[dict]:
    return _s3(s3_server).list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def _big_fastq(path: Path, size: int) -> Path:
    """A valid FASTQ of at least `size` bytes (distinct reads), written quickly."""
    rng = random.Random(5)
    pool = "".join(rng.choices("ACGT", k=300_000))
    records, total, i = [], 0, 0
    while total < size:
        start = (i * 37) % 299_000
        record = f"@big{i}\n{pool[start : start + 150]}\n+\n{'I' * 150}\n"
        records.append(record)
        total += len(record)
        i += 1
    path.write_text("".join(records))
    return path


def test_stray_and_damaged_manifest_keys_are_skipped_with_one_warning_each(
    bucket, workspace, monkeypatch, s3_server
):
    """Case 9: one bad key under manifests/ used to break `ls` for every client."""
    good = asyncio.run(
        Reads.create(write_fastq(workspace / "r.fq", fastq_records()), sample_id="s1")
    )
    manifest = json.dumps(good.manifest()).encode()
    other = "reads-" + "a" * 40
    truncated = "reads-" + "b" * 40
    garbage = "reads-" + "c" * 40
    bad_keys = {
        "manifests/notes.txt": b"hello",
        "manifests/sub/x.json": manifest,
        "manifests/README.json": b"{}",
        f"manifests/{other}.json": manifest,  # a manifest under another asset's key
        f"manifests/{truncated}.json": manifest[: len(manifest) // 2],
        f"manifests/{garbage}.json": b"\x00\xff not json",
    }
    client = _s3(s3_server)
    for key, body in bad_keys.items():
        client.put_object(Bucket=bucket, Key=PREFIX + key, Body=body)

    listed = _cli(_env(workspace, "pod-cli"), "assets", "ls")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split()[0] == good.id
    lines = listed.stderr.strip().splitlines()
    assert len(lines) == len(bad_keys), listed.stderr
    for key in bad_keys:
        assert sum(f"{PREFIX}{key}" in line for line in lines) == 1, (key, lines)
    assert all(line.startswith("warning: ") for line in lines)

    # Through the API in a fresh cache: the good asset is found, each key warned about once.
    monkeypatch.setenv("STARGAZER_HOME", str(workspace / "pod-api"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert assemble(kind="reads") == [good]
        assert assemble(sample_id="s1") == [good]
        assert open_store().sync() == 0
    messages = [str(w.message) for w in caught if issubclass(w.category, StoreWarning)]
    for key in bad_keys:
        assert sum(f"{PREFIX}{key}" in m for m in messages) == 1, (key, messages)
    assert len(messages) == len(bad_keys)
    with pytest.raises(ValueError, match=rf"{PREFIX}manifests/{truncated}\.json is not valid JSON"):
        Asset.load(truncated)
    with pytest.raises(ValueError, match=rf"holds the manifest of {good.id}, not of {other}"):
        Asset.load(other)


def test_re_adding_repairs_a_damaged_remote_manifest(bucket, workspace, monkeypatch, s3_server):
    fastq = write_fastq(workspace / "r.fq", fastq_records())
    made = asyncio.run(Reads.create(fastq, sample_id="s1"))
    key = PREFIX + RemoteStore.manifest_key(made.id)
    client = _s3(s3_server)
    client.put_object(Bucket=bucket, Key=key, Body=b'{"schema": 1, "id"')
    monkeypatch.setenv("STARGAZER_HOME", str(workspace / "laptop2"))
    with pytest.warns(StoreWarning, match=rf"replacing a damaged manifest: .*{made.id}\.json"):
        again = asyncio.run(Reads.create(fastq, sample_id="s1"))
    assert again == made
    stored = json.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert stored["id"] == made.id
    monkeypatch.setenv("STARGAZER_HOME", str(workspace / "pod"))
    assert assemble(kind="reads") == [made]


def test_an_upload_whose_bytes_miss_their_digest_is_aborted(bucket, workspace, s3_server):
    """A multipart upload that fails after parts were sent leaves no upload and no object."""
    big = _big_fastq(workspace / "big.fq", BIG)
    remote = open_store().remote
    assert remote is not None
    wrong = "sha256:" + "0" * 64
    with pytest.raises(OSError, match="do not match their digest"):
        remote.upload(remote.object_key(wrong), big, wrong)
    assert _uploads(s3_server, bucket) == []
    assert not remote.exists(remote.object_key(wrong))


KILL_MIDWAY = """
import os, signal, sys, time
from pathlib import Path
import boto3
import obstore

real_put = obstore.put
client = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])

def chunks(source):
    if isinstance(source, Path):
        with source.open("rb") as handle:
            while chunk := handle.read(8 * 1024 * 1024):
                yield chunk
    elif isinstance(source, bytes):
        yield source
    else:
        yield from source

def killed_midway(source):
    for number, chunk in enumerate(chunks(source)):
        if number == 2:
            # The first part is on its way: wait until the server holds the upload, then die.
            deadline = time.monotonic() + 20
            while not client.list_multipart_uploads(Bucket=sys.argv[1]).get("Uploads"):
                if time.monotonic() > deadline:
                    sys.exit("no multipart upload started")
                time.sleep(0.05)
            os.kill(os.getpid(), signal.SIGKILL)
        yield chunk

def put(store, path, file, **options):
    if path.startswith("objects/"):
        options.update(use_multipart=True, chunk_size=8 * 1024 * 1024)
        return real_put(store, path, killed_midway(file), **options)
    return real_put(store, path, file, **options)

obstore.put = put
from stargazer.cli.main import cli
cli(sys.argv[2:])
"""


def test_an_upload_killed_midway_leaves_no_orphan_after_gc(bucket, workspace, s3_server):
    """Case 9: SIGKILL between two parts of a multipart upload; gc --remote aborts it.

    The child wraps `obstore.put` (the library call every upload goes through) so that it
    kills itself once the server holds the multipart upload and two parts were handed over.
    """
    big = _big_fastq(workspace / "big.fq", BIG)
    env = _env(workspace, "laptop")
    add = ["assets", "add", str(big), "--type", "reads", "--meta", "sample_id=big"]
    killed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILL_MIDWAY), bucket, *add],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -9, killed.stderr
    orphans = _uploads(s3_server, bucket)
    assert [u["Key"].split("/")[2] for u in orphans] == ["objects"]
    listed = _s3(s3_server).list_objects_v2(Bucket=bucket, Prefix=PREFIX)
    assert listed.get("KeyCount", 0) == 0  # nothing half-visible: no object, no manifest

    found = _cli(env, "assets", "gc", "--remote", "--min-age-hours", "0")
    assert found.returncode == 0, found.stderr
    assert orphans[0]["Key"].removeprefix(PREFIX) in found.stdout
    assert "1 incomplete upload(s)" in found.stdout
    assert len(_uploads(s3_server, bucket)) == 1  # listing alone aborts nothing

    aborted = _cli(env, "assets", "gc", "--remote", "--delete", "--min-age-hours", "0")
    assert aborted.returncode == 0, aborted.stderr
    assert "aborted 1 incomplete upload(s)" in aborted.stdout
    assert _uploads(s3_server, bucket) == []

    again = _cli(env, *add)
    assert again.returncode == 0, again.stderr
    assert _uploads(s3_server, bucket) == []
    pod = _cli(_env(workspace, "pod"), "assets", "ls", "--where", "sample_id=big")
    assert pod.stdout.split()[0] == again.stdout.strip()


def test_a_dead_endpoint_is_one_line_naming_it(bucket, workspace, monkeypatch):
    """Case 9: an unreachable endpoint used to print a 70-line traceback."""
    port = free_port()
    dead = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", dead)
    env = _env(workspace, "pod")
    listed = _cli(env, "assets", "ls")
    assert listed.returncode == 1
    lines = listed.stderr.strip().splitlines()
    assert len(lines) == 1, listed.stderr
    assert dead in lines[0] and "AWS_ENDPOINT_URL" in lines[0] and "cannot reach" in lines[0]

    gc = _cli(env, "assets", "gc", "--remote")
    assert gc.returncode == 1
    assert len(gc.stderr.strip().splitlines()) == 1 and dead in gc.stderr

    monkeypatch.setenv("STARGAZER_HOME", str(workspace / "api"))
    with pytest.raises(ConnectionError, match=rf"cannot reach the S3 endpoint {dead}") as info:
        assemble(kind="reads")
    assert "\n" not in str(info.value) and info.value.__cause__ is None

    from mcp import Client

    from stargazer.mcp import Stargazer, create_server

    async def query() -> tuple[bool, str]:
        async with Client(create_server(Stargazer())) as client:
            result = await client.call_tool("query_assets", {"filters": {"kind": "reads"}})
            return result.is_error, result.content[0].text

    is_error, text = anyio.run(query)
    assert is_error and "cannot reach the S3 endpoint" in text and dead in text
    assert "\n" not in text.strip()


def test_a_missing_bucket_is_one_line_naming_it(bucket, workspace, monkeypatch):
    monkeypatch.setenv("STARGAZER_STORE", "s3://no-such-bucket-here/x")
    with pytest.raises(OSError, match="bucket 'no-such-bucket-here' does not exist") as info:
        assemble()
    assert "\n" not in str(info.value)
