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

Faults, and what the store does about them:

- A key under `manifests/` that is not `<asset id>.json`, or a manifest that cannot be read
  (not JSON, truncated, the wrong id for its key), is skipped with one warning line naming the
  key (once per process); every other asset stays listed. Asking for that asset by id raises
  `ValueError` naming the key.
- Large objects are uploaded in parts while being hashed: bytes that no longer match their
  digest are never completed on the remote. A failed upload is aborted. An upload whose process
  was killed leaves an incomplete multipart upload on the server (invisible, but billed);
  `stargazer assets gc --remote --delete` aborts those older than a grace period.
- An endpoint that cannot be reached, a missing bucket or refused credentials raise one
  `OSError` (`ConnectionError`, `PermissionError`) whose message names the endpoint and what
  to check.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from stargazer.store import remote_errors
from stargazer.store.manifest import ASSET_ID, check_asset_id, check_digest, check_manifest
from stargazer.store.remote_errors import warn_once
from stargazer.store.remote_uploads import PART_SIZE, UploadsMixin, check_bytes, file_chunks

if TYPE_CHECKING:
    from obstore.store import ClientConfig, S3Config

__all__ = ["PART_SIZE", "RemoteStore", "parse_url", "warn_once"]


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


def _endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


class RemoteStore(UploadsMixin):
    """Objects and manifests in an S3 bucket under a prefix."""

    def __init__(self, url: str) -> None:
        from obstore.store import S3Store

        self.url = url
        self.bucket, self.prefix = parse_url(url)
        self.endpoint = _endpoint()
        self.region = _region()
        config: S3Config = {"region": self.region}
        client_options: ClientConfig = {"timeout": "300s", "connect_timeout": "10s"}
        if self.endpoint:
            config["endpoint"] = self.endpoint
            if self.endpoint.startswith("http://"):
                client_options["allow_http"] = True
        self.client = S3Store(
            self.bucket,
            prefix=self.prefix or None,
            config=config,
            client_options=client_options,
        )

    # -- keys ------------------------------------------------------------------------------

    @staticmethod
    def object_key(digest: str) -> str:
        """The key of an object under the prefix."""
        hexdigest = check_digest(digest).split(":", 1)[1]
        return f"objects/sha256/{hexdigest[:2]}/{hexdigest[2:]}"

    @staticmethod
    def manifest_key(asset: str) -> str:
        """The key of a manifest under the prefix."""
        return f"manifests/{check_asset_id(asset)}.json"

    def where(self, key: str) -> str:
        """The full `s3://bucket/prefix/key` of a key, for messages."""
        return f"{self.url.rstrip('/')}/{key}"

    # -- errors ----------------------------------------------------------------------------

    def _endpoint_text(self) -> str:
        return self.endpoint or f"AWS S3 ({self.region})"

    def explain(self, err: BaseException, action: str) -> OSError:
        """One-line `OSError` for a failed S3 call: what failed, where, and what to check."""
        return remote_errors.explain(err, action, self.url, self.bucket, self._endpoint_text())

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Turn obstore's multi-line errors into one-line `OSError`s (not-found passes)."""
        from obstore.exceptions import BaseError

        try:
            yield
        except BaseError as err:
            # `from None`: obstore's own message is a 70-line debug dump; ours says it all.
            raise self.explain(err, action) from None

    # -- reading and writing ---------------------------------------------------------------

    def exists(self, key: str) -> bool:
        """Whether a key exists."""
        import obstore

        try:
            with self._errors("read"):
                obstore.head(self.client, key)
        except FileNotFoundError:
            return False
        return True

    def upload(self, key: str, source: Path | bytes, digest: str | None = None) -> None:
        """Put a file or bytes at `key`, atomically (readers see all of it or nothing).

        A file larger than `PART_SIZE` goes up in parts, hashed on the way: if `digest` is
        given and the bytes do not match it, the upload is aborted before it completes. Any
        failure in this process aborts the multipart upload (obstore does so when the source
        raises or a part fails); a process killed midway leaves an incomplete upload that
        `stale_uploads`/`abort_uploads` (`stargazer assets gc --remote`) clean up.

        Raises:
            OSError: The local bytes do not match `digest`, or the remote refused the upload.
        """
        import obstore

        if isinstance(source, bytes):
            if digest is not None:
                check_bytes(source, digest, key)
            with self._errors("upload to"):
                obstore.put(self.client, key, source, use_multipart=False)
            return
        size = source.stat().st_size
        if size <= PART_SIZE:
            data = source.read_bytes()
            if digest is not None:
                check_bytes(data, digest, str(source))
            with self._errors("upload to"):
                obstore.put(self.client, key, data, use_multipart=False)
            return
        with self._errors("upload to"):
            obstore.put(
                self.client,
                key,
                file_chunks(source, digest),
                use_multipart=True,
                chunk_size=PART_SIZE,
                max_concurrency=8,
            )

    def delete(self, key: str) -> None:
        """Delete one key (no error if it is already gone); used by `stargazer assets rm`."""
        import obstore

        try:
            with self._errors("delete from"):
                obstore.delete(self.client, key)
        except FileNotFoundError:
            return

    def read(self, key: str) -> bytes | None:
        """The bytes at `key`, or None if there is no such key."""
        import obstore

        try:
            with self._errors("read"):
                return bytes(obstore.get(self.client, key).bytes())
        except FileNotFoundError:
            return None

    def stream(self, key: str) -> Iterator[bytes]:
        """The bytes at `key` in chunks (raises FileNotFoundError if absent)."""
        import obstore

        with self._errors("download from"):
            result = obstore.get(self.client, key)
            for chunk in result.stream(min_chunk_size=8 * 1024 * 1024):
                yield bytes(chunk)

    def manifest_ids(self) -> list[str]:
        """The ids of every well-named manifest under the prefix.

        Keys that are not `manifests/<asset id>.json` (other names, sub-folders) are skipped
        with one warning line each.
        """
        import obstore

        ids = []
        with self._errors("list"):
            for batch in obstore.list(self.client, prefix="manifests/"):
                for entry in batch:
                    path = entry["path"]
                    name = path[len("manifests/") :] if path.startswith("manifests/") else path
                    if not name:
                        continue  # a "folder" marker some consoles create
                    if "/" in name:
                        problem = "in a sub-folder (manifests sit directly under manifests/)"
                    elif not name.endswith(".json"):
                        problem = "not a manifest (manifests are named <asset id>.json)"
                    elif not ASSET_ID.match(name[: -len(".json")]):
                        problem = "not a manifest (its name is not an asset id)"
                    else:
                        ids.append(name[: -len(".json")])
                        continue
                    where = self.where(path)
                    warn_once(where, f"{where} is {problem}: move or delete the key")
        return sorted(ids)

    def parse_manifest(self, data: bytes, asset: str) -> dict[str, Any]:
        """Check the bytes of the remote manifest of `asset`; return the manifest.

        Raises:
            ValueError: Naming the key: not JSON, not a valid manifest, or another asset's.
        """
        where = self.where(self.manifest_key(asset))
        try:
            document = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ValueError(f"{where} is not valid JSON ({err}): delete it or re-add") from err
        if not isinstance(document, dict):
            raise ValueError(f"{where} is not a manifest (a JSON {type(document).__name__})")
        manifest = check_manifest(document, where)
        if manifest["id"] != asset:
            raise ValueError(
                f"{where} holds the manifest of {manifest['id']}, not of {asset}: "
                "move it to its own key or delete it"
            )
        return manifest

    def describe(self) -> str:
        """One line for people: where the remote store is."""
        return f"remote store {self.url} ({self.endpoint or 'AWS S3'})"
