from __future__ import annotations

import asyncio

import pytest

from stargazer.errors import InvalidAssetError
from stargazer.testing import nothing_registered, write_bam, write_h5ad
from stargazer.types import AnnData


def test_shape_is_read_from_the_file(workspace):
    import anndata

    data = asyncio.run(AnnData.create(write_h5ad(workspace / "pbmc.h5ad"), stage="raw"))
    assert (data.n_obs, data.n_vars, data.stage) == (12, 8, "raw")
    assert anndata.read_h5ad(asyncio.run(data.fetch())).shape == (12, 8)


def test_wrong_shape_corrupt_file_and_wrong_type(workspace):
    h5ad = write_h5ad(workspace / "a.h5ad")
    with pytest.raises(InvalidAssetError, match="n_obs=99 was given but the file has 12"):
        asyncio.run(AnnData.create(h5ad, n_obs=99))
    corrupt = workspace / "corrupt.h5ad"
    corrupt.write_bytes(h5ad.read_bytes()[:2048])
    with pytest.raises(InvalidAssetError, match=r"corrupt\.h5ad: anndata cannot open it"):
        asyncio.run(AnnData.create(corrupt))
    with pytest.raises(InvalidAssetError, match=r"it is a BAM file; add it as --type alignment"):
        asyncio.run(AnnData.create(write_bam(workspace / "x.h5ad")))
    assert nothing_registered(workspace / ".stargazer")


def test_own_writes_get_the_layout_check_and_still_refuse_a_wrong_file(workspace):
    import h5py

    from stargazer.types.single_cell import written_by_anndata

    h5ad = write_h5ad(workspace / "own.h5ad")
    with written_by_anndata(h5ad):
        data = asyncio.run(AnnData.create(h5ad, stage="raw"))
    assert (data.n_obs, data.n_vars) == (12, 8)
    broken = workspace / "broken.h5ad"
    broken.write_bytes(h5ad.read_bytes())
    with h5py.File(broken, "a") as handle:
        del handle["var"][handle["var"].attrs["_index"]]
    with (
        written_by_anndata(broken),
        pytest.raises(InvalidAssetError, match=r"broken\.h5ad: its var table has no index"),
    ):
        asyncio.run(AnnData.create(broken))
    plain = workspace / "plain.h5"
    with h5py.File(plain, "w") as handle:
        handle["X"] = [[1.0]]
    with (
        written_by_anndata(plain),
        pytest.raises(InvalidAssetError, match=r"plain\.h5: the HDF5 root is not marked"),
    ):
        asyncio.run(AnnData.create(plain))
    # outside the mark the same kind of file gets anndata's full open
    with pytest.raises(InvalidAssetError, match=r"plain\.h5: anndata cannot open it"):
        asyncio.run(AnnData.create(plain))
