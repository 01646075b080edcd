"""The store id: a UUID written into a store once, the first time anyone asks for it.

Task caches are scoped by this id, not by where the store lives: a store that is wiped and
created again at the same path gets a new id (so no cached result points into the old one),
and a store that is moved or mounted elsewhere keeps its id.

- Local: ``<root>/store-id``. The id is written to a staging file first and then hard-linked
  to its final name, which fails if the name exists, so two processes racing to create it
  agree on one id and no reader ever sees a half-written file.
- Remote (``STARGAZER_STORE=s3://bucket/prefix``): the ``store-id`` key under the prefix,
  created with a conditional put (``If-None-Match``); the local cache of a remote store takes
  the remote's id.

    from stargazer.store import open_store
    from stargazer.store.identity import store_id
    store_id(open_store())   # 'b3d0c2f4-...'
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
import uuid
from pathlib import Path

from stargazer.store.core import Store

#: The file (local) or key (remote) that holds the id.
NAME = "store-id"

_lock = threading.Lock()
_remote_ids: dict[str, str] = {}


def _check(text: str, where: str) -> str:
    value = text.strip()
    try:
        return str(uuid.UUID(value))
    except ValueError as err:
        raise ValueError(
            f"{where} should hold a UUID but holds {value[:60]!r}: delete it and the store gets "
            "a new id (every cached task result for this store then runs again)"
        ) from err


def local_store_id(root: Path) -> str:
    """The id of the local store at ``root``, created (atomically) if it has none yet."""
    path = Path(root) / NAME
    with contextlib.suppress(FileNotFoundError):
        return _check(path.read_text(), str(path))
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    staged = path.parent / f".{NAME}.{os.getpid()}-{secrets.token_hex(6)}"
    try:
        with open(staged, "x") as handle:
            handle.write(f"{uuid.uuid4()}\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(staged, path)  # fails if another process linked its id first
    finally:
        staged.unlink(missing_ok=True)
    return _check(path.read_text(), str(path))


def remote_store_id(store: Store) -> str:
    """The id under the remote prefix, created with a conditional put if it has none yet."""
    import obstore
    from obstore.exceptions import AlreadyExistsError, NotSupportedError, PreconditionError

    remote = store.remote
    assert remote is not None
    with _lock:
        if remote.url in _remote_ids:
            return _remote_ids[remote.url]
    where = f"{remote.url}/{NAME}"
    data = remote.read(NAME)
    if data is None:
        fresh = f"{uuid.uuid4()}\n".encode()
        try:
            obstore.put(remote.client, NAME, fresh, mode="create")
        except (AlreadyExistsError, PreconditionError):
            pass  # another writer created it first: read theirs below
        except NotSupportedError:
            # A server without conditional puts: write, then take whatever is there now.
            obstore.put(remote.client, NAME, fresh)
        data = remote.read(NAME)
        if data is None:
            raise OSError(f"could not create {where}: check write access to the bucket")
    found = _check(data.decode("utf-8", "replace"), where)
    with _lock:
        _remote_ids[remote.url] = found
    return found


def store_id(store: Store) -> str:
    """The id of a store: the remote's if one is configured, else the local store's."""
    if store.remote is not None:
        return remote_store_id(store)
    return local_store_id(store.root)


__all__ = ["NAME", "local_store_id", "remote_store_id", "store_id"]
