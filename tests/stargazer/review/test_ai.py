"""The optional AI reviewer, against a stand-in provider API on loopback (ports 18200-18299)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.stargazer.promote_project import git_identity
from tests.stargazer.review.review_project import GAPS, line_of, promoted

from stargazer.cli.main import cli
from stargazer.review.ai import check_base_url

MODULE = "src/stargazer/tasks/general/gc.py"


class Provider(ThreadingHTTPServer):
    """Answers like Anthropic's /v1/messages or OpenAI's /chat/completions; records requests."""

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.requests: list[dict] = []
        self.reply_text = ""
        self.status = 200


class Handler(BaseHTTPRequestHandler):
    server: Provider

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        self.server.requests.append(
            {
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body,
            }
        )
        if self.server.status != 200:
            payload = {"error": {"type": "overloaded_error", "message": "try later"}}
        elif self.path == "/v1/messages":
            payload = {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": [{"type": "text", "text": self.server.reply_text}],
                "stop_reason": "end_turn",
                "usage": {"input_tokens": 10, "output_tokens": 10},
            }
        else:
            payload = {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": self.server.reply_text},
                        "finish_reason": "stop",
                    }
                ],
            }
        data = json.dumps(payload).encode()
        self.send_response(self.server.status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def provider() -> Iterator[Provider]:
    for port in range(18200, 18300):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                continue
        try:
            server = Provider(port)
        except OSError:
            continue
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield server
        server.shutdown()
        server.server_close()
        return
    pytest.fail("no free port in 18200-18299")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    git_identity(monkeypatch)
    for key in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "STARGAZER_REVIEW_MODEL"):
        monkeypatch.delenv(key, raising=False)
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    promoted(root, GAPS)
    return root


def review_json() -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["review", "--no-tests", "--format", "json"])
    return result.exit_code, json.loads(result.output)


def test_anthropic_gets_diff_findings_and_rules_and_its_comments_are_added(
    project: Path, provider: Provider, monkeypatch: pytest.MonkeyPatch
):
    line = line_of(project / MODULE, "for start in range(0, len(seq), window)")
    provider.reply_text = json.dumps(
        {"comments": [{"path": MODULE, "line": line, "body": "window=0 loops forever"}]}
    )
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{provider.server_port}")
    code, report = review_json()
    assert code == 1  # the AI's comments never block; the planted gaps do
    assert report["ai"]["status"] == "done"
    assert report["ai"]["provider"] == "anthropic"
    [comment] = report["ai"]["comments"]
    assert (comment["path"], comment["line"], comment["blocking"]) == (MODULE, line, False)
    assert comment["message"] == "AI reviewer (claude-sonnet-4-5): window=0 loops forever"
    [request] = provider.requests
    assert request["path"] == "/v1/messages"
    assert request["headers"]["x-api-key"] == "test-key"
    assert request["headers"]["anthropic-version"] == "2023-06-01"
    body = request["body"]
    assert "Never pass file paths" in body["system"]  # marimo.toml's [ai] rules
    user = body["messages"][0]["content"]
    assert "+async def gc_windows(fasta: str | Path, window: int = 20) -> Table:" in user
    assert f"- {MODULE}:{line_of(project / MODULE, 'async def gc_windows')} [docstring]" in user


def test_openai_shape_and_a_reply_that_is_not_json(
    project: Path, provider: Provider, monkeypatch: pytest.MonkeyPatch
):
    provider.reply_text = "Looks fine apart from the findings."
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://localhost:{provider.server_port}")
    monkeypatch.setenv("STARGAZER_REVIEW_MODEL", "gpt-test")
    result = CliRunner().invoke(cli, ["review", "--no-tests"])
    assert "AI reviewer (openai, gpt-test): 1 comment(s)." in result.output
    assert "AI reviewer (gpt-test): Looks fine apart from the findings." in result.output
    [request] = provider.requests
    assert request["path"] == "/chat/completions"
    assert request["headers"]["authorization"] == "Bearer sk-test"
    assert [m["role"] for m in request["body"]["messages"]] == ["system", "user"]


def test_provider_errors_are_reported_not_fatal(
    project: Path, provider: Provider, monkeypatch: pytest.MonkeyPatch
):
    provider.status = 529
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{provider.server_port}")
    code, report = review_json()
    assert code == 1 and report["ai"]["status"] == "failed"
    assert report["ai"]["note"].startswith("anthropic answered HTTP 529")


def test_without_a_key_the_review_says_it_skipped(project: Path):
    _, report = review_json()
    assert report["ai"] == {
        "status": "skipped",
        "note": "no ANTHROPIC_API_KEY or OPENAI_API_KEY set; only the deterministic checks ran",
        "provider": "",
        "model": "",
        "comments": [],
    }


def test_the_key_never_goes_over_plain_http_to_another_host():
    with pytest.raises(ValueError, match="refusing to send an API key over plain http"):
        check_base_url("http://api.example.invalid")
    assert check_base_url("https://proxy.example/anthropic/") == "https://proxy.example/anthropic"
    assert check_base_url("http://[::1]:18200") == "http://[::1]:18200"
