"""A missing asset is the typed `AssetNotFoundError` (still a `KeyError` for old callers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stargazer.errors import AssetNotFoundError
from stargazer.testing import reads_asset
from stargazer.types import Asset, Reads

MISSING = "reads-" + "0" * 40


def test_loading_an_unknown_id_names_the_id_and_the_store(workspace: Path):
    with pytest.raises(AssetNotFoundError) as raised:
        Reads.load(MISSING)
    assert isinstance(raised.value, KeyError)
    message = str(raised.value)
    assert message.startswith(f"no asset {MISSING} in ") and str(workspace) in message
    assert not message.startswith("'"), "no KeyError quotes around the message"


def test_the_manifest_of_a_removed_asset_is_not_found(workspace: Path):
    from stargazer.store import open_store

    reads = reads_asset(workspace)
    open_store().remove([reads.id])
    with pytest.raises(AssetNotFoundError, match=f"asset {reads.id} is not registered in "):
        reads.manifest()


def test_a_malformed_id_is_a_value_error_not_a_missing_asset(workspace: Path):
    with pytest.raises(ValueError, match="is not an asset id") as raised:
        Asset.load("../../etc/passwd")
    assert not isinstance(raised.value, KeyError)
