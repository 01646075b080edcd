"""Stage 6, applying the plan: write its files all or none.

Any failure restores the tree exactly as it was; `crash_point` lets the tests kill the
process between two writes, to prove the journal (`journal.py`) recovers.
"""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

from stargazer.promote.plan import FileChange, PromotionPlan

#: Environment variable naming the step at which promote-task kills itself (tests only).
CRASH_ENV = "STARGAZER_PROMOTE_CRASH_AT"


def crash_point(step: str) -> None:
    """Die here with SIGKILL when `STARGAZER_PROMOTE_CRASH_AT` names this step (tests only)."""
    if os.environ.get(CRASH_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def apply_plan(plan: PromotionPlan) -> None:
    """Write every file of the plan; on any failure restore the tree exactly as it was.

    Raises:
        OSError: A file could not be written (after restoring everything).
    """
    written: list[FileChange] = []
    created_dirs: list[Path] = []
    try:
        for number, change in enumerate(plan.changes, start=1):
            missing: list[Path] = []
            folder = change.path.parent
            while not folder.exists():
                missing.append(folder)
                folder = folder.parent
            for new_dir in reversed(missing):
                new_dir.mkdir()
                created_dirs.append(new_dir)
            atomic_write(change.path, change.new)
            written.append(change)
            crash_point(f"wrote-{number}")
    except BaseException:
        restore(written, created_dirs)
        raise


def restore(changes: list[FileChange], created_dirs: list[Path] | None = None) -> None:
    """Put files back as they were before `apply_plan` (delete the ones it created)."""
    for change in reversed(changes):
        if change.old is None:
            change.path.unlink(missing_ok=True)
        else:
            atomic_write(change.path, change.old)
    for folder in reversed(created_dirs or []):
        if folder.exists() and not any(folder.iterdir()):
            folder.rmdir()


def atomic_write(path: Path, text: str) -> None:
    """Replace `path` with `text` in one rename (keeping its mode); never half-written."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
