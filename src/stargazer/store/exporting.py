"""Export: copy an asset's files out of the store, checked, never through a symlink."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from stargazer.errors import DamagedStoreError
from stargazer.store.files import copy_and_hash, read_only_mode
from stargazer.store.manifest import safe_name
from stargazer.store.stamps import Stamps


class ExportMixin:
    """The export methods of `LocalStore`."""

    # What this mixin uses of `LocalStore` (defined there).
    stamps: Stamps

    if TYPE_CHECKING:

        def object_path(self, digest: str) -> Path:
            """See `LocalStore.object_path`."""

    def export(self, files: Mapping[str, str], names: Mapping[str, str], dest: Path) -> list[Path]:
        """Copy an asset's (local) objects into the folder `dest` under their names.

        All or nothing: an existing name (even a dangling symlink) refuses the export before
        anything is written, and a corrupted object removes what was already exported.
        """
        targets = {role: dest / safe_name(names[role]) for role in sorted(files)}
        clashes = [str(t) for t in targets.values() if os.path.lexists(t)]
        if clashes:
            raise FileExistsError(
                f"{', '.join(clashes)} already exist(s); export into an empty folder or move "
                "them away (nothing was exported)"
            )
        dest.mkdir(parents=True, exist_ok=True)
        done: list[Path] = []
        try:
            for role, target in targets.items():
                self.export_object(files[role], target)
                done.append(target)
        except BaseException:
            for target in done:
                target.unlink(missing_ok=True)
            raise
        return done

    def export_object(self, digest: str, target: Path) -> None:
        """Copy an object to a new file `target`, checking its digest while copying.

        The copy is made under a hidden name in the destination folder, never through a
        symlink, with the object's read bits plus owner write (never wider than the object),
        and linked to `target` only when complete and correct: a corrupted object or an
        existing `target` (even a dangling symlink) leaves nothing behind.

        Raises:
            DamagedStoreError: The object no longer hashes to its digest.
            FileExistsError: `target` exists.
        """
        source = self.object_path(digest)
        mode = read_only_mode(source.stat().st_mode) | 0o200
        partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
        try:
            got, _ = copy_and_hash(source, partial, mode)
            if got != digest:
                raise DamagedStoreError(
                    f"object {digest} at {source} is corrupted (it hashes to {got}); nothing "
                    "was exported. Re-add the original file to repair it"
                )
            os.link(partial, target, follow_symlinks=False)
        finally:
            partial.unlink(missing_ok=True)
        self.stamps.record(digest, source)
