"""Errors of the remote store as one line each: what failed, where, and what to check.

obstore and botocore errors are multi-line debug dumps; `explain` turns each into one
`OSError` (`ConnectionError` for an endpoint that cannot be reached, `PermissionError` for
refused credentials) naming the endpoint. `warn_once` reports a damaged key once per process.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Callable
from typing import Any

from stargazer.errors import StoreWarning

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


def explain(err: BaseException, action: str, url: str, bucket: str, endpoint: str) -> OSError:
    """One-line `OSError` for a failed S3 call on `url`: what failed, where, what to check.

    Args:
        err: The obstore or botocore error.
        action: What was being done, as a verb phrase ("read", "upload to").
        url: The store's `s3://bucket/prefix`.
        bucket: The bucket name.
        endpoint: The endpoint, for people (`AWS S3 (us-east-1)` when it is AWS).
    """
    text = str(err).split("\n\nDebug source:", 1)[0]
    whole = str(err).lower()
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
                    f"{url}: check that the server is running and reachable, and that "
                    "AWS_ENDPOINT_URL (or your network/proxy) is right"
                )
    if code_text == "NoSuchBucket":
        return OSError(
            f"bucket {bucket!r} does not exist at {endpoint}: create it, or fix "
            f"STARGAZER_STORE={url} / AWS_ENDPOINT_URL"
        )
    refused = type(err).__name__ in ("PermissionDeniedError", "UnauthenticatedError")
    if refused or code_text in _DENIED or status_text in ("401", "403"):
        return PermissionError(
            f"{endpoint} refused to {action} {url} ({code_text or status_text}): check "
            "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) and the "
            "bucket's policy"
        )
    summary = " ".join(filter(None, [code_text, detail.group(1) if detail else ""]))
    if not summary:
        summary = text.splitlines()[0][:300] if text else type(err).__name__
    return OSError(f"could not {action} {url} at {endpoint}: {summary}")


class BotocoreErrors:
    """Context manager: botocore errors -> the same one-line `OSError`s as obstore's."""

    def __init__(self, explain: Callable[[BaseException, str], OSError], action: str) -> None:
        self.explain = explain
        self.action = action

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(exc, BotoCoreError | ClientError):
            # `from None`: the message names the endpoint and what to check.
            raise self.explain(exc, self.action) from None
