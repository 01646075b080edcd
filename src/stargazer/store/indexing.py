"""Keeping the query index in line with the manifests, and answering queries without it.

The manifests are the truth; `index.sqlite` is a cache of them. Every query first compares the
two (a folder listing against the indexed ids) and repairs the difference; a missing or damaged
index is rebuilt, saying so in one line. A store that cannot be written answers from an
in-memory index of its manifests.
"""

from __future__ import annotations

import os
import secrets
import warnings
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stargazer.errors import DamagedStoreError, StoreWarning
from stargazer.store.index import Index, IndexUnreadable
from stargazer.store.locks import file_lock


class IndexingMixin:
    """The index methods of `LocalStore`."""

    # What this mixin uses of `LocalStore` (defined there).
    root: Path
    locks: Path
    index: Index

    if TYPE_CHECKING:

        def ensure_root(self) -> None:
            """See `LocalStore.ensure_root`."""

        def real_folder(self, folder: Path) -> Path:
            """See `LocalStore.real_folder`."""

        def manifest_ids(self) -> set[str]:
            """See `LocalStore.manifest_ids`."""

        def iter_manifests(
            self, only: Iterable[str] | None = None
        ) -> Iterator[tuple[Path, dict[str, Any] | None, str]]:
            """See `LocalStore.iter_manifests`."""

    def query(
        self, kind: str | None = None, filters: Mapping[str, list[str]] | None = None
    ) -> list[dict[str, Any]]:
        """Manifests matching a kind and metadata filters, from an up-to-date index.

        The index is brought in line with the manifests first (a missing or damaged index is
        rebuilt, saying so). If it cannot be written (a read-only store, a full disk), the
        answer comes from an in-memory index of the manifests.
        """
        if not self.root.is_dir():
            return []
        try:
            self.heal_index()
            return self.index.query(kind, filters)
        except DamagedStoreError:
            raise
        except OSError as err:  # read-only store, full disk, damaged beyond repair
            warnings.warn(
                f"{err}; answering from the manifests instead", StoreWarning, stacklevel=2
            )
            manifests = [m for _, m, _ in self.iter_manifests() if m is not None]
            return Index.in_memory(manifests).query(kind, filters)

    def heal_index(self) -> None:
        """Make the index list exactly the readable manifests (rebuilding a damaged one)."""
        on_disk = self.manifest_ids()
        if not self.index.exists():
            if on_disk:
                self.reindex(reason="index.sqlite is missing")
            return
        try:
            indexed = self.index.ids()
        except IndexUnreadable as err:
            self.reindex(reason=str(err))
            return
        missing, extra = on_disk - indexed, indexed - on_disk
        if not missing and not extra:
            return
        manifests = []
        for path, manifest, problem in self.iter_manifests(missing):
            if manifest is None:
                warnings.warn(f"skipped {path}: {problem}", StoreWarning, stacklevel=3)
            else:
                manifests.append(manifest)
        if manifests or extra:
            self.index.add(manifests, remove=sorted(extra))

    def reindex(self, reason: str = "") -> tuple[int, list[str]]:
        """Rebuild the index from the manifests; return (assets indexed, problems).

        The manifests are read inside the index's write transaction, so an asset registered
        meanwhile is either read here or indexed by its writer after the rebuild: none is
        dropped. A damaged index file is moved aside first.
        """
        problems: list[str] = []

        def readable() -> Iterator[dict[str, Any]]:
            for _, manifest, problem in self.iter_manifests():
                if manifest is None:
                    problems.append(problem)
                else:
                    yield manifest

        self.ensure_root()
        with file_lock(self.real_folder(self.locks) / "index.lock"):
            try:
                count = self.index.add(readable(), replace_all=True)
            except IndexUnreadable:
                self._discard_index()
                problems.clear()
                count = self.index.add(readable(), replace_all=True)
        if reason:
            warnings.warn(
                f"{reason}: rebuilt the index of {self.root} from {count} manifest(s)",
                StoreWarning,
                stacklevel=3,
            )
        return count, problems

    def _discard_index(self) -> None:
        """Move a damaged index (and its journal files) aside, keeping it for inspection."""
        damaged = self.root / f"index.sqlite.damaged-{secrets.token_hex(4)}"
        os.replace(self.index.path, damaged)
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{self.index.path}{suffix}").unlink(missing_ok=True)
