"""Views: an asset's files side by side under their names, for tools that expect them.

`views/<id>/` holds hardlinks to the asset's objects under the asset's file names (so pysam
finds `x.bam.bai` beside `x.bam`). Views are read-only folders, built in a locked staging
folder and swapped in whole; every object is checked (a stamp, else a hash) before a view is
handed out. A store that cannot be written gets symlinks in a private temporary folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from stargazer.store.files import copy_and_hash, read_only_mode, remove_tree
from stargazer.store.locks import file_lock
from stargazer.store.manifest import check_asset_id, safe_name


class ViewsMixin:
    """The view methods of `LocalStore`."""

    # What this mixin uses of `LocalStore` (defined there).
    root: Path
    locks: Path
    views: Path

    if TYPE_CHECKING:

        def ensure_root(self) -> None:
            """See `LocalStore.ensure_root`."""

        def real_folder(self, folder: Path) -> Path:
            """See `LocalStore.real_folder`."""

        def object_path(self, digest: str) -> Path:
            """See `LocalStore.object_path`."""

        def check_object(self, digest: str, role: str = "primary") -> Path:
            """See `LocalStore.check_object`."""

        def staging(self, prefix: str = "") -> contextlib.AbstractContextManager[Path]:
            """See `LocalStore.staging`."""

    def view_dir(self, asset: str) -> Path:
        """The folder where an asset's files sit side by side under their names."""
        return self.views / check_asset_id(asset)

    def view_ready(self, asset: str, files: Mapping[str, str], names: Mapping[str, str]) -> bool:
        """Whether the asset's view exists with every file linked to the right object."""
        folder = self.view_dir(asset)
        if folder.is_symlink() or self.views.is_symlink():
            return False
        for role, digest in files.items():
            target, source = folder / safe_name(names[role]), self.object_path(digest)
            try:
                if target.is_symlink() or not os.path.samefile(target, source):
                    return False
            except OSError:
                return False
        return True

    def materialise(self, asset: str, files: Mapping[str, str], names: Mapping[str, str]) -> Path:
        """Build the asset's view from local objects (all must be present); return its folder.

        Every object is checked first (a stamp, else a full hash): a corrupted object raises
        `DamagedStoreError` instead of reaching a tool. Builders of the same view take a
        per-asset lock, so one never retires a view that another has just finished and
        somebody may already be reading. A store that cannot be written gets its view in a
        private temporary folder instead.
        """
        for role, digest in files.items():
            self.check_object(digest, role)
        folder = self.view_dir(asset)
        if self.view_ready(asset, files, names):
            return folder
        try:
            self.ensure_root()
            self.real_folder(self.views).mkdir(exist_ok=True)
            lock = file_lock(self.real_folder(self.locks) / f"{folder.name}.lock")
            lock.__enter__()
        except OSError as err:
            if err.errno not in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC):
                raise
            return self._private_view(asset, files, names)
        try:
            if self.view_ready(asset, files, names):
                return folder
            return self._build_view(asset, files, names, folder)
        finally:
            lock.__exit__(None, None, None)

    def _private_view(self, asset: str, files: Mapping[str, str], names: Mapping[str, str]) -> Path:
        """Symlinks to the objects in a private temporary folder (for a read-only store)."""
        folder = Path(tempfile.mkdtemp(prefix=f"stargazer-view-{asset[:20]}-"))
        for role, digest in files.items():
            (folder / safe_name(names[role])).symlink_to(self.object_path(digest))
        return folder

    def _build_view(
        self,
        asset: str,
        files: Mapping[str, str],
        names: Mapping[str, str],
        folder: Path,
    ) -> Path:
        """Link the asset's objects into a staged folder and swap it in for `folder`."""
        with self.staging("view-") as staging:
            staged = staging / "view"
            staged.mkdir()
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
                    copy_and_hash(source, target, read_only_mode(source.stat().st_mode))
            if folder.exists() or folder.is_symlink():
                self._retire(folder)
            try:
                # Made read-only only once in place: moving a directory to another parent
                # rewrites its `..` entry, which a non-root user may not do in a 0555 folder.
                os.rename(staged, folder)
            except OSError as err:
                if err.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                    raise
                # another process built the same view first; theirs is as good as ours
            else:
                os.chmod(folder, 0o555)
        if not self.view_ready(asset, files, names):
            raise OSError(f"could not build the view of {asset} in {folder}")
        return folder

    def _retire(self, folder: Path) -> None:
        """Move an outdated view out of the way (then delete it) without a visible gap."""
        if folder.is_symlink():
            folder.unlink()
            return
        old = self.views / f".old-{secrets.token_hex(6)}"
        try:
            os.rename(folder, old)
        except FileNotFoundError:
            return
        remove_tree(old)
