"""Suggested patches: text edits by syntax position, unified diffs, and one patch per file.

A comment's fix is a function from a file's text to the fixed text, so the fixes of one file
compose: `combined_patches` applies them one after another, then tidies the result the way
promote-task does (ruff's import sorting and formatter, under the project's config), so the
patch it prints applies with `git apply` and leaves ruff clean.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from stargazer.errors import PromotionError
from stargazer.review.findings import Comment


@dataclass(frozen=True)
class Span:
    """Replace the text between two `ast` positions (1-based line, UTF-8 byte column)."""

    line: int
    col: int
    end_line: int
    end_col: int
    text: str


def _offset(starts: list[int], data: bytes, line: int, col: int) -> int:
    return min(starts[line - 1] + col, len(data))


def replace_spans(text: str, spans: list[Span]) -> str:
    """Apply non-overlapping span replacements (positions as `ast` gives them)."""
    data = text.encode()
    starts = [0]
    for index, byte in enumerate(data):
        if byte == 0x0A:
            starts.append(index + 1)
    ordered = sorted(spans, key=lambda s: (s.line, s.col), reverse=True)
    for span in ordered:
        start = _offset(starts, data, span.line, span.col)
        end = _offset(starts, data, span.end_line, span.end_col)
        data = data[:start] + span.text.encode() + data[end:]
    return data.decode()


def insert_lines(text: str, before: int, lines: list[str]) -> str:
    """Insert whole lines before the 1-based line `before` (past the end: append)."""
    kept = text.splitlines(keepends=True)
    index = max(0, min(before - 1, len(kept)))
    if kept and index == len(kept) and not kept[-1].endswith("\n"):
        kept[-1] += "\n"
    kept[index:index] = [f"{line}\n" if line else "\n" for line in lines]
    return "".join(kept)


def unified(path: str, old: str, new: str) -> str:
    """The unified diff `git apply` takes, with a/ and b/ prefixes."""
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )


def tidy(text: str, path: str, root: Path) -> str:
    """Sort imports and format a Python file as the project's ruff config says."""
    if not path.endswith(".py"):
        return text
    from stargazer.promote.tidy import ruff_tidy

    try:
        return ruff_tidy(text, root / path, root)
    except PromotionError:
        return text  # the fixed text does not parse: show the fix untidied


def attach_patches(comments: list[Comment], root: Path) -> dict[str, str]:
    """Fill in each comment's `patch`; return one combined patch per file.

    Args:
        comments: The review's comments; those with a `fix` get a diff.
        root: The workspace root the paths are relative to.

    Returns:
        File -> a unified diff applying all of that file's fixes together.
    """
    by_file: dict[str, list[Comment]] = defaultdict(list)
    for comment in comments:
        if comment.fix is not None:
            by_file[comment.fix.path].append(comment)
    combined: dict[str, str] = {}
    for path, fixed in sorted(by_file.items()):
        # ruff's fixes last: they re-run on the fixed text (an import another fix now uses
        # is no longer unused)
        fixed.sort(key=lambda c: c.check == "ruff")
        original = (root / path).read_text(encoding="utf-8")
        text = original
        for comment in fixed:
            assert comment.fix is not None
            single = comment.fix.apply(original)
            if single != original:
                comment.patch = unified(path, original, tidy(single, path, root))
            text = comment.fix.apply(text)
        if text != original:
            combined[path] = unified(path, original, tidy(text, path, root))
    return combined
