"""The CLI's error class, and the one place the SDK's typed errors become CLI errors.

Every command reports a failure by raising `CLIError` (a `click.ClickException`: one line
`Error: ...` on stderr, exit status 1). Code shared with other front ends raises typed errors
(`stargazer.errors`); a command wraps the call in `reported()` to turn them into `CLIError`:

    with reported():
        asset = Asset.load(asset_id)   # AssetNotFoundError -> "Error: no asset ... in ..."
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click


class CLIError(click.ClickException):
    """A command failed; the message names what, and the fix. Exit status 1."""


def reportable() -> tuple[type[Exception], ...]:
    """The SDK's typed errors whose message is written for people."""
    from stargazer.errors import (
        AssetNotFoundError,
        DamagedStoreError,
        InputError,
        InvalidAssetError,
        PromotionError,
    )

    return (AssetNotFoundError, InputError, InvalidAssetError, DamagedStoreError, PromotionError)


@contextlib.contextmanager
def reported(*also: type[Exception]) -> Iterator[None]:
    """Turn the SDK's typed errors (and the types in `also`) into `CLIError` with their message.

    Args:
        *also: More exception types to report as they are (e.g. `OSError`, `ValueError`).
    """
    try:
        yield
    except click.ClickException:
        raise
    except (*reportable(), *also) as err:
        raise CLIError(str(err)) from err
