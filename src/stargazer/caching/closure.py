"""A module's closure: it and every hashed module it imports, transitively, as captured.

The imports are read from each module's captured text (two regular expressions, no parsing),
so the closure of a task's module is what a fresh process would hash for it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path

from stargazer.caching.sources import (
    HASHED_PACKAGES,
    Source,
    _lock,
    _module_file,
    generation,
    is_hashed,
    module_source,
)

_imports: dict[str, frozenset[str]] = {}
_closures: dict[tuple[str, int], dict[str, Source]] = {}


_FROM = re.compile(r"^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]*(\([^)]*\)|[^\n#;]*)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^\n#;]+)", re.M)
#: A triple-quoted string that starts a line (docstrings, dedented snippets): its text is not code.
_BLOCK_STRING = re.compile(r"^[ \t]*[rRbBuUfF]{0,2}(\"\"\"|\'\'\').*?\1", re.M | re.S)


def _names_in(text: str) -> list[str]:
    names = []
    for item in text.strip("()").replace("\\", " ").split(","):
        words = item.split()
        if words and re.fullmatch(r"[\w.]+", words[0]):
            names.append(words[0])
    return names


def _imported_modules(source: Source) -> frozenset[str]:
    """Absolute module names a module imports (``from a import b`` also yields ``a.b``).

    Read from the text with two regular expressions (a fresh process reads every module of a
    task's closure, and parsing them all would cost more than the rest of a warm re-run).
    Docstrings are skipped; an import quoted in any other string is counted, which only ever
    adds to a key.
    """
    with _lock:
        if source.digest in _imports:
            return _imports[source.digest]
    package = (
        source.module if source.path.endswith("__init__.py") else source.module.rpartition(".")[0]
    )
    text = _BLOCK_STRING.sub("", source.text)
    names: set[str] = set()
    for match in _IMPORT.finditer(text):
        names.update(_names_in(match.group(1)))
    for match in _FROM.finditer(text):
        module, imported = match.group(1), _names_in(match.group(2))
        level = len(module) - len(module.lstrip("."))
        module = module.lstrip(".")
        if level:
            if not package:
                continue
            base = package.rsplit(".", level - 1)[0] if level > 1 else package
            module = f"{base}.{module}" if module else base
        elif not module:
            continue
        names.add(module)
        names.update(f"{module}.{name}" for name in imported)
    found = frozenset(names)
    with _lock:
        _imports[source.digest] = found
    return found


def module_closure(module: str) -> dict[str, Source]:
    """The module's captured source and that of every hashed module it imports, transitively."""
    with _lock:
        memo = _closures.get((module, generation()))
    if memo is not None:
        return memo
    found: dict[str, Source] = {}
    pending = [module]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        source = module_source(name)
        if source is None:
            continue
        found[name] = source
        for imported in _imported_modules(source):
            if imported not in found and _could_be_hashed(imported):
                pending.append(imported)
    result = dict(sorted(found.items()))
    with _lock:
        if len(_closures) > 1000:
            _closures.clear()
        _closures[(module, generation())] = result
    return result


_tops: dict[str, bool] = {}


def _could_be_hashed(name: str) -> bool:
    """Cheap filter before `module_source`: skip what is plainly a library module."""
    module = sys.modules.get(name)
    if module is not None:
        return is_hashed(name, getattr(module, "__file__", None))
    top = name.split(".")[0]
    if top in HASHED_PACKAGES:
        return True
    if top in sys.stdlib_module_names:
        return False
    with _lock:
        known = _tops.get(top)
    if known is None:
        path = _module_file(top)
        known = path is not None and is_hashed(top, path)
        with _lock:
            _tops[top] = known
    return known


def source_files(module_name: str, roots: Iterable[str] = ()) -> dict[str, Path]:
    """Module name -> source file for `module_closure` (``roots`` is accepted and ignored)."""
    del roots  # every project module is followed now, not just named packages
    return {name: Path(source.path) for name, source in module_closure(module_name).items()}
