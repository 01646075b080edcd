"""Stargazer workflows: tasks that call tasks.

Import workflows from here (`from stargazer.workflows import germline_variants`). Keep
`__all__` sorted.
"""

__all__: list[str] = []
