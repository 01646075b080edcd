"""Asset manifests: one JSON document per asset, content-derived ids, safe names.

A manifest is the durable record of an asset. Everything else (the SQLite index, the
per-asset views) can be rebuilt from the manifests and the objects they name.

```json
{"schema": 1, "id": "reads-3f...", "kind": "reads",
 "files": {"primary": "sha256:<hex>"}, "names": {"primary": "s1_R1.fastq.gz"},
 "sizes": {"primary": 1234}, "metadata": {"sample_id": "s1", ...},
 "parents": [], "tool": "user", "tool_version": "", "params": {},
 "created_at": "2026-01-01T00:00:00+00:00"}
```

An asset may also carry free-form `"labels": {"batch": "b1", "tissue": "lung"}` (text values,
see `check_labels`), beside the typed `metadata`. Manifests without labels have no `labels` key
and their ids are computed exactly as before labels existed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from stargazer.errors import InvalidAssetError

SCHEMA = 1

#: `kind-` followed by 40 hex digits (160 bits of SHA-256).
ASSET_ID = re.compile(r"^[a-z][a-z0-9]*-[0-9a-f]{40}$")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
#: Free-form label keys (`batch`, `tissue`, `donor-id`): a letter, then letters, digits, _ or -.
LABEL_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
MAX_LABELS = 64
MAX_LABEL_VALUE = 256

#: The fields that define an asset's id; `created_at` and `sizes` are bookkeeping.
IDENTITY_FIELDS = (
    "kind",
    "files",
    "names",
    "metadata",
    "parents",
    "tool",
    "tool_version",
    "params",
)


def canonical_json(value: Any) -> bytes:
    """Deterministic JSON bytes (sorted keys, no whitespace)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def asset_id(kind: str, document: dict[str, Any]) -> str:
    """The content-derived id of an asset: its kind plus a digest of its identity fields.

    Labels count only when there are some, so assets without labels keep the ids they had
    before labels existed.
    """
    identity = {name: document[name] for name in IDENTITY_FIELDS if name != "kind"}
    identity["kind"] = kind
    if document.get("labels"):
        identity["labels"] = document["labels"]
    return f"{kind}-{hashlib.sha256(canonical_json(identity)).hexdigest()[:40]}"


def check_asset_id(value: object) -> str:
    """Return `value` if it is a well-formed asset id, else raise ValueError naming it."""
    if not isinstance(value, str) or not ASSET_ID.match(value):
        raise ValueError(
            f"{value!r} is not an asset id: ids look like 'reads-' followed by 40 hex digits "
            "(see `stargazer assets ls`)"
        )
    return value


def check_digest(value: object) -> str:
    """Return `value` if it is a `sha256:<64 hex>` digest, else raise ValueError."""
    if not isinstance(value, str) or not DIGEST.match(value):
        raise ValueError(f"{value!r} is not a digest: expected 'sha256:' and 64 hex digits")
    return value


def safe_name(name: object, what: str = "file name") -> str:
    """Return `name` if it is one plain path component that stays inside a folder.

    Refuses empty names, `.`/`..`, path separators, NUL and other control characters, so a
    name taken from a user's file can never place a file outside the store.
    """
    if not isinstance(name, str) or not name:
        raise InvalidAssetError(f"empty {what}: give every file a name")
    bad = [c for c in name if ord(c) < 32 or c in "/\\"]
    if name in (".", "..") or bad or len(name.encode()) > 255:
        raise InvalidAssetError(
            f"{what} {name!r} is not allowed: use a plain file name without '/', '\\\\', "
            "NUL or control characters, not '.' or '..', at most 255 bytes"
        )
    return name


def safe_value(key: str, value: str) -> str:
    """Return a metadata string value if it holds no NUL/control characters or path tricks."""
    if any(ord(c) < 32 for c in value):
        raise InvalidAssetError(
            f"metadata {key}={value!r} contains a NUL or control character: remove it"
        )
    if value in (".", "..") or "/" in value or "\\" in value:
        raise InvalidAssetError(
            f"metadata {key}={value!r} looks like a path: use a plain name without '/' or '..'"
        )
    return value


