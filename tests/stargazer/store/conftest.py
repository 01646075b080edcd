"""Fixtures for the store tests: a bucket on the real S3 API server (moto) on loopback.

The server itself (`s3_server`) comes from `stargazer.testing.fixtures`, shared with the
cache tests.
"""

from __future__ import annotations

import pytest

from stargazer.testing.s3 import S3_CREDENTIALS, s3_client


@pytest.fixture
def bucket(s3_server, workspace, monkeypatch, request) -> str:
    """A fresh bucket; the workspace's store is remote on it."""
    for key, value in S3_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server)
    name = request.node.name.replace("_", "-")[:50].lower()
    s3_client(s3_server).create_bucket(Bucket=name)
    monkeypatch.setenv("STARGAZER_STORE", f"s3://{name}/team/store")
    return name
