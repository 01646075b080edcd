"""Uploads to the remote store: digests checked on the way, incomplete uploads cleaned up.

Large objects are uploaded in parts while being hashed: bytes that no longer match their
digest are never completed on the remote. A process killed midway leaves an incomplete
multipart upload on the server (invisible, but billed); `stale_uploads` and `abort_uploads`
(`stargazer assets gc --remote --delete`) find and abort those older than a grace period.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stargazer.store.manifest import check_digest
from stargazer.store.remote_errors import BotocoreErrors

#: Objects larger than this are uploaded in parts of this size (S3's minimum part is 5 MiB).
PART_SIZE = 8 * 1024 * 1024


class UploadsMixin:
    """The multipart-upload methods of `RemoteStore`."""

    # What this mixin uses of `RemoteStore` (defined there).
    bucket: str
    prefix: str
    region: str
    endpoint: str | None

    if TYPE_CHECKING:

        def explain(self, err: BaseException, action: str) -> OSError:
            """See `RemoteStore.explain`."""

    def _s3_api(self) -> Any:
        """A botocore S3 client on the same endpoint, region and credentials."""
        import botocore.session
        from botocore.config import Config

        session = botocore.session.get_session()
        return session.create_client(
            "s3",
            region_name=self.region,
            endpoint_url=self.endpoint,
            config=Config(connect_timeout=10, read_timeout=60, retries={"max_attempts": 3}),
        )

    def _api_errors(self, action: str) -> Any:
        return BotocoreErrors(self.explain, action)

    def stale_uploads(self, older_than: timedelta) -> list[dict[str, Any]]:
        """Incomplete multipart uploads under the prefix started before now - `older_than`.

        Each is `{"key", "upload_id", "initiated"}` (key relative to the prefix). Such an
        upload is left by a process killed while uploading; a younger one may still be live.
        """
        client = self._s3_api()
        cutoff = datetime.now(UTC) - older_than
        base = f"{self.prefix}/" if self.prefix else ""
        found = []
        with self._api_errors("list the multipart uploads of"):
            pages = client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=base
            )
            for page in pages:
                for upload in page.get("Uploads", []):
                    initiated = upload["Initiated"]
                    if initiated.tzinfo is None:
                        initiated = initiated.replace(tzinfo=UTC)
                    if initiated <= cutoff:
                        found.append(
                            {
                                "key": upload["Key"][len(base) :],
                                "upload_id": upload["UploadId"],
                                "initiated": initiated,
                            }
                        )
        return found

    def abort_uploads(self, uploads: list[dict[str, Any]]) -> int:
        """Abort the given multipart uploads (from `stale_uploads`); return how many."""
        client = self._s3_api()
        base = f"{self.prefix}/" if self.prefix else ""
        done = 0
        with self._api_errors("abort multipart uploads in"):
            for upload in uploads:
                try:
                    client.abort_multipart_upload(
                        Bucket=self.bucket, Key=base + upload["key"], UploadId=upload["upload_id"]
                    )
                except client.exceptions.NoSuchUpload:
                    continue  # finished or aborted meanwhile
                done += 1
        return done


def check_bytes(data: bytes, digest: str, source: str) -> None:
    """Raise `OSError` unless `data` hashes to `digest` (nothing is uploaded then)."""
    actual = "sha256:" + hashlib.sha256(data).hexdigest()
    if actual != check_digest(digest):
        raise OSError(
            f"{source}: the local bytes do not match their digest {digest} (they hash to "
            f"{actual}); nothing was uploaded. Run `stargazer assets verify` and re-add the file"
        )


def file_chunks(path: Path, digest: str | None) -> Iterator[bytes]:
    """The file in `PART_SIZE` chunks; raises before the end if the bytes miss `digest`.

    Raising inside the iterator makes obstore abort the multipart upload, so bytes that do
    not match their digest never become a remote object.
    """
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(PART_SIZE):
            hasher.update(chunk)
            yield chunk
    # obstore asks for the next chunk before it completes the upload: raising here aborts it.
    if digest is not None:
        actual = "sha256:" + hasher.hexdigest()
        if actual != check_digest(digest):
            raise OSError(
                f"{path}: the local bytes do not match their digest {digest} (they hash to "
                f"{actual}); the upload was aborted. Run `stargazer assets verify` and re-add "
                "the file"
            )
