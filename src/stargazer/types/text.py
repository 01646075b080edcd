"""Typed values from text: the one place `"yes"` becomes True and `"20"` becomes 20.

Used by `Asset.parse_metadata` (`--meta paired=yes`, `--where`) and by `stargazer.invoke`
(`stargazer run -i threads=2`, MCP inputs given as text).

    >>> parse_scalar(bool, "Yes"), parse_scalar(int, "20"), parse_scalar(float, "0.5")
    (True, 20, 0.5)
"""

from __future__ import annotations

from typing import Any

#: Text read as True / False (case and surrounding spaces do not matter).
TRUE_WORDS = ("true", "yes", "1")
FALSE_WORDS = ("false", "no", "0")

#: The types `parse_scalar` reads.
SCALARS: tuple[type, ...] = (str, int, float, bool)


def parse_bool(text: str) -> bool:
    """True for true/yes/1, False for false/no/0.

    Raises:
        ValueError: Any other text ("expected true or false").
    """
    lowered = text.strip().lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise ValueError("expected true or false")


def parse_scalar(kind: type, text: str) -> Any:
    """`text` read as a `kind` (str, int, float or bool).

    Raises:
        ValueError: The text is not a value of that type; the message says what was expected.
        TypeError: `kind` is not one of `SCALARS`.
    """
    if kind is bool:
        return parse_bool(text)
    if kind is int:
        try:
            return int(text)
        except ValueError as err:
            raise ValueError("expected a whole number") from err
    if kind is float:
        try:
            return float(text)
        except ValueError as err:
            raise ValueError("expected a number") from err
    if kind is str:
        return text
    raise TypeError(f"cannot read a {getattr(kind, '__name__', kind)} from text")
