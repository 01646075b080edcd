"""Small public helpers for notebooks and tasks."""

from stargazer.utils.execution import ExecutionContext, execution_context

__all__ = ["ExecutionContext", "execution_context"]
