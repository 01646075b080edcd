"""Typed assets: every file a task reads or writes, with metadata, stored by content.

```python
from stargazer.types import Reads, assemble

reads = await Reads.create("s1_R1.fq.gz", companions={"r2": "s1_R2.fq.gz"}, sample_id="s1")
path = await reads.fetch()             # local path; companions sit beside it
found = assemble(kind="reads", sample_id=["s1", "s2"])
```

See docs/assets.md for the contract.
"""

from stargazer.types.alignment import Alignment
from stargazer.types.base import Asset
from stargazer.types.query import assemble
from stargazer.types.reads import Reads
from stargazer.types.reference import Reference
from stargazer.types.single_cell import AnnData
from stargazer.types.table import Table
from stargazer.types.variants import Variants

__all__ = [
    "Alignment",
    "AnnData",
    "Asset",
    "Reads",
    "Reference",
    "Table",
    "Variants",
    "assemble",
]
