"""Fixtures for the store tests: a bucket on the real S3 API server (moto) on loopback.

The server itself (`s3_server`) is in tests/conftest.py, shared with the cache tests.
"""

from __future__ import annotations

import pytest

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
}


@pytest.fixture
def bucket(s3_server, workspace, monkeypatch, request) -> str:
    """A fresh bucket; the workspace's store is remote on it."""
    import boto3

    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server)
    name = request.node.name.replace("_", "-")[:50].lower()
    boto3.client("s3", endpoint_url=s3_server, **boto_kwargs()).create_bucket(Bucket=name)
    monkeypatch.setenv("STARGAZER_STORE", f"s3://{name}/team/store")
    return name


def boto_kwargs() -> dict[str, str]:
    return {
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "region_name": "us-east-1",
    }
