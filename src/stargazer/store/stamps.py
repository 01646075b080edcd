"""Stamps: a cheap check that an object still holds the bytes its digest names.

Hashing a 100 GB BAM on every fetch is out of the question, and a hardlinked object shares its
inode with the user's file (and with every view), so a write to any of them changes the object.
When an object's bytes have been hashed (on ingest, on download, by `verify`) its size, mtime
and inode number are recorded here; a later fetch compares them with `stat` and re-hashes the
object only when they differ. Any ordinary write changes the mtime; `stargazer assets verify`
re-hashes everything regardless.

`stamps.sqlite` is a cache: if it is missing or unreadable it is started afresh, which only
costs one full hash per object on its next use.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

_SCHEMA = "CREATE TABLE IF NOT EXISTS stamps (digest TEXT PRIMARY KEY, stamp TEXT NOT NULL)"


def stamp_of(stat: os.stat_result) -> str:
    """What a stamp records of a file's status."""
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}"


def _damaged(err: sqlite3.DatabaseError) -> bool:
    return any(word in str(err) for word in ("not a database", "malformed"))


class Stamps:
    """The stamps of one store (`<root>/stamps.sqlite`)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        connection.execute("PRAGMA busy_timeout = 60000")
        connection.execute(_SCHEMA)
        return connection

    def _run(self, sql: str, args: tuple[str, ...]) -> list[tuple[str]]:
        try:
            connection = self._connect()
        except sqlite3.DatabaseError as err:
            if not self.path.parent.is_dir() or not _damaged(err):
                return []  # absent store, read-only or busy: fall back to a full hash
            try:
                self.path.unlink(missing_ok=True)  # damaged: a cache, start afresh
                connection = self._connect()
            except (OSError, sqlite3.DatabaseError):
                return []  # read-only or full: every check falls back to a full hash
        try:
            return list(connection.execute(sql, args))
        except sqlite3.DatabaseError:
            return []
        finally:
            connection.close()

    def matches(self, digest: str, path: Path) -> bool:
        """Whether the object at `path` is unchanged since its bytes were last hashed."""
        try:
            current = stamp_of(path.stat())
        except OSError:
            return False
        if not self.path.is_file():
            return False
        rows = self._run("SELECT stamp FROM stamps WHERE digest = ?", (digest,))
        return bool(rows) and rows[0][0] == current

    def record(self, digest: str, path: Path) -> None:
        """Remember the object's current status after its bytes were hashed and found good."""
        try:
            current = stamp_of(path.stat())
        except OSError:
            return
        self._run("INSERT OR REPLACE INTO stamps (digest, stamp) VALUES (?, ?)", (digest, current))
