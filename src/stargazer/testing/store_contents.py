"""What the current store holds, for tests that check what was (or was not) registered.

```python
before = store_state(workspace / ".stargazer")
with pytest.raises(InvalidAssetError):
    Reads.create_sync(bad_fastq, sample_id="s1")
assert store_state(workspace / ".stargazer") == before
```
"""

from __future__ import annotations

from pathlib import Path


def nothing_registered(store_root: Path) -> bool:
    """No manifest and no object was written under `store_root`."""
    manifests = list((store_root / "manifests").glob("*.json"))
    objects = [p for p in (store_root / "objects").rglob("*") if p.is_file()]
    return not manifests and not objects


def store_state(store_root: Path) -> tuple[list[str], list[str], list[str]]:
    """What a store holds: manifest files, object files and the ids the index answers with."""
    from stargazer.types import assemble

    if not store_root.exists():
        return [], [], []
    manifests = sorted(p.name for p in (store_root / "manifests").glob("*"))
    objects = sorted(
        str(p.relative_to(store_root)) for p in (store_root / "objects").rglob("*") if p.is_file()
    )
    return manifests, objects, sorted(asset.id for asset in assemble())


def store_ids(kind: str = "anndata") -> list[str]:
    """Ids of every asset of `kind` in the current store."""
    from stargazer.types import assemble

    return [asset.id for asset in assemble(kind=kind)]
