"""Result tables: TSV, CSV or JSON (QC metrics, marker genes, variant summaries)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from stargazer.errors import InvalidAssetError
from stargazer.types.base import Asset
from stargazer.types.sniff import mismatch, sniff

FORMATS = {".tsv": "tsv", ".txt": "tsv", ".csv": "csv", ".json": "json"}


@dataclass
class Table(Asset):
    """A table of results. `format` is taken from the file extension when not given.

    Attributes:
        name: What the table holds, e.g. alignment_qc, marker_genes (default: file stem).
        sample_id: The sample it describes ("" for several).
        format: tsv, csv or json.
    """

    kind: ClassVar[str] = "table"

    name: str = ""
    sample_id: str = ""
    format: str = ""

    @classmethod
    def _validate(
        cls, files: dict[str, Path], metadata: dict[str, Any], workdir: Path
    ) -> tuple[dict[str, Path], dict[str, Any]]:
        path = files["primary"]
        fmt = metadata["format"] or FORMATS.get(path.suffix.lower(), "")
        if fmt not in ("tsv", "csv", "json"):
            raise InvalidAssetError(
                f"{path}: cannot tell the table format from {path.suffix or 'no extension'}; "
                "pass format=tsv, csv or json"
            )
        label = sniff(path)
        if label not in ("text", "fastq", "fasta"):
            raise InvalidAssetError(mismatch(path, label, f"a {fmt.upper()} text file", "table"))
        try:
            if fmt == "json":
                with open(path, encoding="utf-8") as handle:
                    json.load(handle)
            else:
                _check_delimited(path, "\t" if fmt == "tsv" else ",")
        except (UnicodeDecodeError, json.JSONDecodeError, csv.Error) as err:
            raise InvalidAssetError(f"{path}: not valid {fmt.upper()} ({err})") from err
        name = metadata["name"] or path.name.split(".", 1)[0]
        return files, {**metadata, "format": fmt, "name": name}


def _check_delimited(path: Path, delimiter: str) -> None:
    """Every row has as many columns as the header."""
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise InvalidAssetError(f"{path}: no header row; the first line must name the columns")
        for number, row in enumerate(reader, 2):
            if row and len(row) != len(header):
                raise InvalidAssetError(
                    f"{path}: line {number} has {len(row)} columns, the header has "
                    f"{len(header)}; fix the row or the delimiter"
                )
