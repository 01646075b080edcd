"""File operations of the store: hashing, copying while hashing, links, safe removal."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import stat
from pathlib import Path
from typing import Any

CHUNK = 4 * 1024 * 1024
#: Linux `FICLONE` ioctl: share the blocks of a file (btrfs, XFS, ...).
FICLONE = 0x40049409


def hash_file(path: Path) -> tuple[str, int]:
    """The `sha256:<hex>` digest and size of a file."""
    with open(path, "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256")
        size = handle.tell()
    return f"sha256:{digest.hexdigest()}", size


def read_only_mode(mode: int) -> int:
    """The permission bits of a stored copy: the source's read bits, no write or execute."""
    return stat.S_IMODE(mode) & 0o444


def copy_and_hash(source: Path, target: Path, mode: int = 0o400) -> tuple[str, int]:
    """Copy `source` to a new file `target` and hash the bytes in the same pass; fsync it.

    `target` is created with `mode` (never wider) and never through a symlink.
    """
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    size = 0
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(target, flags, 0o600)
    with open(source, "rb") as src, os.fdopen(fd, "wb") as dst:
        while count := src.readinto(buffer):
            digest.update(view[:count])
            dst.write(view[:count])
            size += count
        dst.flush()
        os.fsync(dst.fileno())
        os.fchmod(dst.fileno(), mode)
    return f"sha256:{digest.hexdigest()}", size


def reflink(source: Path, target: Path) -> bool:
    """Clone `source` into `target` sharing blocks; False where the file system cannot."""
    try:
        with open(source, "rb") as src, open(target, "wb") as dst:
            fcntl.ioctl(dst.fileno(), FICLONE, src.fileno())
        return True
    except OSError:
        target.unlink(missing_ok=True)
        return False


def link_or_clone(source: Path, staged: Path) -> str:
    """Hardlink or reflink `source` to `staged`: the method used, or "copy" if neither works."""
    try:
        os.link(source, staged)
    except OSError:
        return "reflink" if reflink(source, staged) else "copy"
    return "hardlink"


def remove_tree(folder: Path) -> None:
    """Delete a folder of ours (read-only files and folders included), never past a symlink."""

    def make_writable(function: Any, path: str, _: Any) -> None:
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(path), 0o700)
            if not os.path.islink(path) and os.path.isdir(path):
                os.chmod(path, 0o700)
            function(path)

    if folder.is_symlink():
        folder.unlink()
        return
    for current, subfolders, _ in os.walk(folder):  # os.walk never descends into symlinks
        with contextlib.suppress(OSError):
            os.chmod(current, 0o700)
        subfolders[:] = [d for d in subfolders if not os.path.islink(os.path.join(current, d))]
    shutil.rmtree(folder, onerror=make_writable)
