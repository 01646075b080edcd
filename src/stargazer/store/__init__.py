"""The content-addressed store behind `stargazer.types` (task code uses the types, not this).

See `stargazer.store.local` for the layout and guarantees (its parts: `objects`, `catalog`,
`indexing`, `views`, `exporting`; `location` for where the store lives),
`stargazer.store.remote` for the S3-compatible remote (`remote_uploads`, `remote_errors`),
`stargazer.store.index` for the query index and `stargazer.store.manifest` for the manifest
format.
"""

from stargazer.store.core import Store, open_store
from stargazer.store.files import hash_file
from stargazer.store.local import LocalStore, default_root, workspace_root
from stargazer.store.remote import RemoteStore

__all__ = [
    "LocalStore",
    "RemoteStore",
    "Store",
    "default_root",
    "hash_file",
    "open_store",
    "workspace_root",
]
