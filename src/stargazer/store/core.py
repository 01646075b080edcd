"""`Store`: the local store, optionally in front of a remote one, and `open_store()`.

With `STARGAZER_STORE` unset everything is local. With `STARGAZER_STORE=s3://bucket/prefix`
new assets are written to the remote store (objects first, then the manifest) and to the local
one, which acts as a cache: manifests and objects are downloaded on first use and checked
against their digests.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stargazer.errors import StoreWarning
from stargazer.store.local import Ingested, LocalStore, default_root
from stargazer.store.manifest import atomic_write, canonical_json
from stargazer.store.remote import RemoteStore, warn_once


class Store:
    """Where assets live; task code reaches it through `stargazer.types`, not directly."""

    def __init__(self, root: Path, remote_url: str | None = None) -> None:
        self.local = LocalStore(root)
        self.remote = RemoteStore(remote_url) if remote_url else None

    @property
    def root(self) -> Path:
        """The local store folder."""
        return self.local.root

    def describe(self) -> str:
        """One line for people: where assets are kept."""
        text = self.local.describe()
        return f"{self.remote.describe()}, cached in {text}" if self.remote else text

    # -- writing ---------------------------------------------------------------------------

    def ingest(self, source: Path) -> Ingested:
        """Place one file in the local store (uploaded when its asset is registered)."""
        return self.local.ingest(source)

    def register(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Make an asset visible: remote objects and manifest first (if remote), then local."""
        if self.remote is not None:
            for digest in manifest["files"].values():
                key = self.remote.object_key(digest)
                if not self.remote.exists(key):
                    self.remote.upload(key, self.local.object_path(digest), digest)
            key = self.remote.manifest_key(manifest["id"])
            existing = self.remote.read(key)
            stored = None
            if existing is not None:
                try:
                    stored = self.remote.parse_manifest(existing, manifest["id"])
                except ValueError as err:
                    # The id is content-derived, so this manifest is the right content for
                    # the key: writing it repairs the damaged one.
                    warnings.warn(
                        f"replacing a damaged manifest: {err}", StoreWarning, stacklevel=3
                    )
            if stored is None:
                self.remote.upload(key, canonical_json(manifest) + b"\n")
            else:
                manifest = stored
        return self.local.write_manifest(manifest)

    # -- reading ---------------------------------------------------------------------------

    def manifest(self, asset: str) -> dict[str, Any] | None:
        """The manifest of an asset (fetched from the remote store if needed), or None."""
        found = self.local.read_manifest(asset)
        if found is not None or self.remote is None:
            return found
        return self._pull_manifest(asset)

    def _pull_manifest(self, asset: str) -> dict[str, Any] | None:
        assert self.remote is not None
        key = self.remote.manifest_key(asset)
        data = self.remote.read(key)
        if data is None:
            return None
        manifest = self.remote.parse_manifest(data, asset)
        atomic_write(self.local.manifest_path(asset), canonical_json(manifest) + b"\n")
        self.local.index.add([manifest])
        return manifest

    def sync(self) -> int:
        """Download the remote manifests this cache lacks; return how many (0 when local).

        A remote manifest that cannot be read is skipped with one warning line naming its key;
        the others are still pulled.
        """
        if self.remote is None:
            return 0
        pulled = 0
        for asset in self.remote.manifest_ids():
            if self.local.manifest_path(asset).is_file():
                continue
            try:
                if self._pull_manifest(asset):
                    pulled += 1
            except ValueError as err:
                warn_once(self.remote.where(self.remote.manifest_key(asset)), str(err))
        return pulled

    def query(
        self, kind: str | None = None, filters: Mapping[str, list[str]] | None = None
    ) -> list[dict[str, Any]]:
        """Manifests matching a kind and metadata filters (lists are any-of)."""
        self.sync()
        return self.local.query(kind, filters)

    def ensure_objects(self, files: Mapping[str, str]) -> None:
        """Make every object local, downloading (and checking) missing ones from the remote."""
        for role, digest in files.items():
            if self.local.has_object(digest):
                continue
            if self.remote is None:
                raise FileNotFoundError(
                    f"object {digest} ({role}) is not in {self.local.root} and no remote store "
                    "is configured: set STARGAZER_STORE, or re-add the file"
                )
            try:
                self.local.add_object_from(
                    self.remote.stream(self.remote.object_key(digest)), digest
                )
            except FileNotFoundError as err:
                raise FileNotFoundError(
                    f"object {digest} ({role}) is in neither {self.local.root} nor "
                    f"{self.remote.url}"
                ) from err

    def materialise(self, asset: str, files: Mapping[str, str], names: Mapping[str, str]) -> Path:
        """The asset's files side by side in one local folder (downloading if needed)."""
        self.ensure_objects(files)
        return self.local.materialise(asset, files, names)

    def export(self, files: Mapping[str, str], names: Mapping[str, str], dest: Path) -> list[Path]:
        """Copy an asset's files into `dest` under their names, checked against their digests."""
        self.ensure_objects(files)
        return self.local.export(files, names, dest)

    def remove(self, assets: list[str]) -> list[str]:
        """Unregister assets here and, with a remote store, there too (objects stay for gc)."""
        if self.remote is not None:
            for asset in assets:
                self.remote.delete(self.remote.manifest_key(asset))
        return self.local.remove(assets)

    # -- maintenance -----------------------------------------------------------------------

    def verify(self) -> list[str]:
        """Re-hash local objects, check manifests, and find objects that are nowhere."""
        problems = self.local.verify()
        for asset, role, digest in self.local.missing_objects():
            if self.remote is not None and self.remote.exists(self.remote.object_key(digest)):
                continue
            problems.append(f"asset {asset}: object {digest} ({role}) is missing")
        return problems

    def reindex(self) -> tuple[int, list[str]]:
        """Pull remote manifests (if remote), then rebuild the local index from manifests."""
        self.sync()
        return self.local.reindex()


_lock = threading.Lock()
_stores: dict[tuple[str, str], Store] = {}


def open_store() -> Store:
    """The store selected by `STARGAZER_HOME` and `STARGAZER_STORE` right now (cached)."""
    root = default_root()
    remote = os.environ.get("STARGAZER_STORE", "").strip()
    key = (str(root), remote)
    with _lock:
        if key not in _stores:
            _stores[key] = Store(root, remote or None)
        return _stores[key]
