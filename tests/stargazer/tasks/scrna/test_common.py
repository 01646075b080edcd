import numba

from stargazer.tasks.scrna.common import enable_numba_cache, record


def _jit_in(folder, module: str):
    """A numba function defined in a source file, as if by `module`."""
    source = folder / f"{module.replace('.', '_')}.py"
    source.write_text("@numba.njit\ndef f(x):\n    return x + 1\n")
    namespace = {"__name__": module, "numba": numba}
    exec(compile(source.read_text(), str(source), "exec"), namespace)
    return namespace["f"]


def test_numba_functions_of_pynndescent_and_umap_are_cached_on_disk(tmp_path):
    enable_numba_cache()
    assert enable_numba_cache() is False, "enabling twice is a no-op"
    assert type(_jit_in(tmp_path, "pynndescent.distances")._cache).__name__ == "FunctionCache"
    assert type(_jit_in(tmp_path, "umap.layouts")._cache).__name__ == "FunctionCache"
    assert type(_jit_in(tmp_path, "somebody.else")._cache).__name__ == "NullCache"


def test_parameters_are_recorded_as_text_in_uns():
    import anndata
    import numpy as np

    adata = anndata.AnnData(np.zeros((2, 2), dtype=np.float32))
    params = record(adata, "qc", {"min_genes": 200, "remove_doublets": True, "layer": None})
    assert params == {"min_genes": "200", "remove_doublets": "true", "layer": ""}
    assert adata.uns["stargazer"]["qc"] == params


def test_next_step_gets_the_stored_object_once_and_writes_the_same_bytes(workspace):
    import asyncio

    from stargazer.tasks.scrna import common
    from stargazer.tasks.scrna.normalize import normalize_counts
    from stargazer.tasks.scrna.qc_filter import filter_cells
    from stargazer.testing.scrna import counts

    async def steps(handoff: bool):
        adata = filter_cells(counts(cells=300, genes=500), remove_doublets=False)
        qc = await common.store(
            adata,
            stage="qc",
            params={"min_genes": 200, "max_pct_mt": 20.0},
            parents=[],
            sample_id="s1",
        )
        if not handoff:
            common.forget_handoffs()
        loaded = await common.load(qc)
        assert (loaded is adata) is handoff
        again = await common.load(qc)  # given out once; then read from the file
        assert again is not adata and again.shape == adata.shape
        return await common.store(
            normalize_counts(loaded), stage="normalized", params={}, parents=[qc], sample_id="s1"
        )

    handed = asyncio.run(steps(handoff=True))
    reread = asyncio.run(steps(handoff=False))
    assert handed.id == reread.id, "the kept object must write the same file as a re-read"
