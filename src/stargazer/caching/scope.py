"""The scope of a key: the id of the asset store its outputs live in, not the store's path."""

from __future__ import annotations


def store_identity() -> str:
    """The id of the asset store selected right now (created in the store if it has none)."""
    from stargazer.store import open_store
    from stargazer.store.identity import store_id

    return f"store:{store_id(open_store())}"
