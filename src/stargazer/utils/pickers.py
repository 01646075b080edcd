"""Labels for asset pickers that people can read: who, what, when, and a short id.

Notebooks offer stored assets in dropdowns. An asset id is a digest (`reads-1a2b3c…`), so
slicing it gives labels that all look alike; these helpers build labels from the asset's
metadata instead, newest first, and find the label of an asset chosen earlier, so a picker
keeps its selection when it is rebuilt after another registration:

    options = picker_options(assemble(kind="reads"))
    pick = mo.ui.dropdown(options, value=label_of(options, chosen_id))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from stargazer.types import Asset

#: Hex digits of the id shown in a label; more are added only when two labels would clash.
SHORT_ID = 8


def short_id(asset: Asset, digits: int = SHORT_ID) -> str:
    """The first `digits` hex digits of the asset's digest (the id without its kind)."""
    return asset.id.rpartition("-")[2][:digits]


def created_at(asset: Asset) -> datetime | None:
    """When the asset was registered (from its manifest), or None if the store has no date."""
    stamp = asset.manifest().get("created_at")
    return datetime.fromisoformat(stamp) if stamp else None


def describe(asset: Asset) -> str:
    """What the asset is, in words: sample and build or stage (no id, no time).

    For example "NA12878 · paired reads", "reference GRCh38", "pbmc · clustered".
    """
    meta = asset.metadata
    parts: list[str] = []
    who = meta.get("sample_id") or meta.get("cohort") or meta.get("name")
    if who:
        parts.append(str(who))
    if asset.kind == "reference":
        parts.append(f"reference {meta.get('build') or '(no build)'}")
    elif meta.get("stage"):
        parts.append(str(meta["stage"]))
    elif asset.kind == "reads":
        parts.append("paired reads" if "r2" in asset.files else "reads")
    else:
        parts.append(asset.kind)
    return " · ".join(parts)


def asset_label(asset: Asset, when: datetime | None = None, digits: int = SHORT_ID) -> str:
    """A picker label: what the asset is, when it was registered and a short id.

    Args:
        asset: A stored asset.
        when: Its registration time; read from the store when not given.
        digits: Hex digits of the id to show.

    Returns:
        For example "NA12878 · paired reads · 2026-11-29 23:52 · #1a2b3c4d".
    """
    when = when if when is not None else created_at(asset)
    stamp = when.astimezone().strftime("%Y-%m-%d %H:%M") if when else "date unknown"
    return f"{describe(asset)} · {stamp} · #{short_id(asset, digits)}"


def picker_options(assets: Iterable[Asset]) -> dict[str, Asset]:
    """Label -> asset for a dropdown, newest first; every label is distinct.

    Two assets that share a description and a minute are told apart by their ids: the id
    part of the labels grows until they differ.
    """
    dated = [(asset, created_at(asset)) for asset in {a.id: a for a in assets}.values()]
    oldest = datetime.min.replace(tzinfo=datetime.now().astimezone().tzinfo)
    dated.sort(key=lambda item: (item[1] or oldest, item[0].id), reverse=True)
    digits = SHORT_ID
    while True:
        labels = [asset_label(asset, when, digits) for asset, when in dated]
        if len(set(labels)) == len(labels) or digits >= 64:
            return dict(zip(labels, (asset for asset, _ in dated), strict=True))
        digits += 4


def label_of(options: Mapping[str, Asset], asset_id: str | None) -> str | None:
    """The label of the asset with this id among `options`, or None when it is not there."""
    return next((label for label, asset in options.items() if asset.id == asset_id), None)


def labels_of(options: Mapping[str, Asset], asset_ids: Iterable[str]) -> list[str]:
    """The labels of those of `asset_ids` that are among `options`, in the options' order."""
    wanted = set(asset_ids)
    return [label for label, asset in options.items() if asset.id in wanted]
