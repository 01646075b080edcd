"""The source of each module as this process imported it, and the files' digests.

A cache key hashes the code the process runs, not the files on disk: `import_hook` records a
module's bytes as it is imported (`module_source` reads a module that was never imported), and
every other part of the key is computed from these records. Only *hashed* modules are
recorded (`is_hashed`): the project's own files and `HASHED_PACKAGES`, never the standard
library or site-packages.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.machinery
import os
import sys
import sysconfig
import threading
from dataclasses import dataclass
from pathlib import Path

#: Packages whose sources are hashed wherever they are installed (in the image: site-packages).
HASHED_PACKAGES = ("stargazer",)


@dataclass(frozen=True)
class Source:
    """The source of one module as the process imported it."""

    module: str
    path: str
    data: bytes
    digest: str
    #: Read before the module was imported (a key was computed from a file not yet loaded).
    provisional: bool = False

    @property
    def text(self) -> str:
        """The source as text."""
        return self.data.decode("utf-8", "replace")


#: One lock for every per-process memo of the package (sources, closures, versions).
_lock = threading.RLock()
#: Module name -> its captured source; `_changed`: modules whose file changed since a
#: provisional read was used in a key.
_sources: dict[str, Source] = {}
_disk: dict[str, tuple[tuple[int, ...], str]] = {}
_generation = 0
_changed: dict[str, str] = {}


def _sha256(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def _stat_key(path: str) -> tuple[int, ...]:
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def file_digest(path: str | Path) -> str:
    """The ``sha256:`` digest of a file's bytes.

    The digest is remembered per process under the file's (device, inode, size, mtime,
    ctime): a shortcut in front of hashing only. Any write changes the ctime (which, unlike the
    mtime, cannot be set back), so an edit that keeps the size and mtime is hashed again.
    """
    path = str(path)
    key = _stat_key(path)
    with _lock:
        known = _disk.get(path)
    if known is not None and known[0] == key:
        return known[1]
    with open(path, "rb") as handle:
        digest = _sha256(handle.read())
    with _lock:
        _disk[path] = (key, digest)
    return digest


def _excluded_dirs() -> tuple[str, ...]:
    dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        with contextlib.suppress(KeyError):
            dirs.add(sysconfig.get_paths()[name])
    return tuple(sorted(os.path.join(os.path.realpath(d), "") for d in dirs if d))


_EXCLUDED = _excluded_dirs()


def is_hashed(module: str, path: str | None) -> bool:
    """Whether a module's source is part of cache keys (project files and `HASHED_PACKAGES`)."""
    if not path or not path.endswith(".py"):
        return False
    if module.split(".")[0] in HASHED_PACKAGES:
        return True
    real = os.path.realpath(path)
    return not real.startswith(_EXCLUDED)


def _record(module: str, path: str, data: bytes, provisional: bool = False) -> Source:
    global _generation
    source = Source(module, path, data, _sha256(data), provisional)
    with _lock:
        before = _sources.get(module)
        if before is not None and before.provisional and before.digest != source.digest:
            # A key was already computed from what the file held before this import.
            _changed[module] = path
        _sources[module] = source
        _generation += 1
    return source


def _read_now(module: str, path: str, provisional: bool = False) -> Source | None:
    """Capture a module's file now: imported before the hook, or not imported yet."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    return _record(module, path, data, provisional)


def generation() -> int:
    """How many sources were recorded so far: a memo made at an older generation is stale."""
    with _lock:
        return _generation


def _module_file(name: str) -> str | None:
    """The file of a module, found without importing it (or its parents) when not loaded."""
    module = sys.modules.get(name)
    if module is not None:
        return getattr(module, "__file__", None)
    parent, _, last = name.rpartition(".")
    if not parent:
        spec = importlib.machinery.PathFinder.find_spec(name)
        return spec.origin if spec is not None and spec.has_location else None
    loaded = sys.modules.get(parent)
    if loaded is not None:
        locations = list(getattr(loaded, "__path__", None) or ())
    else:
        init = _module_file(parent)
        if init is None or not init.endswith("__init__.py"):
            return None
        locations = [os.path.dirname(init)]
    for location in locations:
        for candidate in (os.path.join(location, last, "__init__.py"), f"{location}/{last}.py"):
            if os.path.isfile(candidate):
                return candidate
    return None


def module_source(name: str) -> Source | None:
    """The captured source of a hashed module (read now if it was never imported)."""
    with _lock:
        found = _sources.get(name)
    if found is not None:
        return found
    path = _module_file(name)
    if path is None or not is_hashed(name, path):
        return None
    return _read_now(name, path, provisional=name not in sys.modules)
