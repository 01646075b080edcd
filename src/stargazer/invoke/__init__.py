"""One way in for the shell and MCP: find a task, convert its inputs, describe its outputs.

`stargazer run` and the MCP tools (`run_task`, `run_workflow`, `describe_task`, ...) both go
through this package, so they accept the same inputs, refuse the same mistakes with the same
messages and return the same records. Each front end only maps the typed errors
(`stargazer.errors.InputError`, `AssetNotFoundError`) to its own surface.

```python
entry = Catalog().find("germline_variants", kind="workflow")
inputs = convert_inputs(entry, [("reference", "build=demo"), ("samples", "sample_id=s1")])
run = flyte.run(entry.task, **inputs.kwargs)
records = [output_record(value) for value in flatten(run.outputs())]
```

Where each part lives: `discovery` (tasks, workflows, parameters), `convert` (the converter),
`resolve` (asset ids and metadata queries, `latest`), `records` (JSON records), `describe`
(what a task takes, for listings).
"""

from stargazer.invoke.convert import (
    Inputs,
    convert_inputs,
    convert_value,
    pairs_of,
    parse_assignments,
)
from stargazer.invoke.describe import describe_text, details, summary
from stargazer.invoke.discovery import (
    Catalog,
    Entry,
    Parameter,
    all_tasks,
    discover,
    load_task,
    parameters,
    type_name,
    unwrap,
)
from stargazer.invoke.records import asset_record, flatten, jsonable, kind_of, output_record
from stargazer.invoke.resolve import Resolved, asset_line, parse_query, query_text, resolve

__all__ = [
    "Catalog",
    "Entry",
    "Inputs",
    "Parameter",
    "Resolved",
    "all_tasks",
    "asset_line",
    "asset_record",
    "convert_inputs",
    "convert_value",
    "describe_text",
    "details",
    "discover",
    "flatten",
    "jsonable",
    "kind_of",
    "load_task",
    "output_record",
    "pairs_of",
    "parameters",
    "parse_assignments",
    "parse_query",
    "query_text",
    "resolve",
    "summary",
    "type_name",
    "unwrap",
]
