"""`merge_samples`: put several samples' normalised cells into one AnnData.

Cells keep their sample in `obs["sample"]` and get the sample appended to their barcode
(`AAACCTG...-1-s1`), so barcodes that repeat across samples stay distinct. Only genes present
in every sample are kept.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from stargazer.config import scrna_env
from stargazer.tasks.scrna.common import load, store
from stargazer.types import AnnData

if TYPE_CHECKING:
    import anndata as ad

STAGE = "merged"


def concatenate(adatas: list[ad.AnnData], sample_ids: list[str]) -> ad.AnnData:
    """Concatenate samples (inner join on genes), recording `obs["sample"]`.

    Raises:
        ValueError: No samples, repeated sample ids, or no gene shared by all samples.
    """
    import anndata

    if not adatas:
        raise ValueError("no samples to merge")
    if len(set(sample_ids)) != len(sample_ids):
        raise ValueError(f"sample ids must differ to merge samples, got {sample_ids}")
    merged = anndata.concat(
        adatas,
        join="inner",
        label="sample",
        keys=sample_ids,
        index_unique="-",
        merge="same",
        uns_merge="same",
    )
    if merged.n_vars == 0:
        raise ValueError(
            f"samples {sample_ids} share no gene names; were they made with the same reference?"
        )
    return merged


@scrna_env.task
async def merge_samples(samples: list[AnnData]) -> AnnData:
    """Merge several samples into one AnnData; the `merged` stage.

    Args:
        samples: AnnData assets with distinct `sample_id`s (normally `normalized`).

    Returns:
        The `merged` AnnData asset, with `obs["sample"]`.
    """
    ids = [s.sample_id or s.id for s in samples]
    adatas = [await load(s) for s in samples]
    merged = await asyncio.to_thread(concatenate, adatas, ids)
    del adatas
    return await store(
        merged,
        stage=STAGE,
        params={"samples": ",".join(ids), "join": "inner"},
        parents=list(samples),
        sample_id="+".join(ids),
    )


__all__ = ["concatenate", "merge_samples"]
