"""The output assets of a cached result, and those that no longer exist.

A hit counts only if its outputs are still there (locally or in the remote store), as
Nextflow's ``-resume`` checks its outputs: `missing_outputs` says which are gone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


def output_assets(outputs: Any) -> Iterator[dict[str, Any]]:
    """The asset records (``{"id": ..., "files": {...}}``) inside a Flyte ``Outputs`` proto."""
    for named in getattr(outputs, "literals", ()):
        yield from _literal_assets(named.value)


def _literal_assets(literal: Any) -> Iterator[dict[str, Any]]:
    if literal.HasField("scalar"):
        scalar = literal.scalar
        if scalar.HasField("binary") and scalar.binary.tag == "msgpack":
            import msgpack

            with contextlib.suppress(ValueError, msgpack.UnpackException):
                yield from _records(msgpack.unpackb(scalar.binary.value, strict_map_key=False))
        elif scalar.HasField("generic"):
            from google.protobuf.json_format import MessageToDict

            yield from _records(MessageToDict(scalar.generic))
    elif literal.HasField("collection"):
        for item in literal.collection.literals:
            yield from _literal_assets(item)
    elif literal.HasField("map"):
        for item in literal.map.literals.values():
            yield from _literal_assets(item)


def _records(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if isinstance(value.get("id"), str) and isinstance(value.get("files"), dict):
            yield value
        for item in value.values():
            yield from _records(item)
    elif isinstance(value, list):
        for item in value:
            yield from _records(item)


def missing_outputs(outputs: Any) -> list[str]:
    """Output assets (or their files) that exist neither locally nor in the remote store."""
    from stargazer.store import open_store
    from stargazer.store.manifest import check_asset_id, check_digest

    store = open_store()
    missing = []
    for record in output_assets(outputs):
        asset = record["id"]
        try:
            check_asset_id(asset)
            manifest = store.manifest(asset)
        except (ValueError, OSError) as err:
            missing.append(f"{asset} ({err})")
            continue
        if manifest is None:
            missing.append(asset)
            continue
        for role, digest in {**manifest["files"], **record["files"]}.items():
            try:
                check_digest(digest)
                present = store.local.has_object(digest) or (
                    store.remote is not None
                    and store.remote.exists(store.remote.object_key(digest))
                )
            except (ValueError, OSError):
                present = False
            if not present:
                missing.append(f"{asset} ({role} {digest})")
    return missing
