"""Task cache keys that are always right: one policy for every `TaskEnvironment`.

A cached task result is reused only when nothing that could change it has changed. The key
Flyte computes for a task call is made of the task's name and interface, its inputs (asset
ids are content digests, so the same bytes anywhere are the same input) and a *version*, which
`SourceTreePolicy` makes out of:

- **code** — the source the process actually imported, captured at import time by an import
  hook (and compiled from exactly those bytes), for the task's module and every module of the
  project it imports, transitively: any module whose file lives outside the Python
  installation and its site-packages (so helpers in other top-level packages count), plus the
  ``stargazer`` package wherever it is installed. A task defined in a notebook cell or a script
  (``__main__``) hashes its own source and everything of the notebook it reaches (functions,
  classes and constants it names, transitively) plus the modules those come from;
- **environment** — the installed versions of the environment's packages and their whole
  dependency closure (read from distribution metadata), and the Python version;
- **scope** — the id of the asset store the outputs live in (`stargazer.store.identity`), not
  its path: a wiped store gets a new id, so no result points into a store that is gone.

Three guards keep a hit from ever being stale (see `install_cache_guards`):

- a cached result whose output assets no longer exist (locally or in the remote store) is a
  miss, so the task runs again, as Nextflow's ``-resume`` checks its outputs;
- if a module's file changed on disk after it was imported, the process warns once and writes
  nothing more to the cache (its code no longer matches the files a fresh process would hash);
- inputs that cannot change outputs (`IGNORED_INPUTS`, i.e. ``threads``) are left out of the key.

    from stargazer.caching import cache_policy
    env = flyte.TaskEnvironment(name="my_env", cache=cache_policy("pysam", "pybwa"))

`stargazer cache explain TASK` prints what a key is made of.

Where each part lives: `sources` (what the process imported) and `import_hook` (which captures
it); `closure` (a module and the project modules it imports); `notebook` (what a notebook- or
script-defined task reaches); `environment` (versions, Python); `scope` (the store id);
`policy` (the key's version and `cache_policy`); `outputs`, `changed_on_disk` and `guards`
(the guards patched into Flyte's local cache).
"""

from stargazer.caching.changed_on_disk import cache_writes_allowed, changed_sources
from stargazer.caching.closure import module_closure, source_files
from stargazer.caching.environment import distribution_closure, python_version, tool_versions
from stargazer.caching.guards import ENTRIES_DDL, install_cache_guards
from stargazer.caching.import_hook import install_source_recorder
from stargazer.caching.notebook import NOTEBOOK_MODULES, notebook_parts
from stargazer.caching.outputs import missing_outputs, output_assets
from stargazer.caching.policy import IGNORED_INPUTS, SourceTreePolicy, cache_policy
from stargazer.caching.scope import store_identity
from stargazer.caching.sources import (
    HASHED_PACKAGES,
    Source,
    file_digest,
    is_hashed,
    module_source,
)

__all__ = [
    "ENTRIES_DDL",
    "HASHED_PACKAGES",
    "IGNORED_INPUTS",
    "NOTEBOOK_MODULES",
    "Source",
    "SourceTreePolicy",
    "cache_policy",
    "cache_writes_allowed",
    "changed_sources",
    "distribution_closure",
    "file_digest",
    "install_cache_guards",
    "install_source_recorder",
    "is_hashed",
    "missing_outputs",
    "module_closure",
    "module_source",
    "notebook_parts",
    "output_assets",
    "python_version",
    "source_files",
    "store_identity",
    "tool_versions",
]
