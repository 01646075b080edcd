"""The local content-addressed store: immutable objects, atomic manifests, a query index.

Layout under the store root (`default_root()`: `$STARGAZER_HOME`, else `.stargazer/` at the
workspace root, else a per-user store outside any workspace):

```
objects/sha256/ab/cdef...   the bytes, named by their SHA-256 (never modified)
manifests/<id>.json         one manifest per asset, written atomically
index.sqlite                the query index (rebuildable from manifests/)
views/<id>/<name>           the asset's files side by side under their names (hardlinks)
tmp/                        staging; a crash leaves only unreferenced files here
```

Ingest hardlinks the user's file into the store when it can (same file system, so no extra
disk), else reflinks it, else copies it while hashing. The user's file is never moved or
modified. Objects appear under their final name only once complete (rename), a manifest is
written only once all of its objects are in place, and the index only after the manifest:
a process killed at any point leaves no visible half-asset.

Concurrency (see docs/assets.md): writers hold the store lock shared from ingest to manifest,
`gc` holds it exclusive while it deletes (`stargazer.store.gc`), staging folders are locked by
their owner, and the index heals itself from the manifests. Locks are `flock` locks
(`stargazer.store.locks`), so they hold across processes and containers sharing the volume.
Objects are read-only; a stamp (`stargazer.store.stamps`) lets fetch notice a changed object
without re-hashing it, and nothing follows a symlink out of the store.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import shutil
import tempfile
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stargazer.errors import DamagedStoreError, StoreWarning
from stargazer.store.exporting import ExportMixin
from stargazer.store.files import (
    copy_and_hash,
    hash_file,
    link_or_clone,
    read_only_mode,
)
from stargazer.store.index import Index, IndexUnreadable, IndexUnwritable
from stargazer.store.indexing import IndexingMixin
from stargazer.store.locks import file_lock, lock_folder
from stargazer.store.manifest import (
    SCHEMA,
    asset_id,
    atomic_write,
    canonical_json,
    check_asset_id,
    check_digest,
    check_manifest,
    fsync_dir,
    read_manifest,
    safe_name,
)
from stargazer.store.stamps import Stamps
from stargazer.store.views import ViewsMixin

#: `STARGAZER_INGEST=copy` never hardlinks or reflinks (the store then owns its bytes).
INGEST_MODES = ("auto", "copy")


def workspace_root(start: Path | None = None) -> Path:
    """The nearest folder (from `start`, default cwd, upwards) with `.git` or `pyproject.toml`."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists() or (folder / "pyproject.toml").exists():
            return folder
    return here


def user_store_root() -> Path:
    """The per-user store used outside a workspace: `$XDG_DATA_HOME/stargazer`.

    `XDG_DATA_HOME` defaults to `~/.local/share` (and is ignored unless absolute, as the XDG
    spec says).
    """
    data = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(data) if data and Path(data).is_absolute() else Path.home() / ".local" / "share"
    return base / "stargazer"


def default_root() -> Path:
    """Where the store lives (docs/assets.md, "Where the store lives").

    1. `$STARGAZER_HOME` when set;
    2. `.stargazer/` in the nearest folder, from the cwd upwards, with a `.git`, a
       `pyproject.toml` or an existing store (`.stargazer/manifests/`);
    3. outside any workspace, the per-user store (`user_store_root()`), said once on stderr
       (a `StoreWarning`) so a command never silently makes `./.stargazer` in a random folder.
    """
    home = os.environ.get("STARGAZER_HOME")
    if home:
        return Path(home).expanduser().resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists() or (folder / "pyproject.toml").exists():
            return folder / ".stargazer"
        if (folder / ".stargazer" / "manifests").is_dir():
            return folder / ".stargazer"
    root = user_store_root()
    warnings.warn(
        f"no workspace (.git or pyproject.toml) in {here} or above: using your per-user store "
        f"{root} (set STARGAZER_HOME to choose another)",
        StoreWarning,
        stacklevel=2,
    )
    return root


@dataclass(frozen=True)
class Ingested:
    """One file placed in the store: its digest, size and how it got there."""

    digest: str
    size: int
    method: str


