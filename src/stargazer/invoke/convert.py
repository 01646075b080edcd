"""The one converter from what a front end was given to a task's keyword arguments.

The shell gives `NAME=TEXT` pairs (`-i threads=2 -i samples=sample_id=s1`, repeated for a
list); MCP gives a JSON object (`{"threads": 2, "samples": [{"sample_id": "s1"}]}`), which
`pairs_of` turns into the same pairs. `convert_inputs` then checks the names against the
signature and converts each value by the parameter's type:

- an asset parameter: an id or a metadata query, resolved by `stargazer.invoke.resolve`;
- str, int, float, bool: text is read by `stargazer.types.text.parse_scalar` (so `"2"` and
  `2`, `"yes"` and `true` mean the same from either front end);
- any other type: the value is validated by pydantic (strictly); text is read as JSON.

Every refusal is an `InputError` (or `AssetNotFoundError`) whose message starts with
`task.parameter`.

    >>> parse_assignments(["threads=2", "samples=sample_id=s1"])
    [('threads', '2'), ('samples', 'sample_id=s1')]
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from stargazer.errors import InputError
from stargazer.invoke.discovery import Entry, Parameter, parameters, type_name, unwrap
from stargazer.invoke.resolve import resolve


@dataclasses.dataclass(frozen=True)
class Inputs:
    """A task's converted inputs.

    Attributes:
        kwargs: Keyword arguments for `flyte.run(task, **kwargs)`.
        notes: One line per resolved asset (and what `latest` chose), for people.
    """

    kwargs: dict[str, Any]
    notes: list[str]


def _shown(value: Any) -> str:
    from stargazer.access import quote

    return quote(repr(value))


def parse_assignments(values: Sequence[str]) -> list[tuple[str, str]]:
    """`NAME=VALUE` strings (the shell's `-i`) as (name, value) pairs.

    Raises:
        InputError: A value without `=` or without a name.
    """
    pairs = []
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name.strip():
            raise InputError(f"{_shown(value)} is not NAME=VALUE")
        pairs.append((name.strip(), text.strip()))
    return pairs


def pairs_of(entry: Entry, inputs: Any) -> list[tuple[str, Any]]:
    """A JSON object of inputs (MCP) as (name, value) pairs; a list for a list parameter opens.

    Raises:
        InputError: `inputs` is not an object.
    """
    if not isinstance(inputs, Mapping):
        raise InputError(f"inputs must be an object of parameter -> value, got {_shown(inputs)}")
    many = {param.name for param in parameters(entry) if param.many}
    pairs: list[tuple[str, Any]] = []
    for name, value in inputs.items():
        if name in many and isinstance(value, list):
            pairs += [(str(name), item) for item in value]
        else:
            pairs.append((str(name), value))
    return pairs


def convert_value(where: str, annotation: Any, value: Any) -> Any:
    """One scalar (non-asset) value converted to `annotation`.

    Raises:
        InputError: The value is not of that type, or the type cannot be built from text/JSON.
    """
    import pydantic

    from stargazer.types.text import SCALARS, parse_scalar

    inner, _, optional = unwrap(annotation)
    if value is None and optional:
        return None
    if annotation is Any:
        return value
    if isinstance(value, str) and inner in SCALARS:
        try:
            return parse_scalar(inner, value)
        except ValueError as err:
            raise InputError(
                f"{where} must be {type_name(inner)}, got {_shown(value)} ({err})"
            ) from err
    try:
        adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(annotation)
    except pydantic.PydanticSchemaGenerationError as err:
        raise InputError(
            f"{where} has type {type_name(annotation)}, which cannot be built from text or "
            "JSON; run this task from Python instead"
        ) from err
    try:
        return adapter.validate_python(value, strict=True)
    except pydantic.ValidationError as err:
        if isinstance(value, str):
            try:
                return adapter.validate_json(value, strict=True)
            except pydantic.ValidationError:
                pass
        problems = "; ".join(str(e["msg"]) for e in err.errors())
        raise InputError(
            f"{where} must be {type_name(annotation)}, got {_shown(value)} ({problems})"
        ) from err


def _check_names(entry: Entry, params: Mapping[str, Parameter], given: set[str]) -> None:
    unknown = sorted(given - set(params))
    if unknown:
        raise InputError(
            f"{entry.name} has no parameter {', '.join(unknown)}; its parameters are "
            f"{', '.join(params) or '(none)'}"
        )
    missing = [name for name, param in params.items() if param.required and name not in given]
    if missing:
        raise InputError(
            f"{entry.name} needs {', '.join(missing)}: give it a value (shell: "
            f"-i {missing[0]}=...; MCP: inputs {{{missing[0]!r}: ...}})"
        )


def convert_inputs(
    entry: Entry, given: Sequence[tuple[str, Any]], *, latest: bool = False
) -> Inputs:
    """Check (name, value) pairs against the task's signature and convert every value.

    A list parameter takes several pairs; any other parameter takes one.

    Args:
        entry: The task or workflow.
        given: (parameter, value) pairs: text from the shell, JSON values from MCP.
        latest: When a query matches several assets, take the newest (per sample for lists).

    Raises:
        InputError: Unknown or missing parameters, a parameter given twice, a bad value.
        AssetNotFoundError: An asset id or query that matches nothing.
    """
    params = {param.name: param for param in parameters(entry)}
    _check_names(entry, params, {name for name, _ in given})
    kwargs: dict[str, Any] = {}
    notes: list[str] = []
    for name, value in given:
        param, where = params[name], f"{entry.name}.{name}"
        if name in kwargs and not param.many:
            raise InputError(f"{where} takes one value, but was given twice")
        asset_class = param.asset_class
        if value is None and param.optional:
            kwargs[name] = None
        elif asset_class is not None:
            found = resolve(where, asset_class, value, latest=latest, many=param.many)
            notes += found.notes
            if param.many:
                kwargs.setdefault(name, []).extend(found.assets)
            else:
                kwargs[name] = found.assets[0]
        elif param.many:
            kwargs.setdefault(name, []).append(convert_value(where, param.inner, value))
        else:
            kwargs[name] = convert_value(where, param.annotation, value)
    for name, value in list(kwargs.items()):
        if isinstance(value, list) and _is_tuple(params[name].annotation):
            kwargs[name] = tuple(value)
    return Inputs(kwargs, notes)


def _is_tuple(annotation: Any) -> bool:
    """Whether a list parameter is declared as `tuple[X, ...]` (optionally `| None`)."""
    members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    if len(members) == 1 and len(members) < len(typing.get_args(annotation)):
        annotation = members[0]
    return typing.get_origin(annotation) is tuple
