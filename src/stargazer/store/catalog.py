"""The catalog of the local store: one manifest file per asset, written atomically.

`manifests/<id>.json` is the durable record of an asset; a manifest is written only once
all of its objects are in place, and the query index (`stargazer.store.indexing`) only
after the manifest, so a process killed at any point leaves no visible half-asset.
"""

from __future__ import annotations

import contextlib
import json
import os
import warnings
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stargazer.errors import StoreWarning
from stargazer.store.index import Index, IndexUnreadable, IndexUnwritable
from stargazer.store.manifest import (
    SCHEMA,
    asset_id,
    atomic_write,
    canonical_json,
    check_asset_id,
    check_manifest,
    fsync_dir,
    read_manifest,
    safe_name,
)


class CatalogMixin:
    """The manifest methods of `LocalStore`."""

    # What this mixin uses of `LocalStore` (defined there).
    root: Path
    manifests: Path
    index: Index

    if TYPE_CHECKING:

        def real_folder(self, folder: Path) -> Path:
            """See `LocalStore.real_folder`."""

        def disk_full_explained(self, what: str) -> contextlib.AbstractContextManager[None]:
            """See `LocalStore.disk_full_explained`."""

        def writing(self) -> contextlib.AbstractContextManager[None]:
            """See `LocalStore.writing`."""

        def has_object(self, digest: str) -> bool:
            """See `ObjectsMixin.has_object`."""

        def view_dir(self, asset: str) -> Path:
            """See `ViewsMixin.view_dir`."""

        def _retire(self, folder: Path) -> None:
            """See `ViewsMixin._retire`."""

    def manifest_path(self, asset: str) -> Path:
        """Where the manifest of an asset lives."""
        return self.manifests / f"{check_asset_id(asset)}.json"

    def new_manifest(
        self,
        kind: str,
        files: Mapping[str, str],
        names: Mapping[str, str],
        sizes: Mapping[str, int],
        metadata: Mapping[str, Any],
        parents: list[str],
        tool: str,
        tool_version: str,
        params: Mapping[str, str],
    ) -> dict[str, Any]:
        """Build a manifest (with its content-derived id) for files already in the store."""
        document: dict[str, Any] = {
            "schema": SCHEMA,
            "kind": kind,
            "files": dict(sorted(files.items())),
            "names": {role: safe_name(names[role]) for role in sorted(files)},
            "sizes": {role: int(sizes[role]) for role in sorted(files)},
            "metadata": dict(sorted(metadata.items())),
            "parents": list(parents),
            "tool": tool,
            "tool_version": tool_version,
            "params": dict(sorted(params.items())),
            "created_at": datetime.now(UTC).isoformat(timespec="microseconds"),
        }
        document["id"] = asset_id(kind, document)
        return check_manifest(document)

    def write_manifest(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Register an asset: write its manifest atomically, then index it.

        Idempotent: registering the same content again returns the first manifest (with its
        original `created_at`). Every object the manifest names must already be present.
        The manifest is the durable record: if the index cannot be updated (a full disk),
        the asset is registered all the same and the index catches up on a later command.
        """
        path = self.manifest_path(manifest["id"])
        self.real_folder(self.manifests)
        if path.is_file():
            try:
                manifest = read_manifest(path)
            except ValueError:
                pass  # damaged: written again below, from the same content
            else:
                self._index_one(manifest)
                return manifest
        for role, digest in manifest["files"].items():
            if not self.has_object(digest):
                raise FileNotFoundError(f"object {digest} ({role}) is not in {self.root}")
        with self.disk_full_explained(f"the manifest of {manifest['id']}"):
            atomic_write(path, canonical_json(manifest) + b"\n")
        self._index_one(manifest)
        return manifest

    def _index_one(self, manifest: dict[str, Any]) -> None:
        try:
            self.index.add([manifest])
        except (IndexUnwritable, IndexUnreadable) as err:
            warnings.warn(
                f"{manifest['id']} is stored, but the index was not updated ({err}); it will "
                "be brought up to date by the next `stargazer assets` command that can write",
                StoreWarning,
                stacklevel=3,
            )

    def read_manifest(self, asset: str) -> dict[str, Any] | None:
        """The manifest of an asset, or None if this store has no such asset."""
        path = self.manifest_path(asset)
        return read_manifest(path) if path.is_file() else None

    def manifest_ids(self) -> set[str]:
        """The ids of every manifest file (readable or not), from the folder listing."""
        if not self.real_folder(self.manifests).is_dir():
            return set()
        return {
            name[: -len(".json")]
            for name in os.listdir(self.manifests)
            if name.endswith(".json") and not name.startswith(".")
        }

    def iter_manifests(
        self, only: Iterable[str] | None = None
    ) -> Iterator[tuple[Path, dict[str, Any] | None, str]]:
        """Every manifest file (or those of `only`) as (path, manifest or None, problem)."""
        ids = sorted(self.manifest_ids() if only is None else only)
        for asset in ids:
            path = self.manifests / f"{asset}.json"
            try:
                manifest = read_manifest(path)
            except ValueError as err:
                if path.is_file():
                    yield path, None, str(err)
                continue
            if manifest["id"] != asset:
                yield path, None, f"{path} holds the manifest of {manifest['id']}"
                continue
            yield path, manifest, ""

    def missing_objects(self) -> list[tuple[str, str, str]]:
        """(asset id, role, digest) for every object a manifest names that is not present."""
        missing = []
        for _, manifest, _ in self.iter_manifests():
            if manifest is None:
                continue
            for role, digest in manifest["files"].items():
                if not self.has_object(digest):
                    missing.append((manifest["id"], role, digest))
        return missing

    def remove(self, assets: Iterable[str]) -> list[str]:
        """Unregister assets (manifest, index row, view); `gc` frees their bytes later.

        Returns:
            The ids removed.
        """
        removed = []
        with self.writing():
            for asset in assets:
                path = self.manifest_path(asset)
                if not path.is_file():
                    continue
                path.unlink()
                removed.append(asset)
                if self.view_dir(asset).is_dir():
                    self._retire(self.view_dir(asset))
            if removed:
                fsync_dir(self.manifests)
                with contextlib.suppress(IndexUnwritable, IndexUnreadable):
                    self.index.add([], remove=removed)
        return removed


def dump(manifest: Mapping[str, Any]) -> str:
    """A manifest as indented JSON for people."""
    return json.dumps(manifest, indent=2, sort_keys=True)