def check_labels(labels: Any, source: str = "") -> dict[str, str]:
    """Return free-form labels (key -> text) sorted by key, or raise naming the bad one.

    Keys: a letter, then up to 63 letters, digits, `_` or `-`. Values: 1 to 256 characters of
    text without control characters or surrounding spaces. At most 64 labels.

    Raises:
        InvalidAssetError: Naming the label, the problem and the fix.
    """
    where = f"{source}: " if source else ""
    if not isinstance(labels, dict):
        raise InvalidAssetError(
            f"{where}labels must be a mapping such as {{'batch': 'b1'}}, not "
            f"{type(labels).__name__}"
        )
    if len(labels) > MAX_LABELS:
        raise InvalidAssetError(f"{where}{len(labels)} labels; at most {MAX_LABELS} are allowed")
    for key, value in labels.items():
        if not isinstance(key, str) or not LABEL_KEY.match(key):
            raise InvalidAssetError(
                f"{where}label name {key!r} is not allowed: start with a letter, then use "
                "letters, digits, '_' or '-' (at most 64 characters)"
            )
        if not isinstance(value, str):
            raise InvalidAssetError(
                f"{where}label {key}={value!r} is a {type(value).__name__}: labels are text, "
                f"give {str(value)!r}"
            )
        if not value or len(value) > MAX_LABEL_VALUE:
            raise InvalidAssetError(
                f"{where}label {key}={value!r}: give a value of 1 to {MAX_LABEL_VALUE} characters"
            )
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise InvalidAssetError(
                f"{where}label {key}={value!r} contains a control character: remove it"
            )
        if value != value.strip():
            raise InvalidAssetError(
                f"{where}label {key}={value!r} starts or ends with spaces: remove them"
            )
    return dict(sorted(labels.items()))


def with_labels(manifest: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    """The manifest with these labels (checked) and the id that follows; unchanged if none."""
    checked = check_labels(labels)
    if not checked:
        return manifest
    labelled = {**manifest, "labels": checked}
    labelled["id"] = asset_id(manifest["kind"], labelled)
    return check_manifest(labelled)


def _check_files(files: dict[str, Any], names: dict[str, Any]) -> None:
    """Roles are keys, `primary` among them; digests are digests; names are plain names."""
    if "primary" not in files or set(files) != set(names):
        raise ValueError("files and names must have the same roles, including 'primary'")
    for role, digest in files.items():
        if not KEY.match(role):
            raise ValueError(f"bad role {role!r}")
        check_digest(digest)
        safe_name(names[role])


def _check_structure(document: dict[str, Any]) -> None:
    """Raise (ValueError, KeyError, TypeError ...) at the first thing wrong in a manifest."""
    if document.get("schema") != SCHEMA:
        raise ValueError(f"unsupported schema {document.get('schema')!r}")
    check_asset_id(document["id"])
    if not document["id"].startswith(document["kind"] + "-"):
        raise ValueError("id does not start with its kind")
    _check_files(document["files"], document["names"])
    for parent in document["parents"]:
        check_asset_id(parent)
    for key in document["metadata"]:
        if not KEY.match(key):
            raise ValueError(f"bad metadata key {key!r}")
    if "labels" in document:
        check_labels(document["labels"])
    if asset_id(document["kind"], document) != document["id"]:
        raise ValueError("id does not match the content")


def check_manifest(document: dict[str, Any], source: str = "manifest") -> dict[str, Any]:
    """Check the structure of a manifest read from disk or a remote store; return it."""
    try:
        _check_structure(document)
    except (KeyError, TypeError, AttributeError, InvalidAssetError, ValueError) as err:
        raise ValueError(f"{source} is not a valid Stargazer manifest: {err}") from err
    return document


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so readers see the old file or the whole new one, never part.

    Writes a temp file in the same folder, fsyncs it, renames it over `path`, then fsyncs
    the folder so the rename survives a power cut.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o444)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (renames, links) to disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_manifest(path: Path) -> dict[str, Any]:
    """Read and check one manifest file."""
    try:
        document = json.loads(path.read_bytes())
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"{path} is not a readable manifest: {err}") from err
    return check_manifest(document, str(path))
