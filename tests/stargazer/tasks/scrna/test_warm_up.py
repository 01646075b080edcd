import numba
import pytest

from stargazer.tasks.scrna.warm_up import MARKERS, numba_code_compiled


@pytest.fixture
def numba_cache_dir(tmp_path, monkeypatch):
    """Numba's cache folder pointed at an empty scratch folder (as NUMBA_CACHE_DIR would)."""
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path))
    return tmp_path


def test_an_empty_numba_cache_is_not_compiled_and_each_marker_counts(numba_cache_dir):
    assert numba_code_compiled() is False
    for index, (package, stem, function) in enumerate(MARKERS):
        folder = numba_cache_dir / f"{package}_0123abcd"
        folder.mkdir(exist_ok=True)
        (folder / f"{stem}.{function}-42.py311.nbi").write_bytes(b"index")
        assert numba_code_compiled() is (index == len(MARKERS) - 1)
