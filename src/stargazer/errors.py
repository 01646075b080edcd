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
