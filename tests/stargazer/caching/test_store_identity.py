"""The store id that scopes the task cache: created once, agreed on by racing processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import uuid

import pytest

from stargazer.store.identity import local_store_id

RACE = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    go = Path(sys.argv[2])
    while not go.exists():
        time.sleep(0.001)
    if len(sys.argv) > 3:
        from stargazer.store import open_store
        from stargazer.store.identity import store_id
        print(store_id(open_store()))
    else:
        from stargazer.store.identity import local_store_id
        print(local_store_id(Path(sys.argv[1])))
    """
)


def _race(tmp_path, env, root, racers: int, remote: bool = False) -> set[str]:
    go = tmp_path / f"go-{uuid.uuid4().hex}"
    extra = ["remote"] if remote else []
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", RACE, str(root), str(go), *extra],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(racers)
    ]
    time.sleep(0.5)  # let every racer import and wait
    go.touch()
    found = set()
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err[-2000:]
        found.add(out.strip())
    return found


def test_racing_processes_agree_on_one_local_store_id(tmp_path, subprocess_env):
    for round_ in range(4):
        root = tmp_path / f"store-{round_}"
        ids = _race(tmp_path, subprocess_env, root, racers=6)
        assert len(ids) == 1, ids
        (only,) = ids
        assert uuid.UUID(only) and (root / "store-id").read_text().strip() == only
        assert [p.name for p in root.iterdir()] == ["store-id"], "staging files were left"
    assert local_store_id(root) == only


def test_a_corrupt_store_id_is_refused_with_the_fix(tmp_path):
    (tmp_path / "store-id").write_text("not a uuid\n")
    with pytest.raises(ValueError, match=r"should hold a UUID.*delete it"):
        local_store_id(tmp_path)


def test_every_local_cache_of_a_remote_store_shares_its_id(s3_server, workspace, subprocess_env):
    import boto3

    credentials = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": s3_server,
    }
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket="ids")
    env = {**subprocess_env, **credentials, "STARGAZER_STORE": "s3://ids/team/store"}
    ids = set()
    for laptop_or_pod in range(3):
        env["STARGAZER_HOME"] = str(workspace / f"cache-{laptop_or_pod}")
        ids |= _race(workspace, env, "-", racers=3, remote=True)
    assert len(ids) == 1, ids
    stored = client.get_object(Bucket="ids", Key="team/store/store-id")["Body"].read()
    assert stored.decode().strip() == ids.pop()
    env["STARGAZER_STORE"] = "s3://ids/other/prefix"
    (other,) = _race(workspace, env, "-", racers=1, remote=True)
    assert other != stored.decode().strip()
