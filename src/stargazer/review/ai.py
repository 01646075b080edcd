"""The optional AI reviewer: a model reads the diff and the findings, under marimo.toml's rules.

It runs only when `ANTHROPIC_API_KEY` or `OPENAI_API_KEY` is set (Anthropic first), talks to
the provider's HTTP API with the standard library, and adds non-blocking comments. The base
URL can be moved with `ANTHROPIC_BASE_URL` / `OPENAI_BASE_URL` (a proxy, or a stand-in in
tests); the key is only ever sent over https, or plain http to a loopback address. The model
is `STARGAZER_REVIEW_MODEL` or the provider's default below.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from stargazer.review.findings import AiOutcome, Comment

#: Longest diff sent to the model, in characters (the rest is cut, and the model told so).
MAX_DIFF = 60_000
TIMEOUT = 120.0


@dataclass(frozen=True)
class Provider:
    """A model API: its key and base-URL variables, default base URL and default model."""

    name: str
    key_env: str
    url_env: str
    default_url: str
    default_model: str


PROVIDERS = (
    Provider(
        "anthropic", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "https://api.anthropic.com",
        "claude-sonnet-4-5",
    ),
    Provider(
        "openai", "OPENAI_API_KEY", "OPENAI_BASE_URL", "https://api.openai.com/v1", "gpt-4.1"
    ),
)  # fmt: skip

INSTRUCTIONS = """You review a pull request to Stargazer, a computational biology workspace.
A deterministic reviewer has already checked docstrings, typed asset inputs and outputs,
lineage (parents, tool, tool_version), module layout, tests, coverage, ruff and the boundary
rule; its findings are listed below. Add only what it cannot see: wrong science, a misleading
name or docstring, a test that checks too little, a resource request that does not fit. Do not
repeat its findings. Reply with JSON only, no prose around it:
{"comments": [{"path": "src/...", "line": 12, "body": "what and why"}]}
Use paths and new-side line numbers from the diff; at most 8 comments; [] if nothing to add.

The project's conventions (the same rules the notebook chat panel follows):
"""


def marimo_rules(root: Path) -> str:
    """marimo.toml's `[ai] rules`, or "" when there are none."""
    path = root / "marimo.toml"
    if not path.is_file():
        return ""
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError:
        return ""
    rules = config.get("ai", {}).get("rules", "")
    return rules if isinstance(rules, str) else ""


def _configured() -> tuple[Provider, str] | None:
    for provider in PROVIDERS:
        key = os.environ.get(provider.key_env, "").strip()
        if key:
            return provider, key
    return None


def check_base_url(url: str) -> str:
    """The base URL, if the key may be sent to it: https, or http to a loopback host.

    Raises:
        ValueError: Another scheme, or plain http to a non-loopback host.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return url.rstrip("/")
    if parts.scheme == "http" and host:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if loopback:
            return url.rstrip("/")
        raise ValueError(f"{url}: refusing to send an API key over plain http to {host}; use https")
    raise ValueError(f"{url}: not an http(s) URL")


def _post(url: str, headers: dict[str, str], payload: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"content-type": "application/json", **headers},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        reply = json.loads(response.read().decode())
    if not isinstance(reply, dict):
        raise ValueError(f"{url} answered with JSON that is not an object: {reply!r:.200}")
    return reply


def _ask(provider: Provider, key: str, base: str, model: str, system: str, user: str) -> str:
    if provider.name == "anthropic":
        reply = _post(
            f"{base}/v1/messages",
            {"x-api-key": key, "anthropic-version": "2023-06-01"},
            {
                "model": model,
                "max_tokens": 2048,
                "system": system,
                "messages": [{"role": "user", "content": user}],
            },
        )
        return "".join(
            block.get("text", "")
            for block in reply.get("content", [])
            if block.get("type") == "text"
        )
    reply = _post(
        f"{base}/chat/completions",
        {"authorization": f"Bearer {key}"},
        {
            "model": model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        },
    )
    return reply["choices"][0]["message"]["content"] or ""


def prompt(diff: str, findings: list[Comment], rules: str) -> tuple[str, str]:
    """The system and user messages: instructions + rules; findings + diff."""
    system = INSTRUCTIONS + (rules or "(marimo.toml has no [ai] rules)")
    listed = "\n".join(f"- {c.where} [{c.check}] {c.message}" for c in findings) or "- none"
    shown = diff if len(diff) <= MAX_DIFF else diff[:MAX_DIFF] + "\n[... diff cut here ...]\n"
    user = f"Deterministic findings:\n{listed}\n\nThe diff:\n```diff\n{shown}```\n"
    return system, user


def parse_comments(text: str, files: list[str], model: str) -> list[Comment]:
    """The model's comments; anything that is not the asked-for JSON becomes one comment."""
    match = re.search(r"\{.*\}", text, re.DOTALL)
    label = f"AI reviewer ({model})"
    try:
        items = json.loads(match.group(0))["comments"] if match else None
    except (json.JSONDecodeError, KeyError, TypeError):
        items = None
    if not isinstance(items, list):
        body = text.strip()
        return [Comment("", 0, "ai", f"{label}: {body}", blocking=False)] if body else []
    comments = []
    for item in items:
        if not isinstance(item, dict) or not str(item.get("body", "")).strip():
            continue
        path = str(item.get("path", ""))
        line = item.get("line")
        if path not in files or not isinstance(line, int) or line < 1:
            path, line = "", 0
        comments.append(
            Comment(path, line, "ai", f"{label}: {str(item['body']).strip()}", blocking=False)
        )
    return comments


def ai_review(root: Path, diff: str, findings: list[Comment], files: list[str]) -> AiOutcome:
    """Ask the configured model for comments; say why when it was skipped or failed."""
    configured = _configured()
    if configured is None:
        return AiOutcome(
            "skipped",
            "no ANTHROPIC_API_KEY or OPENAI_API_KEY set; only the deterministic checks ran",
        )
    provider, key = configured
    model = os.environ.get("STARGAZER_REVIEW_MODEL", "").strip() or provider.default_model
    outcome = AiOutcome("failed", provider=provider.name, model=model)
    try:
        base = check_base_url(os.environ.get(provider.url_env, "").strip() or provider.default_url)
        system, user = prompt(diff, findings, marimo_rules(root))
        text = _ask(provider, key, base, model, system, user)
    except ValueError as err:
        outcome.note = str(err)
        return outcome
    except urllib.error.HTTPError as err:
        detail = err.read().decode(errors="replace")[:300]
        outcome.note = f"{provider.name} answered HTTP {err.code}: {detail}"
        return outcome
    except (urllib.error.URLError, TimeoutError, OSError, KeyError, IndexError) as err:
        outcome.note = f"could not reach {provider.name}: {err}"
        return outcome
    outcome.status = "done"
    outcome.comments = parse_comments(text, files, model)
    return outcome
