"""Garbage collection of the local store: mark without a lock, sweep under the store lock.

`plan` lists what looks like garbage: objects no readable manifest names, staging folders in
`tmp/` nobody holds, views of assets that are gone. It takes no lock, so it never slows adds.

`sweep` deletes, holding the store lock exclusively. Every writer holds that lock shared from
the moment it places an object until its manifest is written (`LocalStore.writing`), so while
`sweep` holds it no add is half-way. It then reads the manifests written since `plan` and
keeps every object they name: an object that a manifest written before `gc` finishes refers to
is never deleted. A staging folder is deleted only if `sweep` can lock it (its owner's lock is
gone with the owner, whatever PID namespace the owner ran in).

What cannot be read is kept and reported, never collected: if any manifest is unreadable, no
object is deleted (the unreadable manifest may name any of them). Symlinked store folders stop
`gc` with an error instead of being followed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from stargazer.store.locks import file_lock, try_lock

if TYPE_CHECKING:
    from stargazer.store.local import LocalStore


@dataclass
class Plan:
    """What `gc` found: paths to delete, manifests it could not read, ids it read."""

    paths: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)


#: Manifest path -> (its stat signature, the digests it names), for repeated gc runs in one
#: process. Manifests never change once written; the signature still catches one that did.
_DIGESTS: dict[str, tuple[tuple[int, int, int], frozenset[str]]] = {}


def _referenced(store: LocalStore, only: set[str] | None, plan: Plan) -> set[str]:
    """Digests named by the readable manifests (all, or those of `only`); records problems."""
    digests: set[str] = set()
    ids = store.manifest_ids() if only is None else only
    unread = []
    for asset in ids:
        path = store.manifests / f"{asset}.json"
        try:
            info = path.stat()
        except FileNotFoundError:
            continue
        known = _DIGESTS.get(str(path))
        if known and known[0] == (info.st_ino, info.st_size, info.st_mtime_ns):
            plan.seen.add(asset)
            digests.update(known[1])
        else:
            unread.append(asset)
    for path, manifest, problem in store.iter_manifests(unread):
        if manifest is None:
            plan.problems.append(problem or f"{path} cannot be read")
            continue
        info = path.stat()
        files = frozenset(manifest["files"].values())
        _DIGESTS[str(path)] = ((info.st_ino, info.st_size, info.st_mtime_ns), files)
        plan.seen.add(manifest["id"])
        digests.update(files)
    return digests


def plan(store: LocalStore) -> Plan:
    """Everything `gc` would delete now (nothing is deleted or locked)."""
    for folder in (store.root / "objects", store.objects, store.tmp, store.views, store.manifests):
        store.real_folder(folder)
    found = Plan()
    referenced = _referenced(store, None, found)
    if not found.problems:  # an unreadable manifest may name any object: keep them all
        found.paths += [p for d, p in store.iter_objects() if d not in referenced]
    if store.tmp.is_dir():
        found.paths += [p for p in sorted(store.tmp.iterdir()) if _unused(p)]
    if store.views.is_dir():
        known = store.manifest_ids()
        for path in sorted(store.views.iterdir()):
            if path.name.startswith(".") or path.name not in known:
                found.paths.append(path)
    return found


def sweep(store: LocalStore, found: Plan) -> tuple[int, int]:
    """Delete the paths of a plan that are still garbage; return (paths deleted, bytes freed)."""
    from stargazer.store.files import remove_tree

    freed = deleted = 0
    store.ensure_root()
    with file_lock(store.real_folder(store.locks) / "store.lock"):
        # No writer is half-way now. Manifests written since the plan protect their objects.
        late = Plan()
        protected = _referenced(store, store.manifest_ids() - found.seen, late)
        known = store.manifest_ids()
        for path in found.paths:
            if path.parent.parent == store.objects:
                if late.problems or found.problems or _digest(path) in protected:
                    continue
                with contextlib.suppress(FileNotFoundError):
                    size = path.lstat().st_size
                    path.unlink()
                    freed, deleted = freed + size, deleted + 1
            elif path.parent == store.tmp:
                removed = _remove_staging(path, remove_tree)
                if removed is not None:
                    freed, deleted = freed + removed, deleted + 1
            elif path.parent == store.views and path.name not in known:
                remove_tree(path)
                deleted += 1
    return deleted, freed


def _digest(path: Path) -> str:
    return f"sha256:{path.parent.name}{path.name}"


def _unused(path: Path) -> bool:
    """Whether nobody holds the staging entry's lock (it is left over by a dead process)."""
    if path.is_symlink():
        return True
    fd = try_lock(path)
    if fd is None:
        return False
    os.close(fd)
    return True


def _remove_staging(path: Path, remove_tree: Callable[[Path], None]) -> int | None:
    """Delete a staging entry if its lock can be taken; return the bytes freed (None: kept)."""
    if path.is_symlink():
        path.unlink()  # the link itself, never what it points to
        return 0
    fd = try_lock(path)
    if fd is None:
        return None  # in use by a live process (here or in another container)
    try:
        size = _size(path)
        if path.is_dir():
            remove_tree(path)
        else:
            path.unlink(missing_ok=True)
        return size
    finally:
        os.close(fd)


def _size(path: Path) -> int:
    if not path.is_dir():
        return path.lstat().st_size
    total = 0
    for current, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(current, name)).st_size
    return total
