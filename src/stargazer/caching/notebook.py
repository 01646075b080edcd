"""What a task defined in a notebook cell or a script (``__main__``) reaches, hashed.

Only the module a task is defined in would be hashed otherwise, and a notebook's module is
``__main__``: `notebook_parts` follows the function's names instead, through the functions,
classes and constants of the notebook it uses, transitively.
"""

from __future__ import annotations

import contextlib
import enum
import inspect
import marshal
import os
import sys
from collections.abc import Callable
from types import CodeType, FunctionType, ModuleType
from typing import Any, NamedTuple

from stargazer.caching.sources import _sha256, _sources

#: Modules that hold a notebook's or script's own code.
NOTEBOOK_MODULES = ("__main__",)


_CONSTANTS = (int, float, complex, str, bytes, bool, type(None), enum.Enum)


def _constant_repr(value: Any, depth: int = 0) -> str | None:
    """A stable text for plain data (None for anything else)."""
    if isinstance(value, _CONSTANTS):
        return repr(value)
    if depth > 4:
        return None
    if isinstance(value, (tuple, list, set, frozenset)):
        items = [_constant_repr(v, depth + 1) for v in value]
        texts = [item for item in items if item is not None]
        if len(texts) != len(items):
            return None
        if isinstance(value, (set, frozenset)):
            texts.sort()
        return f"{type(value).__name__}({', '.join(texts)})"
    if isinstance(value, dict):
        pairs = []
        for k, v in value.items():
            key, text = _constant_repr(k, depth + 1), _constant_repr(v, depth + 1)
            if key is None or text is None:
                return None
            pairs.append((key, text))
        return "{" + ", ".join(f"{k}: {v}" for k, v in sorted(pairs)) + "}"
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
    func: object = getattr(value, "func", None)
    if callable(func) and hasattr(value, "native_interface"):
        return func
    return None


class _Step(NamedTuple):
    """What one value adds to the walk of `notebook_parts`."""

    part: tuple[str, str] | None = None  # (name, digest or value) to hash
    reached: tuple[tuple[str, Any], ...] = ()  # (name, value) still to visit
    module: str | None = None  # a module outside the notebook that defines it


def _function_reaches(func: FunctionType) -> tuple[tuple[str, Any], ...]:
    """The globals a notebook function uses, its defaults and its closure's values."""
    scope = func.__globals__
    reached = [(used, scope[used]) for used in sorted(_names(func.__code__)) if used in scope]
    for default in (*(func.__defaults__ or ()), *(func.__kwdefaults__ or {}).values()):
        reached.append((f"{func.__qualname__}.<default>", default))
    for cell in func.__closure__ or ():
        with contextlib.suppress(ValueError):  # an empty cell
            reached.append((f"{func.__qualname__}.<closure>", cell.cell_contents))
    return tuple(reached)


def _class_reaches(cls: type) -> tuple[tuple[str, Any], ...]:
    """A notebook class's methods and attributes (not dunders but `__init__`, `__call__`)."""
    reached = []
    for attribute, member in sorted(vars(cls).items()):
        if attribute.startswith("__") and attribute not in ("__init__", "__call__"):
            continue
        reached.append((f"{cls.__qualname__}.{attribute}", getattr(member, "__func__", member)))
    reached.extend((base.__qualname__, base) for base in cls.__bases__)
    return tuple(reached)


def _step(name: str, value: Any) -> _Step:
    """Hash a value of the notebook, or say which module defines it, and what it reaches."""
    task_func = _task_function(value)
    if task_func is not None:
        return _Step(reached=((name, task_func),))
    if isinstance(value, ModuleType):
        return _Step(module=value.__name__)
    constant = _constant_repr(value)
    if constant is not None:
        return _Step(part=(name, constant))
    if inspect.isfunction(value) or inspect.isclass(value):
        if not _is_notebook_object(value):
            return _Step(module=value.__module__)
        if inspect.isfunction(value):
            digest = _sha256(_function_source(value).encode())
            return _Step((value.__qualname__, digest), _function_reaches(value))
        bases = ",".join(f"{b.__module__}.{b.__qualname__}" for b in value.__bases__)
        return _Step((value.__qualname__, bases), _class_reaches(value))
    # Anything else (an environment, an instance): its type's module is what defines it.
    kind = type(value)
    if _is_notebook_object(kind):
        return _Step(reached=((kind.__qualname__, kind),))
    return _Step(module=kind.__module__)


def notebook_parts(func: Callable[..., Any]) -> tuple[dict[str, str], set[str]]:
    """What a notebook- or script-defined function reaches in its notebook, and the modules.

    Returns:
        (``{"notebook:<name>": digest or value}``, names of the other modules reached).
    """
    parts: dict[str, str] = {}
    modules: set[str] = set()
    seen: set[int] = set()
    pending: list[tuple[str, Any]] = [(getattr(func, "__qualname__", "task"), func)]
    while pending:
        name, value = pending.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        step = _step(name, value)
        if step.part is not None:
            key, count = f"notebook:{step.part[0]}", 1
            while key in parts:  # two cells may define things with the same qualified name
                count += 1
                key = f"notebook:{step.part[0]}#{count}"
            parts[key] = step.part[1]
        if step.module is not None:
            modules.add(step.module)
        pending.extend(step.reached)
    return dict(sorted(parts.items())), modules
