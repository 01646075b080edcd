import anndata
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from stargazer.tasks.scrna.validation import check_counts


def _adata(values, genes=None):
    matrix = np.asarray(values, dtype=np.float32)
    var = pd.DataFrame(index=genes or [f"g{i}" for i in range(matrix.shape[1])])
    obs = pd.DataFrame(index=[f"c{i}" for i in range(matrix.shape[0])])
    return anndata.AnnData(X=sp.csr_matrix(matrix), obs=obs, var=var)


def test_raw_counts_pass():
    adata = _adata([[1, 0, 3], [0, 2, 0]])
    assert check_counts(adata, "m.h5ad") is adata


def test_normalised_floats_are_refused_with_the_value_and_place():
    adata = _adata([[1, 0, 3], [0, 0.6931, 0]])
    with pytest.raises(ValueError, match=r"non-integer values \(0.6931 at cell 'c1', gene 'g1'"):
        check_counts(adata, "m.h5ad")


def test_negative_values_are_refused():
    with pytest.raises(ValueError, match=r"m.h5ad: the matrix holds negative values \(-2 at"):
        check_counts(_adata([[1, 0, -2], [0, 1, 0]]), "m.h5ad")


def test_nan_is_refused():
    with pytest.raises(ValueError, match="NaN or infinite"):
        check_counts(_adata([[1, np.nan], [0, 1]]), "m.h5ad")


def test_duplicate_gene_names_are_made_unique_with_a_warning():
    adata = _adata([[1, 2, 3], [1, 0, 1]], genes=["TP53", "TP53", "MYC"])
    with pytest.warns(UserWarning, match=r"1 gene name\(s\) occur more than once \(TP53\)"):
        check_counts(adata, "m.h5ad")
    assert list(adata.var_names) == ["TP53", "TP53-1", "MYC"]


@pytest.mark.parametrize("values", [np.zeros((0, 3)), np.zeros((3, 0)), np.zeros((4, 3))])
def test_empty_matrix_is_refused(values):
    with pytest.raises(ValueError, match="the matrix is empty"):
        check_counts(_adata(values), "m.h5ad")
