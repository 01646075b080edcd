"""File locks that work across processes and containers sharing one store volume.

Locks are `flock(2)` locks held on open files, so they belong to the kernel, not to process
ids: two containers with their own PID namespaces that mount the same store see each other's
locks, and a process killed with `kill -9` releases its locks when the kernel closes its files.

- The **store lock** (`locks/store.lock`): every writer that puts objects in place and then
  registers a manifest (`add`) holds it shared for that span; `gc` holds it exclusive while it
  deletes, so it never sees an object whose manifest is about to be written.
- **Staging locks**: each staging folder under `tmp/` is locked (exclusive) by the process
  using it for as long as it uses it; `gc` deletes only staging folders it can lock itself.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def file_lock(path: Path, shared: bool = False) -> Iterator[None]:
    """Hold a `flock` on `path` (created if missing) for the duration of the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def lock_folder(folder: Path) -> int:
    """Lock a folder exclusively (blocking); return the descriptor that holds the lock."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except BaseException:
        os.close(fd)
        raise
    return fd


def try_lock(path: Path) -> int | None:
    """Lock a file or folder exclusively without waiting; None if someone else holds it.

    Symlinks are never followed (an `O_NOFOLLOW` open of a symlink fails), so a lock is only
    ever taken on the entry itself.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags | (os.O_DIRECTORY if path.is_dir() else 0))
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd
