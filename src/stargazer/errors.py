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


class AssetNotFoundError(KeyError):
    """No asset has this id in the store that was searched.

    A `KeyError` so that code written against the old bare `KeyError` keeps working; catch
    this class. The message names the id and the store, and says how to list what is there.
    """

    def __str__(self) -> str:
        """The message as given (`KeyError` would wrap it in quotes)."""
        return str(self.args[0]) if self.args else ""


class InputError(ValueError):
    """An input for a task or workflow was refused before anything ran.

    Raised by `stargazer.invoke` for every front end (`stargazer run`, the MCP tools): an
    unknown or missing parameter, a value of the wrong type, an asset reference that matches
    nothing (or, for one asset, several). The message names the task, the parameter, the value
    and the fix.
    """
