"""`--post`: the review on the pull request with `gh`, a summary plus inline comments.

The review is posted for the pushed commit, so the branch must be committed and pushed
(otherwise its line numbers would point into code GitHub has not seen). Comments on lines the
pull request changed go inline; the others go into the summary.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from stargazer.review.diff import git
from stargazer.review.findings import Review
from stargazer.review.render import comment_markdown, comments_section, summary_markdown


def _remote(root: Path) -> str:
    remotes = git(root, "remote").split()
    if not remotes:
        raise ValueError(f"{root} has no git remote: push the branch and open a PR first")
    return "origin" if "origin" in remotes else remotes[0]


def check_pushed(review: Review, root: Path) -> None:
    """Refuse to post a review of code the pull request does not hold.

    Raises:
        ValueError: Uncommitted or untracked changes, or HEAD is not the pushed branch head.
    """
    dirty = git(root, "status", "--porcelain", "--untracked-files=no").strip()
    if dirty:
        raise ValueError(
            "the working tree has uncommitted changes; the review on the PR must match a "
            "pushed commit: commit, push (git push) and run `stargazer review --post` again"
        )
    if not review.branch:
        return  # detached (CI checks out a commit): --pr names the pull request
    remote = _remote(root)
    listed = git(root, "ls-remote", remote, f"refs/heads/{review.branch}").split()
    if not listed or listed[0] != review.head:
        raise ValueError(
            f"{review.branch} at {review.head[:9]} is not pushed to {remote}; run "
            f"`git push -u {remote} {review.branch}` first, so the PR holds the reviewed commit"
        )


def payload(review: Review) -> dict[str, object]:
    """The body of GitHub's create-review call: summary, inline comments, the commit."""
    inline = []
    elsewhere = []
    for comment in review.all_comments:
        if comment.path and comment.line in review.lines.get(comment.path, set()):
            inline.append(
                {
                    "path": comment.path,
                    "line": comment.line,
                    "side": "RIGHT",
                    "body": comment_markdown(comment, heading=False),
                }
            )
        else:
            elsewhere.append(comment)
    body = [
        summary_markdown(review),
        *comments_section("Comments outside the changed lines", elsewhere),
    ]
    if review.patches:
        body.append(
            "<details><summary>Every suggested patch (git apply)</summary>\n\n"
            f"```diff\n{review.combined_patch}```\n</details>"
        )
    body.append("*Posted by `stargazer review --post`.*")
    return {
        "commit_id": review.head,
        "event": "COMMENT",
        "body": "\n\n".join(body),
        "comments": inline,
    }


def post_review(review: Review, root: Path, pr: str | None = None) -> str:
    """Post the review to the branch's pull request; return what gh said (the review URL).

    Args:
        review: The review of the pushed HEAD.
        root: The repository.
        pr: The pull request number; by default the PR whose head is the current branch.

    Raises:
        ValueError: gh is missing, the branch is not pushed, or gh failed.
    """
    gh = shutil.which("gh")
    if gh is None:
        raise ValueError("gh (GitHub's CLI) is not installed: install it or drop --post")
    check_pushed(review, root)
    if pr is None:
        if not review.branch:
            raise ValueError("HEAD is detached: pass --pr NUMBER")
        found = subprocess.run(
            [gh, "pr", "view", review.branch, "--json", "number", "--jq", ".number"],
            cwd=root, capture_output=True, text=True, check=False,
        )  # fmt: skip
        pr = found.stdout.strip()
        if found.returncode != 0 or not pr.isdigit():
            raise ValueError(
                f"no pull request found for {review.branch} "
                f"({(found.stderr or found.stdout).strip()}); open one (gh pr create) or pass --pr"
            )
    if not pr.isdigit():
        raise ValueError(f"--pr {pr}: give the pull request's number")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(payload(review), handle)
    try:
        posted = subprocess.run(
            [gh, "api", "--method", "POST", f"repos/{{owner}}/{{repo}}/pulls/{pr}/reviews",
             "--input", handle.name],
            cwd=root, capture_output=True, text=True, check=False,
        )  # fmt: skip
    finally:
        Path(handle.name).unlink(missing_ok=True)
    if posted.returncode != 0:
        raise ValueError(f"gh api could not post the review: {posted.stderr.strip()}")
    try:
        return str(json.loads(posted.stdout).get("html_url", f"pull request #{pr}"))
    except (json.JSONDecodeError, AttributeError):
        return f"pull request #{pr}"
