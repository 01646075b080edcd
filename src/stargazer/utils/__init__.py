"""Small public helpers for notebooks and tasks."""

from stargazer.utils.execution import ExecutionContext, execution_context
from stargazer.utils.history import TaskRun, history_database, task_history
from stargazer.utils.pickers import asset_label, label_of, labels_of, picker_options
from stargazer.utils.targets import RunTarget, run_targets

__all__ = [
    "ExecutionContext",
    "RunTarget",
    "TaskRun",
    "asset_label",
    "execution_context",
    "history_database",
    "label_of",
    "labels_of",
    "picker_options",
    "run_targets",
    "task_history",
]
