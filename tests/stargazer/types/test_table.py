from __future__ import annotations

import asyncio

import pytest

from stargazer.errors import InvalidAssetError
from stargazer.testing import nothing_registered
from stargazer.types import Table


def test_formats_from_extension(workspace):
    (workspace / "markers.csv").write_text("gene,score\nCD3E,2.5\n")
    (workspace / "qc.json").write_text('{"reads": 20}')
    csv = asyncio.run(Table.create(workspace / "markers.csv", sample_id="s1"))
    js = asyncio.run(Table.create(workspace / "qc.json", name="alignment_qc"))
    assert (csv.format, csv.name) == ("csv", "markers")
    assert (js.format, js.name) == ("json", "alignment_qc")


def test_ragged_tsv_bad_json_and_unknown_format(workspace):
    (workspace / "r.tsv").write_text("a\tb\n1\t2\t3\n")
    with pytest.raises(InvalidAssetError, match=r"r\.tsv: line 2 has 3 columns, the header has 2"):
        asyncio.run(Table.create(workspace / "r.tsv"))
    (workspace / "b.json").write_text("{not json")
    with pytest.raises(InvalidAssetError, match=r"b\.json: not valid JSON"):
        asyncio.run(Table.create(workspace / "b.json"))
    (workspace / "x.dat").write_text("a\n")
    with pytest.raises(InvalidAssetError, match="pass format=tsv, csv or json"):
        asyncio.run(Table.create(workspace / "x.dat"))
    assert nothing_registered(workspace / ".stargazer")
