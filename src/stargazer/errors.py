"""Exceptions that callers catch. Everything else uses built-in exception types."""

from __future__ import annotations


class InvalidAssetError(ValueError):
    """A file was refused on the way into the store; nothing was registered.

    The message names the file, the problem and the fix.
    """


class PromotionError(ValueError):
    """`stargazer promote-task` refused; nothing was changed.

    The message names the notebook or module, the problem and the fix.
    """


class DamagedStoreError(OSError):
    """The store holds something it must not use: a corrupted object, a symlink out of it.

    The message names the path, the problem and the repair (usually: re-add the original file,
    or replace a symlinked folder with a real one).
    """


class StoreWarning(UserWarning):
    """Something in the store was skipped or repaired; the store goes on working."""
