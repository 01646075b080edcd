"""Issue 12's numbered cases, each tried as a user would: real tasks, real processes, real stores.

Every test runs tasks through `flyte.run` in local mode in fresh processes (as re-running a
notebook does) and reads ``calls.log`` to see which task bodies ran.
"""

from __future__ import annotations

import shutil
import textwrap

from tests.stargazer.caching.project import (
    HELPERS,
    HELPERS_SAME_SIZE,
    calls,
    python,
    run_task,
    write_project,
)


def test_1_a_wiped_and_refilled_store_is_a_miss(workspace, subprocess_env):
    write_project(workspace)
    first, text = run_task(workspace, subprocess_env, "gatk_step")
    assert text == "GENE\tCOUNT|ABC\t1|"
    shutil.rmtree(workspace / ".stargazer")  # `rm -rf .stargazer`; run.py re-adds input.tsv
    again, text = run_task(workspace, subprocess_env, "gatk_step")
    assert (again, text) == (first, "GENE\tCOUNT|ABC\t1|")
    assert calls(workspace) == ["gatk_step", "gatk_step"], "the result of a wiped store was reused"


def test_1_a_hit_whose_output_objects_are_gone_runs_again(workspace, subprocess_env):
    write_project(workspace)
    first, _ = run_task(workspace, subprocess_env, "gatk_step")
    objects = workspace / ".stargazer" / "objects"
    derived = [p for p in objects.rglob("*") if p.is_file()]
    views = workspace / ".stargazer" / "views"
    shutil.rmtree(views)
    for path in derived:
        path.chmod(0o644)
        path.unlink()
    again, text = run_task(workspace, subprocess_env, "gatk_step")
    assert again == first and text == "GENE\tCOUNT|ABC\t1|"
    assert calls(workspace) == ["gatk_step", "gatk_step"]


def test_2_scrna_env_is_scoped_by_its_store(workspace, subprocess_env):
    write_project(workspace)
    first, _ = run_task(workspace, subprocess_env, "scrna_step")
    other = {**subprocess_env, "STARGAZER_HOME": str(workspace / "second-store")}
    again, text = run_task(workspace, other, "scrna_step")
    assert calls(workspace) == ["scrna_step", "scrna_step"], "store B got store A's result"
    assert again == first and text == "GENE\tCOUNT|ABC\t1|"
    # and each store then hits its own entry
    run_task(workspace, other, "scrna_step")
    run_task(workspace, subprocess_env, "scrna_step")
    assert calls(workspace) == ["scrna_step", "scrna_step"]


NOTEBOOK = textwrap.dedent(
    """
    import marimo

    __generated_with = "0.25.2"
    app = marimo.App()

    with app.setup:
        import tempfile
        from pathlib import Path

        import flyte

        from stargazer.config import gatk_env
        from stargazer.types import Table

        SUFFIX = ""


    @app.function
    def shout(text):
        return text.upper() + SUFFIX


    @app.cell
    def _():
        @gatk_env.task
        async def notebook_step(table: Table) -> Table:
            with open("calls.log", "a") as log:
                log.write("notebook_step\\n")
            text = (await table.fetch()).read_text()
            out = Path(tempfile.mkdtemp()) / "notebook_step.tsv"
            out.write_text(shout(text))
            return await Table.create(out, parents=[table], tool="notebook", name="step")

        return (notebook_step,)


    @app.cell
    def _(notebook_step):
        flyte.init_from_config()
        table = Table.create_sync(Path("input.tsv"), tool="user", name="input")
        out = flyte.run(notebook_step, table=table).outputs()[0]
        print("OUTPUT", out.path.read_text().replace("\\n", "|"))
        return


    if __name__ == "__main__":
        app.run()
    """
)


def _run_notebook(workspace, env) -> str:
    result = python(workspace, env, "notebook.py")
    return next(x for x in result.stdout.splitlines() if x.startswith("OUTPUT ")).split(" ", 1)[1]


def test_3_a_notebook_task_whose_helper_cell_changed_is_a_miss(workspace, subprocess_env):
    write_project(workspace)
    notebook = workspace / "notebook.py"
    notebook.write_text(NOTEBOOK)
    assert _run_notebook(workspace, subprocess_env) == "GENE\tCOUNT|ABC\t1|"
    assert _run_notebook(workspace, subprocess_env) == "GENE\tCOUNT|ABC\t1|"
    assert calls(workspace) == ["notebook_step"]
    notebook.write_text(NOTEBOOK.replace("text.upper()", "text.lower()"))  # the helper cell
    assert _run_notebook(workspace, subprocess_env) == "gene\tcount|abc\t1|"
    notebook.write_text(NOTEBOOK.replace('SUFFIX = ""', 'SUFFIX = "x\\ty\\n"'))  # a constant
    assert _run_notebook(workspace, subprocess_env) == "GENE\tCOUNT|ABC\t1|x\ty|"
    assert calls(workspace) == ["notebook_step"] * 3


KERNEL = textwrap.dedent(
    """
    import sys
    import warnings
    from pathlib import Path

    import flyte

    from stargazer.types import Table

    from cachedemo import tasks  # the kernel imports the module ...

    # ... then the module is edited on disk (by the user, in their editor) ...
    Path("cachedemo/helpers.py").write_text(sys.argv[1])
    # ... and the kernel runs the task with the code it imported.
    flyte.init_from_config()
    table = Table.create_sync(Path("input.tsv"), tool="user", name="input")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = flyte.run(tasks.gatk_step, table=table).outputs()[0]
    print("OUTPUT", out.path.read_text().replace("\\n", "|"))
    print("WARNINGS", len([w for w in caught if "changed on disk" in str(w.message)]))
    """
)


