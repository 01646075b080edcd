"""Stargazer workflows: tasks that call tasks.

Import workflows from here (`from stargazer.workflows import germline_variants`). Keep
`__all__` sorted.
"""

from stargazer.workflows.germline import germline_variants
from stargazer.workflows.scrna import scrna_clustering

__all__ = ["germline_variants", "scrna_clustering"]
