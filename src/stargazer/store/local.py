"""The local content-addressed store: immutable objects, atomic manifests, a query index.

Layout under the store root (`STARGAZER_HOME`, default `.stargazer/` at the workspace root):

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
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stargazer.store.index import Index
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

CHUNK = 4 * 1024 * 1024
#: Linux `FICLONE` ioctl: share the blocks of a file (btrfs, XFS, ...).
FICLONE = 0x40049409
#: `STARGAZER_INGEST=copy` never hardlinks or reflinks (the store then owns its bytes).
INGEST_MODES = ("auto", "copy")


def workspace_root(start: Path | None = None) -> Path:
    """The nearest folder (from `start`, default cwd, upwards) with `.git` or `pyproject.toml`."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists() or (folder / "pyproject.toml").exists():
            return folder
    return here


def default_root() -> Path:
    """`$STARGAZER_HOME`, else `.stargazer/` at the workspace root."""
    home = os.environ.get("STARGAZER_HOME")
    return Path(home).expanduser().resolve() if home else workspace_root() / ".stargazer"


@dataclass(frozen=True)
class Ingested:
    """One file placed in the store: its digest, size and how it got there."""

    digest: str
    size: int
    method: str


def hash_file(path: Path) -> tuple[str, int]:
    """The `sha256:<hex>` digest and size of a file."""
    with open(path, "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256")
        size = handle.tell()
    return f"sha256:{digest.hexdigest()}", size


def _copy_and_hash(source: Path, target: Path) -> tuple[str, int]:
    """Copy `source` to `target` and hash the bytes in the same pass; fsync `target`."""
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    size = 0
    with open(source, "rb") as src, open(target, "wb") as dst:
        while count := src.readinto(buffer):
            digest.update(view[:count])
            dst.write(view[:count])
            size += count
        dst.flush()
        os.fsync(dst.fileno())
    return f"sha256:{digest.hexdigest()}", size