def test_4_a_kernel_that_runs_code_edited_since_import_writes_nothing(workspace, subprocess_env):
    write_project(workspace)
    (workspace / "kernel.py").write_text(KERNEL)
    edited = "def transform(text):\n    return text.lower()  # v2\n"
    result = python(workspace, subprocess_env, "kernel.py", edited)
    assert "OUTPUT GENE\tCOUNT|ABC\t1|" in result.stdout, "the kernel runs what it imported"
    # a fresh process imports the new code: it must run it, not find the kernel's result
    _, text = run_task(workspace, subprocess_env, "gatk_step")
    assert text == "gene\tcount|abc\t1|"
    assert calls(workspace) == ["gatk_step", "gatk_step"]
    assert "WARNINGS 1" in result.stdout, "the kernel must say why it does not cache"


def test_5_a_helper_in_another_top_level_package_is_hashed(workspace, subprocess_env):
    write_project(workspace)
    assert run_task(workspace, subprocess_env, "gatk_step")[1] == "GENE\tCOUNT|ABC\t1|"
    (workspace / "otherpkg" / "util.py").write_text('def suffix():\n    return "x\\ty\\n"\n')
    assert run_task(workspace, subprocess_env, "gatk_step")[1] == "GENE\tCOUNT|ABC\t1|x\ty|"
    assert calls(workspace) == ["gatk_step", "gatk_step"]


def test_5_libraries_outside_any_hand_written_list_and_python_are_in_the_key(workspace):
    from stargazer.config import scrna_env
    from stargazer.workflows.scrna import scrna_clustering

    (policy,) = scrna_env.cache.policies
    parts = policy.describe(scrna_clustering.func)
    for library in ("pynndescent", "pandas", "h5py", "numba", "scipy", "scikit-learn"):
        assert f"tool:{library}" in parts, library
    assert parts["python"].split()[-1] == ".".join(map(str, __import__("sys").version_info[:3]))


RELOAD = textwrap.dedent(
    """
    import importlib
    import os
    import sys
    from pathlib import Path

    import flyte

    from stargazer.types import Table

    import cachedemo.helpers
    from cachedemo import tasks

    flyte.init_from_config()
    table = Table.create_sync(Path("input.tsv"), tool="user", name="input")
    print("FIRST", flyte.run(tasks.gatk_step, table=table).outputs()[0].path.read_text())
    helpers = Path("cachedemo/helpers.py")
    before = helpers.stat()
    helpers.write_text(sys.argv[1])  # same size ...
    os.utime(helpers, ns=(before.st_atime_ns, before.st_mtime_ns))  # ... and same mtime
    importlib.reload(cachedemo.helpers)  # what marimo's autoreload does
    importlib.reload(tasks)
    print("SECOND", flyte.run(tasks.gatk_step, table=table).outputs()[0].path.read_text())
    """
)


def test_6_an_edit_that_keeps_size_and_mtime_is_seen(workspace, subprocess_env):
    write_project(workspace)
    (workspace / "reload.py").write_text(RELOAD)
    assert len(HELPERS_SAME_SIZE) == len(HELPERS)
    result = python(workspace, subprocess_env, "reload.py", HELPERS_SAME_SIZE)
    assert "FIRST GENE\tCOUNT\nABC\t1\n" in result.stdout
    assert "SECOND gene\tcount\nabc\t1\n" in result.stdout, "the reloaded code must run"
    assert calls(workspace) == ["gatk_step", "gatk_step"]
    # and a fresh process with the edited file agrees (its key is the one just written)
    assert run_task(workspace, subprocess_env, "gatk_step")[1] == "gene\tcount|abc\t1|"
    assert calls(workspace) == ["gatk_step", "gatk_step"]


def test_7_the_same_inputs_in_two_stores_give_identical_derived_ids(workspace, monkeypatch):
    from stargazer.tasks.general.reference import prepare_reference
    from stargazer.testing import run
    from stargazer.testing.germline import make_demo
    from stargazer.types import Reference

    demo = make_demo(workspace / "data", seed=7)
    ids = []
    for store in ("one/.stargazer", "elsewhere/deeper/store"):
        monkeypatch.setenv("STARGAZER_HOME", str(workspace / store))
        reference = Reference.create_sync(demo.reference, build="demo", tool="user")
        prepared = run(prepare_reference, reference=reference)
        ids.append((prepared.id, dict(prepared.files), prepared.companion("dict").read_text()))
    assert ids[0] == ids[1]
    assert "\tUR:reference.fa\n" in ids[0][2]


def test_changing_threads_is_a_hit(workspace, subprocess_env):
    write_project(workspace)
    first = run_task(workspace, subprocess_env, "gatk_step", threads=2)
    assert run_task(workspace, subprocess_env, "gatk_step", threads=8) == first
    assert calls(workspace) == ["gatk_step"]


def test_changing_threads_of_the_germline_workflow_is_a_hit(workspace):
    import sqlite3

    from stargazer.testing import run
    from stargazer.testing.germline import make_demo, register_demo
    from stargazer.workflows import germline_variants

    assets = register_demo(make_demo(workspace / "data", seed=12, coverage=5))
    inputs = {"reference": assets["reference"], "samples": [*assets["reads"].values()]}
    first = run(germline_variants, threads=2, **inputs)
    again = run(germline_variants, threads=1, **inputs)
    assert again.id == first.id
    database = workspace / ".flyte" / "local-cache" / "cache.db"
    with sqlite3.connect(database) as connection:
        rows = connection.execute("select task_name, cache_hit from runs").fetchall()
    assert ("gatk_env.germline_variants", 1) in rows, rows
    assert [name for name, _ in rows].count("gatk_env.align") == 1, "align ran again"
