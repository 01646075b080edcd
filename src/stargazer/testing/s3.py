"""Talking to the test S3 server (moto, started by the `s3_server` fixture) directly.

```python
def test_upload_lands_under_the_prefix(s3_server, bucket):
    keys = s3_client(s3_server).list_objects_v2(Bucket=bucket)["Contents"]
```
"""

from __future__ import annotations

from typing import Any

#: The AWS variables a store on the test server needs (moto accepts any credentials).
S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
}


def s3_client(endpoint: str) -> Any:
    """A boto3 S3 client for the server at `endpoint`, with `S3_CREDENTIALS` (needs boto3)."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=S3_CREDENTIALS["AWS_REGION"],
    )