class LocalStore(IndexingMixin, ViewsMixin, ExportMixin):
    """A content-addressed store in one folder; see the module docstring for the layout."""

    def __init__(self, root: Path, ingest_mode: str | None = None) -> None:
        self.root = Path(root)
        mode = ingest_mode or os.environ.get("STARGAZER_INGEST", "auto")
        if mode not in INGEST_MODES:
            raise ValueError(f"STARGAZER_INGEST={mode!r} is not one of {', '.join(INGEST_MODES)}")
        self.ingest_mode = mode
        self.objects = self.root / "objects" / "sha256"
        self.manifests = self.root / "manifests"
        self.views = self.root / "views"
        self.tmp = self.root / "tmp"
        self.locks = self.root / "locks"
        self.index = Index(self.root / "index.sqlite")
        self.stamps = Stamps(self.root / "stamps.sqlite")

    # -- the folder and its locks ----------------------------------------------------------

    def ensure_root(self) -> None:
        """Create the store folder, private to its owner (0700), if it does not exist."""
        if not self.root.is_dir():
            self.root.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                os.mkdir(self.root, 0o700)
                os.chmod(self.root, 0o700)  # whatever the umask

    def real_folder(self, folder: Path) -> Path:
        """`folder` if it is a real folder (or absent), never a symlink out of the store.

        Raises:
            DamagedStoreError: Naming the symlink and the repair.
        """
        if folder.is_symlink():
            raise DamagedStoreError(
                f"{folder} is a symlink to {os.readlink(folder)}: Stargazer never follows "
                "symlinks out of its store. Replace it with a real folder (move the files in), "
                "or point STARGAZER_HOME at the other disk instead"
            )
        return folder

    @contextlib.contextmanager
    def disk_full_explained(self, what: str) -> Iterator[None]:
        """Turn "no space left" while writing `what` into a message that says what to do."""
        try:
            yield
        except OSError as err:
            if err.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            raise OSError(
                err.errno,
                f"no space left on the device of {self.root} while storing {what}: free "
                "space there (or set STARGAZER_HOME to a bigger disk) and run the command "
                "again; nothing was registered",
            ) from err

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the store lock shared: objects placed in this block are safe from `gc`.

        Wrap ingest and registration of one asset in it, so `gc` (which takes the lock
        exclusively to delete) sees either no object or the object with its manifest.
        """
        self.ensure_root()
        with file_lock(self.real_folder(self.locks) / "store.lock", shared=True):
            yield

    @contextlib.contextmanager
    def staging(self, prefix: str = "") -> Iterator[Path]:
        """A private staging folder in `tmp/` (same file system), locked while in use.

        `gc` deletes only staging folders whose lock it can take, so a folder in use is
        safe from any process on any host or container sharing the store; a folder left by
        a killed process is unlocked and collected.
        """
        with self.writing():
            self.real_folder(self.tmp).mkdir(exist_ok=True)
            folder = Path(tempfile.mkdtemp(prefix=f"{prefix}{secrets.token_hex(4)}-", dir=self.tmp))
            fd = lock_folder(folder)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            os.close(fd)

    # -- objects ---------------------------------------------------------------------------

    def object_path(self, digest: str) -> Path:
        """Where the object with this digest lives (whether or not it is present)."""
        hexdigest = check_digest(digest).split(":", 1)[1]
        return self.objects / hexdigest[:2] / hexdigest[2:]

    def has_object(self, digest: str) -> bool:
        """Whether the object is present locally."""
        path = self.object_path(digest)
        return path.is_file() and not path.is_symlink()

    @contextlib.contextmanager
    def workdir(self) -> Iterator[Path]:
        """A scratch folder inside the store (same file system), removed afterwards."""
        with self.staging("work-") as folder:
            yield folder

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

    # -- manifests -------------------------------------------------------------------------

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

    # -- maintenance -----------------------------------------------------------------------

    def verify(self) -> list[str]:
        """Re-hash every object and check every manifest; return the problems found."""
        problems = []
        for digest, path in self.iter_objects():
            try:
                got, _ = hash_file(path)
            except (OSError, ValueError) as err:
                problems.append(f"{path}: unreadable object: {err}")
                continue
            if got != digest:
                problems.append(
                    f"{path}: object {digest} now hashes to {got} (corrupted): re-add the "
                    "original file to repair it"
                )
            else:
                self.stamps.record(digest, path)
        for _, manifest, problem in self.iter_manifests():
            if manifest is None:
                problems.append(problem)
        return problems

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

    def garbage(self) -> list[Path]:
        """Paths `gc` would delete: unreferenced objects, stale staging, orphan views."""
        from stargazer.store.gc import plan

        return plan(self).paths

    def collect(self, paths: list[Path]) -> int:
        """Delete what `garbage` listed that is still garbage; return the bytes freed."""
        from stargazer.store.gc import Plan, sweep

        return sweep(self, Plan(paths=list(paths)))[1]

    def describe(self) -> str:
        """One line for people: where the store is."""
        return f"local store at {self.root}"


def dump(manifest: Mapping[str, Any]) -> str:
    """A manifest as indented JSON for people."""
    return json.dumps(manifest, indent=2, sort_keys=True)
