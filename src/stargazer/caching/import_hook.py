"""The import hook that captures each hashed module's source as it is imported.

Importing `stargazer.caching` installs it (`install_source_recorder`, at the end of this
module): from then on every hashed module is read once, recorded and compiled from exactly the
recorded bytes; modules loaded before it are read from their files at that moment.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import marshal
import sys
import threading
from pathlib import Path
from types import CodeType
from typing import Any

from stargazer.caching.sources import _read_now, _record, _sources, is_hashed

_busy = threading.local()


class _RecordingLoader(importlib.machinery.SourceFileLoader):
    """Reads a module's source once, records it and compiles exactly those bytes.

    Byte code is cached in a *checked hash-based* ``.pyc`` (PEP 552), so what runs is always
    the recorded source, even after an edit that keeps the file's size and mtime.
    """

    def get_code(self, fullname: str) -> CodeType:
        """The module's code object, compiled from the source recorded now."""
        path = self.get_filename(fullname)
        source = self.get_data(path)
        _record(fullname, path, source)
        source_hash = importlib.util.source_hash(source)
        try:
            cached = importlib.util.cache_from_source(path)
        except NotImplementedError:
            cached = None
        if cached is not None:
            with contextlib.suppress(OSError, EOFError, ValueError, TypeError):
                data = Path(cached).read_bytes()
                if (
                    data[:4] == importlib.util.MAGIC_NUMBER
                    and int.from_bytes(data[4:8], "little") == 0b11
                    and data[8:16] == source_hash
                ):
                    loaded = marshal.loads(data[16:])
                    if isinstance(loaded, CodeType):
                        return loaded
        code = self.source_to_code(source, path)
        if cached is not None and not sys.dont_write_bytecode:
            pyc = importlib.util.MAGIC_NUMBER + (0b11).to_bytes(4, "little") + source_hash
            with contextlib.suppress(OSError, NotImplementedError):
                self.set_data(cached, pyc + marshal.dumps(code))
        return code


class _SourceRecorder(importlib.abc.MetaPathFinder):
    """An import hook: finds modules as usual and loads hashed ones through the recorder."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        """Find the module with the other finders; record it if its source is hashed."""
        if getattr(_busy, "active", False):
            return None
        _busy.active = True
        try:
            spec = None
            for finder in list(sys.meta_path):
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
        finally:
            _busy.active = False
        if (
            spec is not None
            and type(spec.loader) is importlib.machinery.SourceFileLoader
            and spec.origin is not None
            and is_hashed(fullname, spec.origin)
        ):
            spec.loader = _RecordingLoader(fullname, spec.origin)
        return spec


_RECORDER = _SourceRecorder()


def install_source_recorder() -> None:
    """Capture the source of every hashed module from now on (and of those already loaded)."""
    if not any(isinstance(finder, _SourceRecorder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _RECORDER)
    for name, module in list(sys.modules.items()):
        if name in _sources:
            continue
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and is_hashed(name, path):
            _read_now(name, path)


install_source_recorder()
