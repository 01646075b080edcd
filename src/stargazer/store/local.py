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

`LocalStore` is assembled from one mixin per part of that layout: `objects.py` (ingest, the
bytes), `catalog.py` (manifests), `indexing.py` (the query index), `views.py` and
`exporting.py`; `location.py` says where the store lives. Objects appear under their final
name only once complete, a manifest is written only once all of its objects are in place,
and the index only after the manifest: a process killed at any point leaves no visible
half-asset.

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
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from stargazer.errors import DamagedStoreError
from stargazer.store.catalog import CatalogMixin, dump
from stargazer.store.exporting import ExportMixin
from stargazer.store.files import hash_file
from stargazer.store.index import Index
from stargazer.store.indexing import IndexingMixin
from stargazer.store.location import default_root, user_store_root, workspace_root
from stargazer.store.locks import file_lock, lock_folder
from stargazer.store.objects import Ingested, ObjectsMixin
from stargazer.store.stamps import Stamps
from stargazer.store.views import ViewsMixin

__all__ = [
    "INGEST_MODES",
    "Ingested",
    "LocalStore",
    "default_root",
    "dump",
    "user_store_root",
    "workspace_root",
]

#: `STARGAZER_INGEST=copy` never hardlinks or reflinks (the store then owns its bytes).
INGEST_MODES = ("auto", "copy")


class LocalStore(ObjectsMixin, CatalogMixin, IndexingMixin, ViewsMixin, ExportMixin):
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

    @contextlib.contextmanager
    def workdir(self) -> Iterator[Path]:
        """A scratch folder inside the store (same file system), removed afterwards."""
        with self.staging("work-") as folder:
            yield folder

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
