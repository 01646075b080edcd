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

import hashlib
import json
import os
import re
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from stargazer.errors import StoreWarning
from stargazer.store.manifest import ASSET_ID, check_asset_id, check_digest, check_manifest

#: Objects larger than this are uploaded in parts of this size (S3's minimum part is 5 MiB).
PART_SIZE = 8 * 1024 * 1024

_warned: set[str] = set()
_warned_lock = threading.Lock()


def warn_once(where: str, message: str) -> None:
    """Warn (`StoreWarning`) with `message`, naming `where`, at most once per process per `where`.

    The CLI prints a warning as one line, `warning: <message>`.
    """
    with _warned_lock:
        if where in _warned:
            return
        _warned.add(where)
    warnings.warn(
        f"{message} (skipped; the other assets are unaffected)", StoreWarning, stacklevel=3
    )


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


#: Words in an obstore/botocore error that mean "the endpoint could not be reached".
_UNREACHABLE = (
    ("connection refused", "connection refused"),
    ("dns error", "host name not found"),
    ("failed to lookup address", "host name not found"),
    ("timed out", "timed out"),
    ("connect timeout", "timed out"),
    ("read timeout", "timed out"),
    ("connection reset", "connection reset"),
    ("error sending request", "no connection"),
    ("could not connect", "no connection"),
)

_DENIED = (
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
)


class RemoteStore:
    """Objects and manifests in an S3 bucket under a prefix."""

    def __init__(self, url: str) -> None:
        from obstore.store import S3Store

        self.url = url
        self.bucket, self.prefix = parse_url(url)
        self.endpoint = _endpoint()
        self.region = _region()
        config: dict[str, str] = {"region": self.region}
        client_options: dict[str, bool | str] = {"timeout": "300s", "connect_timeout": "10s"}
        if self.endpoint:
            config["endpoint"] = self.endpoint
            if self.endpoint.startswith("http://"):
                client_options["allow_http"] = True
        self.client = S3Store(
            self.bucket,
            prefix=self.prefix or None,
            config=config,  # type: ignore[arg-type]
            client_options=client_options,  # type: ignore[arg-type]
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
        text = str(err).split("\n\nDebug source:", 1)[0]
        whole = str(err).lower()
        endpoint = self._endpoint_text()
        code = re.search(r"<Code>([^<]+)</Code>", text)
        detail = re.search(r"<Message>([^<]+)</Message>", text)
        status = re.search(r"\b(40[0-9]|5[0-9][0-9]) [A-Z][A-Za-z ]+", text)
        code_text = (
            code.group(1) if code else getattr(err, "response", {}).get("Error", {}).get("Code", "")
        )
        status_text = status.group(1) if status else ""
        if not code_text and not status_text:  # no HTTP answer at all
            for needle, reason in _UNREACHABLE:
                if needle in whole:
                    return ConnectionError(
                        f"cannot reach the S3 endpoint {endpoint} ({reason}) to {action} "
                        f"{self.url}: check that the server is running and reachable, and that "
                        "AWS_ENDPOINT_URL (or your network/proxy) is right"
                    )
        if code_text == "NoSuchBucket":
            return OSError(
                f"bucket {self.bucket!r} does not exist at {endpoint}: create it, or fix "
                f"STARGAZER_STORE={self.url} / AWS_ENDPOINT_URL"
            )
        refused = type(err).__name__ in ("PermissionDeniedError", "UnauthenticatedError")
        if refused or code_text in _DENIED or status_text in ("401", "403"):
            return PermissionError(
                f"{endpoint} refused to {action} {self.url} ({code_text or status_text}): check "
                "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) and the "
                "bucket's policy"
            )
        summary = " ".join(filter(None, [code_text, detail.group(1) if detail else ""]))
        if not summary:
            summary = text.splitlines()[0][:300] if text else type(err).__name__
        return OSError(f"could not {action} {self.url} at {endpoint}: {summary}")

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
                _check_bytes(source, digest, key)
            with self._errors("upload to"):
                obstore.put(self.client, key, source, use_multipart=False)
            return
        size = source.stat().st_size
        if size <= PART_SIZE:
            data = source.read_bytes()
            if digest is not None:
                _check_bytes(data, digest, str(source))
            with self._errors("upload to"):
                obstore.put(self.client, key, data, use_multipart=False)
            return
        with self._errors("upload to"):
            obstore.put(
                self.client,
                key,
                _file_chunks(source, digest),
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

    # -- incomplete multipart uploads ------------------------------------------------------

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
        return _BotocoreErrors(self, action)

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

    def describe(self) -> str:
        """One line for people: where the remote store is."""
        return f"remote store {self.url} ({self.endpoint or 'AWS S3'})"


class _BotocoreErrors:
    """Context manager: botocore errors -> the same one-line `OSError`s as obstore's."""

    def __init__(self, store: RemoteStore, action: str) -> None:
        self.store = store
        self.action = action

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(exc, BotoCoreError | ClientError):
            # `from None`: the message names the endpoint and what to check.
            raise self.store.explain(exc, self.action) from None


def _check_bytes(data: bytes, digest: str, source: str) -> None:
    actual = "sha256:" + hashlib.sha256(data).hexdigest()
    if actual != check_digest(digest):
        raise OSError(
            f"{source}: the local bytes do not match their digest {digest} (they hash to "
            f"{actual}); nothing was uploaded. Run `stargazer assets verify` and re-add the file"
        )


def _file_chunks(path: Path, digest: str | None) -> Iterator[bytes]:
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
