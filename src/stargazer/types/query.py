"""Finding assets by type, metadata and labels (`assemble`); one asset per sample.

```python
from stargazer.types import assemble
from stargazer.types.query import check_one_per_sample

reads = assemble(kind="reads", sample_id=["s1", "s2"], labels={"batch": "b1"})
check_one_per_sample(reads, problem="is given more than once", fix="give one per sample")
```
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from stargazer.store import open_store
from stargazer.store.index import as_text
from stargazer.store.manifest import LABEL_KEY
from stargazer.types.base import REGISTRY, Asset

#: Filters `assemble` accepts besides metadata fields.
QUERY_EXTRAS = ("id", "tool", "tool_version", "parent")


def assemble(**filters: Any) -> list[Asset]:
    """Find assets by type and metadata; returns typed assets, oldest first.

    `kind` (or `type`) selects a type by name or class; every other keyword is a metadata
    field (or `id`, `tool`, `tool_version`, `parent`). A list value means any of its values.
    Free-form labels are matched with `labels={"batch": "b1"}` or the key `label.batch`
    (`assemble(**{"label.batch": "b1"})`, the form the CLI's `--where` and MCP use); a bare
    name is always a typed field, so a misspelt field is refused rather than matching nothing.

    Example: `assemble(kind="reads", sample_id=["s1", "s2"], labels={"batch": "b1"})`.
    """
    labels = filters.pop("labels", None) or {}
    if not isinstance(labels, Mapping):
        raise ValueError(f"labels must be a mapping such as {{'batch': 'b1'}}, not {labels!r}")
    by_label = {f"label.{key}": value for key, value in labels.items()}
    by_label.update({k: filters.pop(k) for k in list(filters) if k.startswith("label.")})
    for key in by_label:
        if not LABEL_KEY.match(key[len("label.") :]):
            raise ValueError(
                f"cannot filter by label {key[len('label.') :]!r}: label names start with a "
                "letter, then letters, digits, '_' or '-'"
            )
    kind = filters.pop("kind", None)
    alias = filters.pop("type", None)
    kind = kind if kind is not None else alias
    if isinstance(kind, type) and issubclass(kind, Asset):
        kind = kind.kind
    if kind is not None and kind not in REGISTRY:
        raise ValueError(f"unknown asset kind {kind!r}: use one of {', '.join(sorted(REGISTRY))}")
    types = [REGISTRY[kind]] if kind else list(REGISTRY.values())
    allowed = set(QUERY_EXTRAS).union(*(t.metadata_fields() for t in types))
    unknown = sorted(set(filters) - allowed)
    if unknown:
        raise ValueError(
            f"cannot filter {kind or 'assets'} by {', '.join(unknown)}: "
            f"use {', '.join(sorted(allowed))}; for a free-form label write "
            f"labels={{{unknown[0]!r}: ...}} (CLI: --where label.{unknown[0]}=VALUE)"
        )
    query = {
        key: [as_text(v) for v in (value if isinstance(value, list | tuple | set) else [value])]
        for key, value in {**filters, **by_label}.items()
    }
    return [Asset.from_manifest(m) for m in open_store().query(kind, query)]


class _OfSample(Protocol):
    @property
    def sample_id(self) -> str: ...


def check_one_per_sample(assets: Iterable[_OfSample], *, problem: str, fix: str) -> None:
    """Refuse assets of which two or more carry the same `sample_id`.

    Args:
        assets: The assets a task or workflow was given, one per sample.
        problem: What is wrong with a repeated sample, after "sample s1 ".
        fix: What to do instead, after the semicolon.

    Raises:
        ValueError: `sample s1, s2 {problem}; {fix}`, naming every repeated sample.
    """
    ids = [asset.sample_id for asset in assets]
    repeated = sorted({s for s in ids if ids.count(s) > 1})
    if repeated:
        raise ValueError(f"sample {', '.join(repeated)} {problem}; {fix}")
