"""The review as markdown (a terminal, a PR) or JSON (tools)."""

from __future__ import annotations

import json

from stargazer.review.findings import Comment, Review


def _fence(text: str, language: str = "") -> str:
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}{language}\n{text.rstrip()}\n{ticks}"


def comment_markdown(comment: Comment, heading: bool = True) -> str:
    """One comment: where, what, why and the suggested patch."""
    kind = "blocking" if comment.blocking else "note"
    parts = []
    if heading:
        where = f"`{comment.where}`" if comment.path else "(general)"
        parts.append(f"#### {where} · {comment.check} · {kind}")
    else:
        parts.append(f"**{comment.check}** · {kind}")
    parts.append(comment.message)
    if comment.why:
        parts.append(f"*Why:* {comment.why}")
    if comment.patch:
        parts.append("Suggested patch:\n\n" + _fence(comment.patch, "diff"))
    return "\n\n".join(parts)


def headline(review: Review) -> str:
    """`N blocking, M notes: ...` in one line."""
    blocking = len(review.blocking)
    notes = len(review.all_comments) - blocking
    verdict = "changes needed" if blocking else "conventions met"
    return f"{blocking} blocking, {notes} note(s): {verdict}"


def summary_markdown(review: Review) -> str:
    """The head of the review: what was compared and the table of conventions."""
    branch = review.branch or "HEAD"
    lines = [
        f"## stargazer review: {headline(review)}",
        "",
        f"`{branch}` ({review.head[:9]}) against `{review.base}` (merge base "
        f"{review.base_commit[:9]}): {len(review.files)} file(s) changed.",
        "",
        "| convention | result |",
        "|---|---|",
    ]
    lines += [f"| {label} | {result} |" for label, result in review.checks.items()]
    ai = review.ai
    if ai.status == "skipped":
        lines += ["", f"AI reviewer: skipped ({ai.note})."]
    elif ai.status == "failed":
        lines += ["", f"AI reviewer ({ai.provider}, {ai.model}): failed, {ai.note}."]
    else:
        lines += ["", f"AI reviewer ({ai.provider}, {ai.model}): {len(ai.comments)} comment(s)."]
    return "\n".join(lines)


def comments_section(heading: str, comments: list[Comment]) -> list[str]:
    """A `### heading` and each comment as markdown; nothing when there are no comments."""
    if not comments:
        return []
    return [f"### {heading}", *(comment_markdown(c) for c in comments)]


def render_markdown(review: Review) -> str:
    """The whole review as markdown."""
    parts = [summary_markdown(review), *comments_section("Comments", review.all_comments)]
    if review.patches:
        parts.append(
            "### Every suggested patch\n\nApply them all with `git apply` (save this block as "
            "a file), or `stargazer review --format json` and its `patches`:\n\n"
            + _fence(review.combined_patch, "diff")
        )
    return "\n\n".join(parts) + "\n"


def render_json(review: Review) -> str:
    """The review as JSON: comments, per-file patches, the summary and the AI outcome."""
    data = {
        "base": review.base,
        "base_commit": review.base_commit,
        "head": review.head,
        "branch": review.branch,
        "files": review.files,
        "blocking": len(review.blocking),
        "exit_code": review.exit_code,
        "checks": review.checks,
        "comments": [c.as_dict() for c in review.comments],
        "patches": review.patches,
        "ai": {
            "status": review.ai.status,
            "note": review.ai.note,
            "provider": review.ai.provider,
            "model": review.ai.model,
            "comments": [c.as_dict() for c in review.ai.comments],
        },
    }
    return json.dumps(data, indent=2) + "\n"
