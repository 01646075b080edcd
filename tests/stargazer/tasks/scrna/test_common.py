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
