"""Shared fixtures: the `workspace`, `subprocess_env` and `s3_server` of stargazer.testing.

The fixtures live in the library (`stargazer.testing.fixtures`) so generated tests and
promoted tasks' authors get the same ones; test data builders are in `stargazer.testing`.
"""

pytest_plugins = ["stargazer.testing.fixtures"]
