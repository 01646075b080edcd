"""The objects of the local store: immutable files named by their SHA-256 digest.

`objects/sha256/ab/cdef...` holds the bytes. Ingest hardlinks the user's file when it can
(same file system, so no extra disk), else reflinks it, else copies it while hashing; the
user's file is never moved or modified. An object appears under its final name only once
complete, and a stamp (`stargazer.store.stamps`) lets a read notice a changed object without
re-hashing it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from stargazer.errors import DamagedStoreError
from stargazer.store.files import copy_and_hash, hash_file, link_or_clone, read_only_mode
from stargazer.store.manifest import check_digest, fsync_dir
from stargazer.store.stamps import Stamps


@dataclass(frozen=True)
class Ingested:
    """One file placed in the store: its digest, size and how it got there."""

    digest: str
    size: int
    method: str


class ObjectsMixin:
    """The object methods of `LocalStore`."""

    # What this mixin uses of `LocalStore` (defined there).
    root: Path
    objects: Path
    ingest_mode: str
    stamps: Stamps

    if TYPE_CHECKING:

        def real_folder(self, folder: Path) -> Path:
            """See `LocalStore.real_folder`."""

        def disk_full_explained(self, what: str) -> contextlib.AbstractContextManager[None]:
            """See `LocalStore.disk_full_explained`."""

        def staging(self, prefix: str = "") -> contextlib.AbstractContextManager[Path]:
            """See `LocalStore.staging`."""

    def object_path(self, digest: str) -> Path:
        """Where the object with this digest lives (whether or not it is present)."""
        hexdigest = check_digest(digest).split(":", 1)[1]
        return self.objects / hexdigest[:2] / hexdigest[2:]

    def has_object(self, digest: str) -> bool:
        """Whether the object is present locally."""
        path = self.object_path(digest)
        return path.is_file() and not path.is_symlink()

    def ingest(self, source: Path) -> Ingested:
        """Place a file in the store and return its digest; the source is never modified.

        A hardlinked object shares its inode (and permissions) with the user's file, so an
        edit in place changes the stored bytes: fetch and export notice it (a stamp, else a
        hash) and refuse, and adding the original bytes again repairs it. Copies and reflinks
        are the store's own, read-only, with the source's read bits (never more readable).
        """
        mode = read_only_mode(os.stat(source).st_mode)
        with self.disk_full_explained(str(source)), self.staging("ingest-") as folder:
            staged = folder / "object"
            method = "copy"
            if self.ingest_mode == "auto":
                method = link_or_clone(source, staged)
            if method == "copy":
                digest, size = copy_and_hash(source, staged, mode)
            else:
                digest, size = hash_file(staged)
                if method == "reflink":
                    os.chmod(staged, mode)  # our own inode: read-only like a copy
            self._commit_object(staged, digest)
        return Ingested(digest, size, method)

    def object_is_intact(self, digest: str, path: Path | None = None) -> bool:
        """Whether the object still hashes to `digest` (a stamp check, else a full hash)."""
        path = path or self.object_path(digest)
        if self.stamps.matches(digest, path):
            return True
        try:
            got, _ = hash_file(path)
        except OSError:
            return False
        if got == digest:
            self.stamps.record(digest, path)
        return got == digest

    def check_object(self, digest: str, role: str = "primary") -> Path:
        """The object's path, after checking its bytes (stamp, else hash).

        Raises:
            DamagedStoreError: The object no longer hashes to its digest.
        """
        path = self.object_path(digest)
        if not self.object_is_intact(digest, path):
            raise DamagedStoreError(
                f"object {digest} ({role}) at {path} is corrupted: its bytes no longer match "
                "their digest. Re-add the original file to repair it (`stargazer assets add`); "
                "`stargazer assets verify` lists every damaged object"
            )
        return path

    def _commit_object(self, staged: Path, digest: str) -> None:
        """Give a complete, hashed staged file its final name.

        An existing object is kept when intact and replaced by the staged bytes when not, so
        adding the original file again repairs a damaged object.
        """
        final = self.object_path(digest)
        self.real_folder(self.root / "objects")
        self.real_folder(self.objects).mkdir(parents=True, exist_ok=True)
        self.real_folder(final.parent).mkdir(exist_ok=True)
        if final.is_symlink():
            final.unlink()
        elif final.is_file():
            if self.object_is_intact(digest, final):
                return
            replacement = final.with_name(f".{final.name}.{secrets.token_hex(4)}")
            os.link(staged, replacement)
            os.replace(replacement, final)
        else:
            try:
                os.link(staged, final)  # unlike rename, never replaces an object someone put
            except FileExistsError:
                return
        fsync_dir(final.parent)
        self.stamps.record(digest, final)

    def add_object_from(self, chunks: Iterator[bytes], digest: str) -> Path:
        """Store bytes arriving in chunks (a download), checking they hash to `digest`."""
        with self.staging("download-") as folder:
            staged = folder / "object"
            hasher = hashlib.sha256()
            with open(staged, "wb") as handle:
                for chunk in chunks:
                    hasher.update(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            got = f"sha256:{hasher.hexdigest()}"
            if got != digest:
                raise OSError(f"downloaded object {digest} hashes to {got}: the remote is corrupt")
            os.chmod(staged, 0o400)
            self._commit_object(staged, digest)
        return self.object_path(digest)

    def iter_objects(self) -> Iterator[tuple[str, Path]]:
        """Every local object as (digest, path); symlinked folders raise DamagedStoreError."""
        if not self.real_folder(self.objects).is_dir():
            return
        self.real_folder(self.root / "objects")
        for prefix in sorted(self.objects.iterdir()):
            if prefix.name.startswith(".") or not self.real_folder(prefix).is_dir():
                continue
            for path in sorted(prefix.iterdir()):
                if not path.name.startswith(".") and not path.is_symlink():
                    yield f"sha256:{prefix.name}{path.name}", path
