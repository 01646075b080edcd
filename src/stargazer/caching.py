"""Task cache keys that are always right: one policy for every `TaskEnvironment`.

A cached task result is reused only when nothing that could change it has changed. The key
Flyte computes for a task call is made of the task's name and interface, its inputs (asset
ids are content digests, so the same bytes anywhere are the same input) and a *version*, which
`SourceTreePolicy` makes out of:

- **code** — the source the process actually imported, captured at import time by an import
  hook (and compiled from exactly those bytes), for the task's module and every module of the
  project it imports, transitively: any module whose file lives outside the Python
  installation and its site-packages (so helpers in other top-level packages count), plus the
  ``stargazer`` package wherever it is installed. A task defined in a notebook cell or a script
  (``__main__``) hashes its own source and everything of the notebook it reaches (functions,
  classes and constants it names, transitively) plus the modules those come from;
- **environment** — the installed versions of the environment's packages and their whole
  dependency closure (read from distribution metadata), and the Python version;
- **scope** — the id of the asset store the outputs live in (`stargazer.store.identity`), not
  its path: a wiped store gets a new id, so no result points into a store that is gone.

Three guards keep a hit from ever being stale (see `install_cache_guards`):

- a cached result whose output assets no longer exist (locally or in the remote store) is a
  miss, so the task runs again, as Nextflow's ``-resume`` checks its outputs;
- if a module's file changed on disk after it was imported, the process warns once and writes
  nothing more to the cache (its code no longer matches the files a fresh process would hash);
- inputs that cannot change outputs (`IGNORED_INPUTS`, i.e. ``threads``) are left out of the key.

    from stargazer.caching import cache_policy
    env = flyte.TaskEnvironment(name="my_env", cache=cache_policy("pysam", "pybwa"))

`stargazer cache explain TASK` prints what a key is made of.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import inspect
import logging
import marshal
import os
import re
import sys
import sysconfig
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from types import CodeType, FunctionType, ModuleType
from typing import Any

logger = logging.getLogger(__name__)

#: Inputs that change how fast a task runs, never what it returns: left out of every key.
IGNORED_INPUTS = ("threads",)

#: Packages whose sources are hashed wherever they are installed (in the image: site-packages).
HASHED_PACKAGES = ("stargazer",)

#: Modules that hold a notebook's or script's own code.
NOTEBOOK_MODULES = ("__main__",)


# -- sources captured at import time --------------------------------------------------------


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


_lock = threading.RLock()
_sources: dict[str, Source] = {}
_disk: dict[str, tuple[tuple[int, ...], str]] = {}
_imports: dict[str, frozenset[str]] = {}
_closures: dict[tuple[str, int], dict[str, Source]] = {}
_generation = 0
_changed: dict[str, str] = {}
_watched: set[str] = set()
_warned = False
_busy = threading.local()


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
                    return marshal.loads(data[16:])
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
        if is_hashed(name, path):
            _read_now(name, path)  # type: ignore[arg-type]  # is_hashed checked it is a str


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
    if not is_hashed(name, path):
        return None
    # is_hashed checked that path is a str
    return _read_now(name, path, provisional=name not in sys.modules)  # type: ignore[arg-type]


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
        memo = _closures.get((module, _generation))
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
        _closures[(module, _generation)] = result
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


def changed_sources() -> dict[str, str]:
    """Modules in a cache key whose file no longer holds the source this process imported.

    Only modules that are part of a cache key computed in this process are watched. A module
    reloaded since (``importlib.reload``, marimo's autoreload) runs its new source and is no
    longer reported.

    Returns:
        Module name -> file, sorted.
    """
    with _lock:
        sources = [_sources[name] for name in _watched if name in _sources]
        changed = dict(_changed)  # imported after a key was computed from other bytes
    for source in sources:
        if source.module in NOTEBOOK_MODULES:
            continue  # a notebook's or script's own code is hashed from what was captured
        try:
            same = file_digest(source.path) == source.digest
        except OSError:
            same = False
        if not same:
            changed[source.module] = source.path
    return dict(sorted(changed.items()))


def _warn_changed(changed: dict[str, str]) -> None:
    global _warned
    with _lock:
        if _warned:
            return
        _warned = True
    files = ", ".join(changed.values())
    warnings.warn(
        f"{files} changed on disk after this process imported it: this process runs the old "
        "code, so it writes nothing more to the task cache. Restart the kernel (or the "
        "process) to run and cache the new code.",
        RuntimeWarning,
        stacklevel=3,
    )


def cache_writes_allowed() -> bool:
    """False (after one warning) once any imported module changed on disk."""
    changed = changed_sources()
    if changed:
        _warn_changed(changed)
    return not changed


# -- notebook and script code ----------------------------------------------------------------

_CONSTANTS = (int, float, complex, str, bytes, bool, type(None), enum.Enum)


def _constant_repr(value: Any, depth: int = 0) -> str | None:
    """A stable text for plain data (None for anything else)."""
    if isinstance(value, _CONSTANTS):
        return repr(value)
    if depth > 4:
        return None
    if isinstance(value, (tuple, list, set, frozenset)):
        items = [_constant_repr(v, depth + 1) for v in value]
        if any(item is None for item in items):
            return None
        if isinstance(value, (set, frozenset)):
            items = sorted(items)  # type: ignore[type-var]  # all str after the check above
        return f"{type(value).__name__}({', '.join(items)})"  # type: ignore[arg-type]
    if isinstance(value, dict):
        pairs = [
            (_constant_repr(k, depth + 1), _constant_repr(v, depth + 1)) for k, v in value.items()
        ]
        if any(k is None or v is None for k, v in pairs):
            return None
        return "{" + ", ".join(f"{k}: {v}" for k, v in sorted(pairs)) + "}"  # type: ignore[type-var]
    return None


def _names(code: CodeType) -> set[str]:
    """Global (and attribute) names a code object and its nested code use."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, CodeType):
            names |= _names(const)
    return names


def _function_source(func: FunctionType) -> str:
    """The source of a function as the process has it (captured script text, or the cell's)."""
    code = func.__code__
    main = _sources.get("__main__")
    if main is not None and os.path.realpath(code.co_filename) == os.path.realpath(main.path):
        lines = main.text.splitlines(keepends=True)[code.co_firstlineno - 1 :]
        with contextlib.suppress(Exception):
            return "".join(inspect.getblock(lines))
    try:
        return inspect.getsource(func)
    except (OSError, TypeError):
        return marshal.dumps(code).hex()


def _is_notebook_object(value: Any) -> bool:
    module = getattr(value, "__module__", None)
    if module in NOTEBOOK_MODULES:
        return True
    loaded = sys.modules.get(module or "")
    return loaded is None or getattr(loaded, "__file__", None) is None


def _task_function(value: Any) -> Callable[..., Any] | None:
    """The Python function of a Flyte task object (None for anything else)."""
    func = getattr(value, "func", None)
    if callable(func) and hasattr(value, "native_interface"):
        return func
    return None


def notebook_parts(func: Callable[..., Any]) -> tuple[dict[str, str], set[str]]:
    """What a notebook- or script-defined function reaches in its notebook, and the modules.

    Returns:
        (``{"notebook:<name>": digest or value}``, names of the other modules reached).
    """
    parts: dict[str, str] = {}
    modules: set[str] = set()
    seen: set[int] = set()
    pending: list[tuple[str, Any]] = [(getattr(func, "__qualname__", "task"), func)]

    def add(name: str, value: str) -> None:
        key, count = f"notebook:{name}", 1
        while key in parts:  # two cells may define things with the same qualified name
            count += 1
            key = f"notebook:{name}#{count}"
        parts[key] = value

    while pending:
        name, value = pending.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        task_func = _task_function(value)
        if task_func is not None:
            pending.append((name, task_func))
            continue
        if isinstance(value, ModuleType):
            modules.add(value.__name__)
            continue
        constant = _constant_repr(value)
        if constant is not None:
            add(name, constant)
            continue
        if inspect.isfunction(value) or inspect.isclass(value):
            if not _is_notebook_object(value):
                modules.add(value.__module__)
                continue
            if inspect.isfunction(value):
                add(value.__qualname__, _sha256(_function_source(value).encode()))
                scope = value.__globals__
                for used in sorted(_names(value.__code__)):
                    if used in scope:
                        pending.append((used, scope[used]))
                for default in (
                    *(value.__defaults__ or ()),
                    *(value.__kwdefaults__ or {}).values(),
                ):
                    pending.append((f"{value.__qualname__}.<default>", default))
                for cell in value.__closure__ or ():
                    with contextlib.suppress(ValueError):
                        pending.append((f"{value.__qualname__}.<closure>", cell.cell_contents))
            else:
                add(
                    value.__qualname__,
                    ",".join(f"{b.__module__}.{b.__qualname__}" for b in value.__bases__),
                )
                for attribute, member in sorted(vars(value).items()):
                    if attribute.startswith("__") and attribute not in ("__init__", "__call__"):
                        continue
                    member = getattr(member, "__func__", member)
                    pending.append((f"{value.__qualname__}.{attribute}", member))
                for base in value.__bases__:
                    pending.append((base.__qualname__, base))
            continue
        # Anything else (an environment, an instance): its type's module is what defines it.
        kind = type(value)
        if _is_notebook_object(kind):
            pending.append((kind.__qualname__, kind))
        else:
            modules.add(kind.__module__)
    return dict(sorted(parts.items())), modules


# -- environment -----------------------------------------------------------------------------


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


_closure_cache: dict[tuple[str, ...], dict[str, str]] = {}


def distribution_closure(packages: Iterable[str]) -> dict[str, str]:
    """Installed version of each package and of everything it requires, recursively.

    Read from distribution metadata (``Requires-Dist``, markers evaluated for this Python,
    extras left out); a package that is not installed is ``"absent"``.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    roots = tuple(sorted({_canonical(p) for p in packages}))
    with _lock:
        if roots in _closure_cache:
            return _closure_cache[roots]
    found: dict[str, str] = {}
    pending = list(roots)
    while pending:
        name = _canonical(pending.pop())
        if name in found:
            continue
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            found[name] = "absent"
            continue
        found[name] = dist.version
        for text in dist.requires or ():
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            pending.append(requirement.name)
    result = dict(sorted(found.items()))
    with _lock:
        _closure_cache[roots] = result
    return result


def tool_versions(packages: Iterable[str]) -> dict[str, str]:
    """Installed version of each distribution (``"absent"`` when not installed)."""
    return {p: distribution_closure([p]).get(_canonical(p), "absent") for p in packages}


def python_version() -> str:
    """The interpreter that runs tasks, e.g. ``CPython 3.11.9``."""
    return f"{sys.implementation.name} {sys.version.split()[0]}"


# -- scope -----------------------------------------------------------------------------------


def store_identity() -> str:
    """The id of the asset store selected right now (created in the store if it has none)."""
    from stargazer.store import open_store
    from stargazer.store.identity import store_id

    return f"store:{store_id(open_store())}"


# -- the policy ------------------------------------------------------------------------------


class SourceTreePolicy:
    """A Flyte cache policy: imported code + dependency closure + Python + store id.

    Args:
        tools: Distributions the environment runs; they and their whole dependency closure
            are part of the version.
        roots: Accepted for compatibility; every project module is hashed now.
        scope: Returns a text the version also depends on (default: `store_identity`).
    """

    def __init__(
        self,
        tools: Iterable[str] = (),
        roots: Iterable[str] = (),
        scope: Callable[[], str] | None = store_identity,
    ) -> None:
        self.tools = tuple(tools)
        self.roots = tuple(roots)
        self.scope = scope

    def code_parts(self, func: Callable[..., Any]) -> dict[str, str]:
        """``{"code:<module>": digest, "notebook:<name>": digest}`` for a task function."""
        parts: dict[str, str] = {}
        module = getattr(func, "__module__", "") or ""
        if module in NOTEBOOK_MODULES or module_source(module) is None:
            reached, modules = notebook_parts(func)
            parts.update(reached)
        else:
            modules = {module}
        for name in sorted(modules):
            if name in NOTEBOOK_MODULES:
                continue
            for closure_name, source in module_closure(name).items():
                parts[f"code:{closure_name}"] = source.digest
                with _lock:
                    _watched.add(closure_name)
        return dict(sorted(parts.items()))

    def describe(self, func: Callable[..., Any]) -> dict[str, str]:
        """Everything the version is made of, readable (see `stargazer cache explain`)."""
        parts = {"task": f"{getattr(func, '__module__', '')}.{getattr(func, '__qualname__', '')}"}
        parts.update(self.code_parts(func))
        parts["python"] = python_version()
        for package, installed in distribution_closure(self.tools).items():
            parts[f"tool:{package}"] = installed
        if self.scope is not None:
            parts["scope"] = self.scope()
        return parts

    def get_version(self, salt: str, params: Any) -> str:
        """The cache version Flyte asks for (see `flyte.Cache`)."""
        func = getattr(params, "func", None)
        digest = hashlib.sha256(salt.encode())
        if func is None:
            return digest.hexdigest()
        for key, value in self.describe(func).items():
            digest.update(f"{key}={value}\n".encode())
        return digest.hexdigest()


def cache_policy(*packages: str, ignored_inputs: Iterable[str] = IGNORED_INPUTS) -> Any:
    """The one cache setting every Stargazer `TaskEnvironment` uses.

    Args:
        *packages: The distributions the environment's tasks run (their whole dependency
            closure is part of the key).
        ignored_inputs: Inputs that cannot change outputs; left out of the key.

    Returns:
        A ``flyte.Cache`` for ``TaskEnvironment(cache=...)``.
    """
    import flyte

    install_cache_guards()
    return flyte.Cache(
        "auto",
        policies=[SourceTreePolicy(tools=packages)],
        ignored_inputs=tuple(ignored_inputs),
    )


# -- guards around Flyte's local cache ---------------------------------------------------------

#: cache key -> (task name, version), filled as Flyte computes keys in this process.
_keys: dict[str, tuple[str, str]] = {}

ENTRIES_DDL = """
CREATE TABLE IF NOT EXISTS stargazer_cache (
    key TEXT PRIMARY KEY,
    task TEXT NOT NULL,
    version TEXT NOT NULL,
    created REAL NOT NULL
)
"""


def output_assets(outputs: Any) -> Iterator[dict[str, Any]]:
    """The asset records (``{"id": ..., "files": {...}}``) inside a Flyte ``Outputs`` proto."""
    for named in getattr(outputs, "literals", ()):
        yield from _literal_assets(named.value)


def _literal_assets(literal: Any) -> Iterator[dict[str, Any]]:
    if literal.HasField("scalar"):
        scalar = literal.scalar
        if scalar.HasField("binary") and scalar.binary.tag == "msgpack":
            import msgpack

            with contextlib.suppress(ValueError, msgpack.UnpackException):
                yield from _records(msgpack.unpackb(scalar.binary.value, strict_map_key=False))
        elif scalar.HasField("generic"):
            from google.protobuf.json_format import MessageToDict

            yield from _records(MessageToDict(scalar.generic))
    elif literal.HasField("collection"):
        for item in literal.collection.literals:
            yield from _literal_assets(item)
    elif literal.HasField("map"):
        for item in literal.map.literals.values():
            yield from _literal_assets(item)


def _records(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if isinstance(value.get("id"), str) and isinstance(value.get("files"), dict):
            yield value
        for item in value.values():
            yield from _records(item)
    elif isinstance(value, list):
        for item in value:
            yield from _records(item)


def missing_outputs(outputs: Any) -> list[str]:
    """Output assets (or their files) that exist neither locally nor in the remote store."""
    from stargazer.store import open_store
    from stargazer.store.manifest import check_asset_id, check_digest

    store = open_store()
    missing = []
    for record in output_assets(outputs):
        asset = record["id"]
        try:
            check_asset_id(asset)
            manifest = store.manifest(asset)
        except (ValueError, OSError) as err:
            missing.append(f"{asset} ({err})")
            continue
        if manifest is None:
            missing.append(asset)
            continue
        for role, digest in {**manifest["files"], **record["files"]}.items():
            try:
                check_digest(digest)
                present = store.local.has_object(digest) or (
                    store.remote is not None
                    and store.remote.exists(store.remote.object_key(digest))
                )
            except (ValueError, OSError):
                present = False
            if not present:
                missing.append(f"{asset} ({role} {digest})")
    return missing


def _remember_entry(key: str) -> None:
    from flyte._persistence._db import LocalDB

    task, version = _keys.get(key, ("", ""))
    import time

    conn = LocalDB.get_sync()
    with LocalDB._write_lock:
        conn.execute(ENTRIES_DDL)
        conn.execute(
            "INSERT OR REPLACE INTO stargazer_cache (key, task, version, created) "
            "VALUES (?, ?, ?, ?)",
            (key, task, version, time.time()),
        )
        conn.commit()


def install_cache_guards() -> None:
    """Wrap Flyte's local task cache (flyte 2.12): check outputs on a hit, refuse stale writes.

    - A hit whose output assets are gone is reported as a miss, so the task runs again (and
      its new result replaces the entry).
    - Nothing is written once a module changed on disk since it was imported.
    - Each key written is remembered with its task name, for `stargazer cache ls | clear`.

    Remote runs are untouched: the cluster keeps its own cache, next to the remote store.
    """
    import asyncio

    from flyte._internal.runtime import convert
    from flyte._persistence._task_cache import LocalTaskCache

    if getattr(LocalTaskCache, "_stargazer_guarded", False):
        return
    original_get = LocalTaskCache.get
    original_set = LocalTaskCache.set
    original_key = convert.generate_cache_key_hash

    async def get(cache_key: str) -> Any:
        out = await original_get(cache_key)
        if out is None:
            return None
        missing = await asyncio.to_thread(missing_outputs, out.proto_outputs)
        if missing:
            task = _keys.get(cache_key, ("a task", ""))[0]
            logger.warning(
                "cached result of %s is stale (%s no longer exists): running it again",
                task,
                ", ".join(missing[:3]),
            )
            return None
        return out

    async def set_(cache_key: str, value: Any) -> None:
        if not await asyncio.to_thread(cache_writes_allowed):
            return
        await original_set(cache_key, value)
        await asyncio.to_thread(_remember_entry, cache_key)

    def key(
        task_name: str,
        inputs_hash: str,
        task_interface: Any,
        cache_version: str,
        ignored_input_vars: Any,
        proto_inputs: Any,
    ) -> str:
        found = original_key(
            task_name, inputs_hash, task_interface, cache_version, ignored_input_vars, proto_inputs
        )
        _keys[found] = (task_name, cache_version)
        return found

    LocalTaskCache.get = staticmethod(get)  # type: ignore[method-assign]  # flyte 2.12 hook
    LocalTaskCache.set = staticmethod(set_)  # type: ignore[method-assign]  # flyte 2.12 hook
    convert.generate_cache_key_hash = key
    LocalTaskCache._stargazer_guarded = True  # type: ignore[attr-defined]  # marker


install_source_recorder()

__all__ = [
    "HASHED_PACKAGES",
    "IGNORED_INPUTS",
    "Source",
    "SourceTreePolicy",
    "cache_policy",
    "cache_writes_allowed",
    "changed_sources",
    "distribution_closure",
    "file_digest",
    "install_cache_guards",
    "install_source_recorder",
    "is_hashed",
    "missing_outputs",
    "module_closure",
    "module_source",
    "notebook_parts",
    "output_assets",
    "python_version",
    "source_files",
    "store_identity",
    "tool_versions",
]
