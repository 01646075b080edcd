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
from typing import Any

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
