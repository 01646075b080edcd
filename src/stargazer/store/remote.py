"""The same store layout on an S3-compatible object store, through obstore.

`STARGAZER_STORE=s3://bucket/prefix` selects it. Credentials and the endpoint come from the
usual AWS variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
`AWS_REGION`, `AWS_ENDPOINT_URL` for MinIO, Ceph or any S3-compatible server; plain `http://`
endpoints are allowed). Keys under the prefix mirror the local layout:

```
objects/sha256/ab/cdef...   the bytes
manifests/<id>.json         the manifests
```

An S3 PUT is atomic (readers see the whole object or none), objects are uploaded before the
manifest that names them, and objects are keyed by digest, so several writers are safe.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

from stargazer.store.manifest import check_asset_id, check_digest


def parse_url(url: str) -> tuple[str, str]:
    """Split `s3://bucket/prefix` into (bucket, prefix); refuse anything else."""
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(
            f"STARGAZER_STORE={url!r} is not supported: use s3://bucket/prefix "
            "(any S3-compatible server; set AWS_ENDPOINT_URL for non-AWS endpoints)"
        )
    prefix = parsed.path.strip("/")
    if ".." in prefix.split("/"):
        raise ValueError(f"STARGAZER_STORE={url!r}: the prefix may not contain '..'")
    return parsed.netloc, prefix


class RemoteStore:
    """Objects and manifests in an S3 bucket under a prefix."""

    def __init__(self, url: str) -> None:
        from obstore.store import S3Store

        self.url = url
        bucket, prefix = parse_url(url)
        config: dict[str, str] = {}
        client_options: dict[str, bool | str] = {"timeout": "300s"}
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        if endpoint:
            config["endpoint"] = endpoint
            if endpoint.startswith("http://"):
                client_options["allow_http"] = True
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        config["region"] = region or "us-east-1"
        self.client = S3Store(
            bucket,
            prefix=prefix or None,
            config=config,  # type: ignore[arg-type]
            client_options=client_options,  # type: ignore[arg-type]
        )

    @staticmethod
    def object_key(digest: str) -> str:
        """The key of an object under the prefix."""
        hexdigest = check_digest(digest).split(":", 1)[1]
        return f"objects/sha256/{hexdigest[:2]}/{hexdigest[2:]}"

    @staticmethod
    def manifest_key(asset: str) -> str:
        """The key of a manifest under the prefix."""
        return f"manifests/{check_asset_id(asset)}.json"

    def exists(self, key: str) -> bool:
        """Whether a key exists."""
        import obstore

        try:
            obstore.head(self.client, key)
        except FileNotFoundError:
            return False
        return True

    def upload(self, key: str, source: Path | bytes) -> None:
        """Put a file (multipart for large ones) or bytes at `key`, atomically."""
        import obstore

        obstore.put(self.client, key, source)

    def read(self, key: str) -> bytes | None:
        """The bytes at `key`, or None if there is no such key."""
        import obstore

        try:
            return bytes(obstore.get(self.client, key).bytes())
        except FileNotFoundError:
            return None

    def stream(self, key: str) -> Iterator[bytes]:
        """The bytes at `key` in chunks (raises FileNotFoundError if absent)."""
        import obstore

        result = obstore.get(self.client, key)
        for chunk in result.stream(min_chunk_size=8 * 1024 * 1024):
            yield bytes(chunk)

    def manifest_ids(self) -> list[str]:
        """The ids of every manifest under the prefix."""
        import obstore

        ids = []
        for batch in obstore.list(self.client, prefix="manifests/"):
            for entry in batch:
                name = entry["path"].rsplit("/", 1)[-1]
                if name.endswith(".json"):
                    ids.append(name[: -len(".json")])
        return sorted(ids)

    def describe(self) -> str:
        """One line for people: where the remote store is."""
        endpoint = os.environ.get("AWS_ENDPOINT_URL", "AWS S3")
        return f"remote store {self.url} ({endpoint})"
