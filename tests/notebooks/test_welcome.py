import subprocess
import sys

from stargazer.testing import checkout_root

REPO_ROOT = checkout_root()


def test_welcome_runs_a_flyte_task_and_reports_context(workspace, subprocess_env):
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "notebooks" / "welcome.py")],
        cwd=workspace,
        env=subprocess_env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Hello, researcher! This message came back from a Flyte task." in result.stdout
