"""Asset parameters from an id or a metadata query, with `latest` to pick among matches.

A reference to assets is one of:

- an asset id, `"reads-3f2a..."` (what `stargazer assets ls` and `query_assets` show);
- a metadata query as text, `"sample_id=s1"` or `"sample_id=s1,platform=ILLUMINA"` (the shell's
  `-i samples=sample_id=s1`; MCP accepts the same text);
- a metadata query as an object, `{"sample_id": "s1"}` (MCP).

A query for one asset must match exactly one, unless `latest` takes the newest; a query for a
list takes every match, or with `latest` the newest per sample.

    >>> parse_query("sample_id=s1, paired=true")
    {'sample_id': 's1', 'paired': 'true'}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from stargazer.errors import AssetNotFoundError, InputError
from stargazer.invoke.records import kind_of

#: How many matches an "ambiguous query" error lists.
SHOWN_MATCHES = 5


@dataclasses.dataclass(frozen=True)
class Resolved:
    """The assets one reference resolved to.

    Attributes:
        assets: The chosen assets, oldest first.
        matched: How many assets the reference matched (more than chosen when `latest` chose).
        notes: One line per chosen asset and, when `latest` chose, a line saying so.
    """

    assets: list[Any]
    matched: int
    notes: list[str]


def asset_line(asset: Any) -> str:
    """One asset for people: its id, then the label the notebooks' pickers show."""
    from stargazer.utils.pickers import asset_label

    return f"{asset.id} ({asset_label(asset)})"


def parse_query(text: str) -> dict[str, str]:
    """`key=value[,key=value]` as a dict.

    Raises:
        ValueError: A part has no `=` or no key.
    """
    query = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{part.strip()!r} is not key=value")
        query[key.strip()] = value.strip()
    return query


def query_text(query: Mapping[str, Any]) -> str:
    """A query as the text the shell takes (`build=demo`), for messages."""
    return ",".join(f"{key}={value}" for key, value in query.items())


def _shown(query: Mapping[str, Any]) -> str:
    """A query in a message: `'build=demo'`, or `an empty query`."""
    return repr(query_text(query)) if query else "an empty query"


def resolve(
    where: str, asset_class: type, ref: Any, *, latest: bool = False, many: bool = False
) -> Resolved:
    """The assets of `asset_class` that one reference names.

    Args:
        where: `task.parameter`, the prefix of every message.
        asset_class: The asset class the parameter takes.
        ref: An asset id, a query as text, or a query as a mapping.
        latest: When a query matches several, take the newest (per sample for a list).
        many: The parameter takes a list.

    Raises:
        AssetNotFoundError: No asset has the id, or nothing matches the query.
        InputError: The reference is malformed, names an asset of another kind, or (for one
            asset without `latest`) matches several.
    """
    param = where.rpartition(".")[2]
    if isinstance(ref, str) and "=" not in ref:
        asset = _by_id(where, asset_class, ref)
        return Resolved([asset], 1, [f"  {param}: {asset_line(asset)}"])
    query = _query(where, asset_class, ref)
    found = _matches(where, asset_class, query)
    shown = _shown(query)
    chosen = _choose(where, asset_class, found, shown, latest=latest, many=many)
    notes = [f"  {param}: {asset_line(asset)}" for asset in chosen]
    if len(chosen) < len(found):
        which = "the newest" if not many else f"{len(chosen)}, the newest per sample,"
        notes.append(
            f"    --latest chose {which} of {len(found)} {asset_class.__name__} assets "
            f"matching {shown}"
        )
    return Resolved(chosen, len(found), notes)


def _by_id(where: str, asset_class: type, text: str) -> Any:
    from stargazer.access import quote
    from stargazer.store.manifest import check_asset_id
    from stargazer.types import Asset

    try:
        check_asset_id(text)
    except ValueError as err:
        raise InputError(
            f"{where}: {quote(repr(text))} is neither an asset id (like 'reads-' and 40 hex "
            "digits) nor a metadata query (key=value[,key=value])"
        ) from err
    try:
        asset = Asset.load(text)
    except AssetNotFoundError as err:
        raise AssetNotFoundError(f"{where}: {err}, or with the MCP tool query_assets") from err
    except ValueError as err:  # a manifest that cannot be read
        raise InputError(f"{where}: {err}") from err
    if not isinstance(asset, asset_class):
        raise InputError(
            f"{where} takes a {asset_class.__name__} asset, but {text} is a {type(asset).__name__}"
        )
    return asset


def _query(where: str, asset_class: Any, ref: Any) -> dict[str, Any]:
    """The metadata query a reference holds, typed fields read from text, `kind` checked."""
    kind = kind_of(asset_class)
    if isinstance(ref, str):
        try:
            query: dict[str, Any] = dict(parse_query(ref))
        except ValueError as err:
            raise InputError(f"{where}: bad query {ref!r}: {err}") from err
    elif isinstance(ref, Mapping):
        query = {str(key): value for key, value in ref.items()}
    else:
        raise InputError(
            f"{where} takes a {kind} asset: pass an asset id, or a metadata query such as "
            f"'sample_id=s1' or {{'sample_id': 's1'}}; got {ref!r}"
        )
    asked = query.pop("kind", kind)
    if asked != kind:
        raise InputError(f"{where} takes {kind} assets, not kind={asked}")
    texts = {k: v for k, v in query.items() if isinstance(v, str)}
    try:
        typed = asset_class.parse_metadata(
            {k: v for k, v in texts.items() if k in asset_class.metadata_fields()}
        )
    except ValueError as err:
        raise InputError(f"{where}: bad query {query_text(query)!r}: {err}") from err
    return {**query, **typed}


def _matches(where: str, asset_class: type, query: dict[str, Any]) -> list[Any]:
    from stargazer.types import assemble

    try:
        found = assemble(kind=kind_of(asset_class), **query)
    except (TypeError, ValueError) as err:
        raise InputError(f"{where}: bad query {query_text(query)!r}: {err}") from err
    if not found:
        raise AssetNotFoundError(
            f"{where}: no {asset_class.__name__} asset matches {_shown(query)}; list "
            f"them with `stargazer assets ls --type {kind_of(asset_class)}` or the MCP tool "
            "query_assets"
        )
    return found


def _choose(
    where: str, asset_class: type, found: list[Any], shown: str, *, latest: bool, many: bool
) -> list[Any]:
    """Which of the matches (oldest first) a parameter takes."""
    if latest and not many:
        return found[-1:]
    if latest:
        newest: dict[str, Any] = {}
        for asset in found:  # oldest first, so the newest per sample wins
            newest[getattr(asset, "sample_id", "") or asset.id] = asset
        return list(newest.values())
    if not many and len(found) > 1:
        listed = "".join(f"\n  {asset_line(a)}" for a in reversed(found[-SHOWN_MATCHES:]))
        more = len(found) - SHOWN_MATCHES
        older = f"\n  ... and {more} older" if more > 0 else ""
        raise InputError(
            f"{where}: {len(found)} {asset_class.__name__} assets match {shown}; pass one id, "
            f"narrow the query, or take the newest (`--latest`, MCP latest=true):{listed}{older}"
        )
    return found
