import importlib
import shutil
import subprocess
import sys
import textwrap
import types

from stargazer.caching import SourceTreePolicy, changed_sources, source_files, store_identity

HELPERS = "def double(x):\n    return 2 * x\n"

TASKS = textwrap.dedent(
    """
    import flyte

    from cachecheck.helpers import double
    from stargazer.caching import SourceTreePolicy

    tracked = flyte.TaskEnvironment(
        name="tracked", cache=flyte.Cache("auto", policies=[SourceTreePolicy(tools=("pysam",))])
    )
    default = flyte.TaskEnvironment(name="default", cache="auto")


    @tracked.task
    async def tracked_double(x: int) -> int:
        with open("calls.log", "a") as log:
            log.write("tracked\\n")
        return double(x)


    @default.task
    async def default_double(x: int) -> int:
        with open("calls.log", "a") as log:
            log.write("default\\n")
        return double(x)
    """
)

SCRIPT = textwrap.dedent(
    """
    import flyte

    from cachecheck.tasks import default_double, tracked_double

    flyte.init_from_config()
    print(flyte.run(tracked_double, x=5).outputs()[0], flyte.run(default_double, x=5).outputs()[0])
    """
)


def _package(root, helpers=HELPERS):
    package = root / "cachecheck"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text(helpers)
    (package / "tasks.py").write_text(TASKS)
    return package


def _run(workspace, env):
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=workspace, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.split()[-2:]


def test_a_changed_helper_is_a_miss_where_flytes_default_would_hit(workspace, subprocess_env):
    _package(workspace)
    env = {**subprocess_env, "PYTHONPATH": str(workspace)}
    assert _run(workspace, env) == ["10", "10"]
    assert _run(workspace, env) == ["10", "10"]
    assert (workspace / "calls.log").read_text().split() == ["tracked", "default"]
    _package(workspace, helpers="def double(x):\n    return x + x + 1\n")
    outputs = _run(workspace, env)
    calls = (workspace / "calls.log").read_text().split()
    assert outputs[0] == "11", "the changed helper must re-run the tracked task"
    assert calls.count("tracked") == 2
    assert outputs[1] == "10" and calls.count("default") == 1, "flyte's default policy is stale"


def test_version_follows_imported_sources_tools_and_store(tmp_path, monkeypatch):
    _package(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    files = source_files("cachecheck.tasks", ["cachecheck"])
    # every module of the project it imports, and the stargazer modules (stargazer.caching)
    assert {"cachecheck.helpers", "cachecheck.tasks", "stargazer.caching"} <= set(files)
    assert not any(name.startswith(("flyte", "pysam")) for name in files)

    policy = SourceTreePolicy(tools=("pysam",), scope=lambda: "store-a")
    params = types.SimpleNamespace(func=_tracked())
    first = policy.get_version("", params)
    assert policy.get_version("", params) == first
    assert (
        SourceTreePolicy(tools=("pysam",), scope=lambda: "store-b").get_version("", params) != first
    )
    assert (
        SourceTreePolicy(tools=("pybwa",), scope=lambda: "store-a").get_version("", params) != first
    )
    (tmp_path / "cachecheck" / "helpers.py").write_text("def double(x):\n    return x * 2\n")
    # the process still runs the code it imported: same version, but the edit is noticed
    assert policy.get_version("", params) == first
    assert "cachecheck.helpers" in changed_sources()
    importlib.reload(importlib.import_module("cachecheck.helpers"))
    assert policy.get_version("", params) != first
    assert "cachecheck.helpers" not in changed_sources()
    assert "tool:pysam" in policy.describe(params.func)


def _tracked():
    import importlib

    module = importlib.import_module("cachecheck.tasks")
    return module.tracked_double.func


def test_store_identity_follows_the_store(monkeypatch, tmp_path):
    monkeypatch.delenv("STARGAZER_STORE", raising=False)
    monkeypatch.setenv("STARGAZER_HOME", str(tmp_path / "a"))
    first = store_identity()
    assert first == f"store:{(tmp_path / 'a' / 'store-id').read_text().strip()}"
    assert store_identity() == first
    monkeypatch.setenv("STARGAZER_HOME", str(tmp_path / "b"))
    assert store_identity() != first
    monkeypatch.setenv("STARGAZER_HOME", str(tmp_path / "a"))
    shutil.rmtree(tmp_path / "a")  # a wiped store at the same path is another store
    assert store_identity() != first
