"""The SQLite query index: a cache of the manifests, rebuilt from them on demand.

Two tables: `assets` (one row per asset with its manifest) and `meta` (one row per metadata
key, values as text) so queries by any metadata key are one indexed lookup. Several
processes may write at once: SQLite serialises writers (WAL mode, a generous busy timeout).
Deleting `index.sqlite` loses nothing: `LocalStore` notices, rebuilds it from the manifests and
says so. An index that cannot be read raises `IndexUnreadable`; one that cannot be written (a
read-only store, a full disk) raises `IndexUnwritable`, and the store then answers queries from
an in-memory index built from the manifests (`Index.in_memory`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS assets (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL,
    manifest TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    id TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (id, key)
);
CREATE INDEX IF NOT EXISTS meta_key_value ON meta (key, value);
CREATE INDEX IF NOT EXISTS assets_kind ON assets (kind);
"""


def as_text(value: Any) -> str:
    """How a metadata value is stored and compared: booleans as true/false, rest as str."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class IndexUnreadable(OSError):
    """`index.sqlite` is not a readable SQLite database (damaged or truncated)."""


class IndexUnwritable(OSError):
    """`index.sqlite` cannot be written (read-only store, full disk, I/O error)."""


#: SQLite messages that mean "the file is damaged", as opposed to "cannot write here".
_DAMAGED = ("not a database", "malformed", "file is encrypted", "no such table")


def _classify(path: Path, err: sqlite3.Error) -> OSError:
    text = str(err)
    if isinstance(err, sqlite3.DatabaseError) and any(word in text for word in _DAMAGED):
        return IndexUnreadable(f"{path} cannot be read ({text})")
    return IndexUnwritable(f"{path} cannot be written ({text})")


class Index:
    """The query index of one store (`<root>/index.sqlite`, or `:memory:`)."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self._memory: sqlite3.Connection | None = None
        if str(path) == ":memory:":
            self._memory = sqlite3.connect(":memory:", isolation_level=None)
            self._memory.executescript(_SCHEMA)

    @classmethod
    def in_memory(cls, manifests: Iterable[Mapping[str, Any]]) -> Index:
        """A throw-away index of the given manifests (for a store that cannot be written)."""
        index = cls(":memory:")
        index.add(manifests)
        return index

    def exists(self) -> bool:
        """Whether the index file is there at all."""
        return self._memory is not None or Path(self.path).is_file()

    def _connect(self) -> sqlite3.Connection:
        if self._memory is not None:
            return self._memory
        try:
            connection = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            connection.execute("PRAGMA busy_timeout = 60000")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA foreign_keys = ON")
            connection.executescript(_SCHEMA)
        except sqlite3.Error as err:
            raise _classify(Path(self.path), err) from err
        return connection

    def _close(self, connection: sqlite3.Connection) -> None:
        if connection is not self._memory:
            connection.close()

    def add(
        self,
        manifests: Iterable[Mapping[str, Any]],
        replace_all: bool = False,
        remove: Iterable[str] = (),
    ) -> int:
        """Insert or replace manifests in one transaction; optionally drop rows first.

        Args:
            manifests: The manifests to index.
            replace_all: Drop every row first (a rebuild).
            remove: Ids whose rows are dropped first.

        Returns:
            The number of manifests written.
        """
        count = 0
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            if replace_all:
                connection.execute("DELETE FROM meta")
                connection.execute("DELETE FROM assets")
            for gone in remove:
                connection.execute("DELETE FROM meta WHERE id = ?", (gone,))
                connection.execute("DELETE FROM assets WHERE id = ?", (gone,))
            for manifest in manifests:
                asset = manifest["id"]
                connection.execute("DELETE FROM meta WHERE id = ?", (asset,))
                connection.execute(
                    "INSERT OR REPLACE INTO assets (id, kind, created_at, manifest) "
                    "VALUES (?, ?, ?, ?)",
                    (asset, manifest["kind"], manifest["created_at"], json.dumps(manifest)),
                )
                rows = [(asset, k, as_text(v)) for k, v in manifest["metadata"].items()]
                rows += [(asset, "tool", manifest["tool"])]
                rows += [(asset, "tool_version", manifest["tool_version"])]
                # Labels share the table under `label.<key>`: typed keys never hold a dot.
                rows += [(asset, f"label.{k}", v) for k, v in manifest.get("labels", {}).items()]
                connection.executemany(
                    "INSERT OR REPLACE INTO meta (id, key, value) VALUES (?, ?, ?)", rows
                )
                count += 1
            connection.execute("COMMIT")
        except BaseException as err:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            if isinstance(err, sqlite3.Error):
                raise _classify(Path(self.path), err) from err
            raise
        finally:
            self._close(connection)
        return count

    def query(
        self, kind: str | None = None, filters: Mapping[str, list[str]] | None = None
    ) -> list[dict[str, Any]]:
        """Manifests of the assets matching every filter (a list of values is any-of).

        Filters name metadata keys (plus `id`, `tool`, `tool_version`, `parent`, and
        `label.<key>` for a free-form label); values compare as text (see `as_text`).
        Results are ordered by creation time, then id.
        """
        sql = "SELECT manifest FROM assets WHERE 1 = 1"
        args: list[str] = []
        if kind is not None:
            sql += " AND kind = ?"
            args.append(kind)
        parents: list[str] = []
        for key, values in (filters or {}).items():
            marks = ", ".join("?" for _ in values)
            if key == "id":
                sql += f" AND id IN ({marks})"
            elif key == "parent":
                parents = list(values)
                continue
            else:
                sql += f" AND id IN (SELECT id FROM meta WHERE key = ? AND value IN ({marks}))"
                args.append(key)
            args.extend(values)
        sql += " ORDER BY created_at, id"
        connection = self._connect()
        try:
            rows = [json.loads(row[0]) for row in connection.execute(sql, args)]
        except sqlite3.Error as err:
            raise _classify(Path(self.path), err) from err
        finally:
            self._close(connection)
        if parents:
            rows = [row for row in rows if set(row["parents"]) & set(parents)]
        return rows

    def ids(self) -> set[str]:
        """Every indexed asset id."""
        connection = self._connect()
        try:
            return {row[0] for row in connection.execute("SELECT id FROM assets")}
        except sqlite3.Error as err:
            raise _classify(Path(self.path), err) from err
        finally:
            self._close(connection)