def _reflink(source: Path, target: Path) -> bool:
    """Clone `source` into `target` sharing blocks; False where the file system cannot."""
    try:
        with open(source, "rb") as src, open(target, "wb") as dst:
            fcntl.ioctl(dst.fileno(), FICLONE, src.fileno())
        return True
    except OSError:
        target.unlink(missing_ok=True)
        return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LocalStore:
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
        self.index = Index(self.root / "index.sqlite")

    # -- objects ---------------------------------------------------------------------------

    def object_path(self, digest: str) -> Path:
        """Where the object with this digest lives (whether or not it is present)."""
        hexdigest = check_digest(digest).split(":", 1)[1]
        return self.objects / hexdigest[:2] / hexdigest[2:]

    def has_object(self, digest: str) -> bool:
        """Whether the object is present locally."""
        return self.object_path(digest).is_file()

    def temp_path(self, suffix: str = "") -> Path:
        """A fresh staging path in `tmp/`, tagged with this process id for `gc`."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        return self.tmp / f"{os.getpid()}-{secrets.token_hex(8)}{suffix}"

    @contextlib.contextmanager
    def workdir(self) -> Iterator[Path]:
        """A scratch folder inside the store (same file system), removed afterwards."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f"{os.getpid()}-work-", dir=self.tmp) as path:
            yield Path(path)

    def ingest(self, source: Path) -> Ingested:
        """Place a file in the store and return its digest; the source is left untouched."""
        staged = self.temp_path()
        method = "copy"
        try:
            if self.ingest_mode == "auto":
                try:
                    os.link(source, staged)
                    method = "hardlink"
                except OSError:
                    method = "reflink" if _reflink(source, staged) else "copy"
            if method == "copy":
                digest, size = _copy_and_hash(source, staged)
                os.chmod(staged, 0o444)
            else:
                digest, size = hash_file(staged)
            self._commit_object(staged, digest)
        finally:
            staged.unlink(missing_ok=True)
        return Ingested(digest, size, method)

    def _commit_object(self, staged: Path, digest: str) -> None:
        """Give a complete staged file its final name (no-op if the object exists)."""
        final = self.object_path(digest)
        if final.is_file():
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(staged, final)  # unlike rename, never replaces an object someone else put
        except FileExistsError:
            return
        fsync_dir(final.parent)

    def add_object_from(self, chunks: Iterator[bytes], digest: str) -> Path:
        """Store bytes arriving in chunks (a download), checking they hash to `digest`."""
        staged = self.temp_path()
        hasher = hashlib.sha256()
        try:
            with open(staged, "wb") as handle:
                for chunk in chunks:
                    hasher.update(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            got = f"sha256:{hasher.hexdigest()}"
            if got != digest:
                raise OSError(f"downloaded object {digest} hashes to {got}: the remote is corrupt")
            os.chmod(staged, 0o444)
            self._commit_object(staged, digest)
        finally:
            staged.unlink(missing_ok=True)
        return self.object_path(digest)

    def iter_objects(self) -> Iterator[tuple[str, Path]]:
        """Every local object as (digest, path)."""
        if not self.objects.is_dir():
            return
        for prefix in sorted(self.objects.iterdir()):
            for path in sorted(prefix.iterdir()):
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
        """
        path = self.manifest_path(manifest["id"])
        if path.is_file():
            existing = read_manifest(path)
            self.index.add([existing])
            return existing
        for role, digest in manifest["files"].items():
            if not self.has_object(digest):
                raise FileNotFoundError(f"object {digest} ({role}) is not in {self.root}")
        atomic_write(path, canonical_json(manifest) + b"\n")
        self.index.add([manifest])
        return manifest

    def read_manifest(self, asset: str) -> dict[str, Any] | None:
        """The manifest of an asset, or None if this store has no such asset."""
        path = self.manifest_path(asset)
        return read_manifest(path) if path.is_file() else None

    def iter_manifests(self) -> Iterator[tuple[Path, dict[str, Any] | None, str]]:
        """Every manifest file as (path, manifest or None, problem or "")."""
        if not self.manifests.is_dir():
            return
        for path in sorted(self.manifests.glob("*.json")):
            try:
                yield path, read_manifest(path), ""
            except ValueError as err:
                yield path, None, str(err)

    # -- views -----------------------------------------------------------------------------

    def view_dir(self, asset: str) -> Path:
        """The folder where an asset's files sit side by side under their names."""
        return self.views / check_asset_id(asset)

    def view_ready(self, asset: str, files: Mapping[str, str], names: Mapping[str, str]) -> bool:
        """Whether the asset's view exists with every file linked to the right object."""
        folder = self.view_dir(asset)
        for role, digest in files.items():
            target, source = folder / safe_name(names[role]), self.object_path(digest)
            try:
                if not os.path.samefile(target, source):
                    return False
            except OSError:
                return False
        return True

    def materialise(self, asset: str, files: Mapping[str, str], names: Mapping[str, str]) -> Path:
        """Build the asset's view from local objects (all must be present); return its folder.

        Builders of the same view take a per-asset lock, so one never retires a view that
        another has just finished and somebody may already be reading.
        """
        folder = self.view_dir(asset)
        if self.view_ready(asset, files, names):
            return folder
        self.views.mkdir(parents=True, exist_ok=True)
        locks = self.root / "locks"
        locks.mkdir(parents=True, exist_ok=True)
        with open(locks / f"{folder.name}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if self.view_ready(asset, files, names):
                    return folder
                return self._build_view(asset, files, names, folder)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _build_view(
        self, asset: str, files: Mapping[str, str], names: Mapping[str, str], folder: Path
    ) -> Path:
        """Link the asset's objects into a staged folder and swap it in for `folder`."""
        staged = Path(tempfile.mkdtemp(prefix=f".{os.getpid()}-", dir=self.views))
        try:
            for role, digest in files.items():
                source = self.object_path(digest)
                if not source.is_file():
                    raise FileNotFoundError(
                        f"asset {asset}: object {digest} ({role}) is missing from {self.root}; "
                        "run `stargazer assets verify`"
                    )
                target = staged / safe_name(names[role])
                try:
                    os.link(source, target)
                except OSError:
                    shutil.copyfile(source, target)
            if folder.exists():
                self._retire(folder)
            try:
                os.rename(staged, folder)
            except OSError as err:
                if err.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                    raise
                # another process built the same view first; theirs is as good as ours
        finally:
            if staged.exists():
                shutil.rmtree(staged)
        if not self.view_ready(asset, files, names):
            raise OSError(f"could not build the view of {asset} in {folder}")
        return folder

    def _retire(self, folder: Path) -> None:
        """Move an outdated view out of the way (then delete it) without a visible gap."""
        old = self.views / f".old-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            os.rename(folder, old)
        except FileNotFoundError:
            return
        shutil.rmtree(old, ignore_errors=True)

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
                problems.append(f"{path}: object {digest} now hashes to {got} (corrupted)")
        for path, manifest, problem in self.iter_manifests():
            if manifest is None:
                problems.append(problem)
                continue
            if path.stem != manifest["id"]:
                problems.append(f"{path}: holds the manifest of {manifest['id']}")
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

    def reindex(self) -> tuple[int, list[str]]:
        """Rebuild the index from the manifests; return (assets indexed, problems)."""
        manifests, problems = [], []
        for _, manifest, problem in self.iter_manifests():
            if manifest is None:
                problems.append(problem)
            else:
                manifests.append(manifest)
        return self.index.add(manifests, replace_all=True), problems

    def garbage(self) -> list[Path]:
        """Paths `gc` would delete: unreferenced objects, stale staging files, orphan views."""
        referenced: set[str] = set()
        known: set[str] = set()
        for _, manifest, _ in self.iter_manifests():
            if manifest is not None:
                referenced.update(manifest["files"].values())
                known.add(manifest["id"])
        found = [path for digest, path in self.iter_objects() if digest not in referenced]
        if self.tmp.is_dir():
            for path in sorted(self.tmp.iterdir()):
                pid = path.name.split("-", 1)[0]
                if not pid.isdigit() or not _pid_alive(int(pid)):
                    found.append(path)
        if self.views.is_dir():
            for path in sorted(self.views.iterdir()):
                if path.name.startswith(".old-") or (
                    not path.name.startswith(".") and path.name not in known
                ):
                    found.append(path)
                elif path.name.startswith("."):
                    pid = path.name[1:].split("-", 1)[0]
                    if not pid.isdigit() or not _pid_alive(int(pid)):
                        found.append(path)
        return found

    def collect(self, paths: list[Path]) -> int:
        """Delete the given garbage paths; return the bytes freed (objects and staging)."""
        freed = 0
        for path in paths:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
                continue
            with contextlib.suppress(FileNotFoundError):
                freed += path.stat().st_size
                path.unlink()
        return freed

    def describe(self) -> str:
        """One line for people: where the store is."""
        return f"local store at {self.root}"


def dump(manifest: Mapping[str, Any]) -> str:
    """A manifest as indented JSON for people."""
    return json.dumps(manifest, indent=2, sort_keys=True)
