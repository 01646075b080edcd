"""Stargazer tasks: one module per tool, each a Flyte task in `gatk_env` or `scrna_env`.

Import tasks from here (`from stargazer.tasks import align`); the modules below are the
implementation. Keep `__all__` sorted.
"""

__all__: list[str] = []
