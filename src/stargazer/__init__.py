"""Stargazer: typed bioinformatics assets, Flyte v2 tasks and marimo notebooks."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("stargazer")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
