"""A length limit on the server's log lines: a huge argument echoed in an error costs a line."""

from __future__ import annotations

import logging

from stargazer.access import quote

#: The longest log line the server writes; longer ones (and their tracebacks) are cut.
MAX_LOG_CHARS = 2000


class _LogLimit(logging.Filter):
    """Cut log records (message and traceback) to `MAX_LOG_CHARS`.

    A huge argument echoed in an error (a 1 MB path) then costs a line, not megabytes.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        error = record.exc_info[1] if record.exc_info else None
        if len(message) <= MAX_LOG_CHARS and len(str(error or "")) <= MAX_LOG_CHARS:
            return True
        if error is not None:
            message += f" ({type(error).__name__}: {quote(str(error), MAX_LOG_CHARS)})"
        record.msg, record.args = quote(message, MAX_LOG_CHARS), None
        record.exc_info, record.exc_text = None, None
        return True


def limit_log_lines() -> None:
    """Put the length limit on every handler of the root logger (where the SDK logs)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _LogLimit) for f in handler.filters):
            handler.addFilter(_LogLimit())
