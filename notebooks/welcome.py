import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")

with app.setup:
    import flyte
    import marimo as mo

    import stargazer
    from stargazer.utils import execution_context


@app.cell
def _():
    mo.md(r"""
    # Welcome to Stargazer

    Stargazer is a research workspace: typed data assets, pipelines written as
    [Flyte](https://www.union.ai/docs/v2/flyte/) tasks, and marimo notebooks that run them.
    This notebook checks that everything is wired up: it reads the Flyte config, runs a
    tiny task and tells you where it ran.

    **Next:** the tutorials in `tutorials/` are a reading sequence — `1_assets.py`,
    `2_tasks.py`, `3_workflows.py`, `4_execution.py` — then run a real pipeline in
    `workflows/variant_calling.py` or `workflows/scrna_pipeline.py`, and write your own task
    in a copy of `scratch/template.py` (`stargazer new scratch/NAME`).
    """)
    return


@app.cell
def _():
    flyte.init_from_config()
    context = execution_context()
    mo.callout(
        mo.md(f"**Stargazer {stargazer.__version__}** — tasks run {context.describe()}"),
        kind="info",
    )
    return (context,)


@app.cell
def _():
    # A task defined in a cell: it runs in `marimo edit`, `marimo run` and as a script.
    hello_env = flyte.TaskEnvironment(name="welcome")

    @hello_env.task
    async def greet(name: str) -> str:
        """Say hello from inside a Flyte task."""
        return f"Hello, {name}! This message came back from a Flyte task."

    return (greet,)


@app.cell
def _(context, greet):
    run = flyte.run(greet, name="researcher")
    greeting = run.outputs()[0]
    mo.vstack(
        [
            mo.md(f"### {greeting}"),
            mo.ui.table(
                [
                    {"setting": "stargazer version", "value": stargazer.__version__},
                    {"setting": "flyte version", "value": flyte.version()},
                    {"setting": "execution", "value": context.mode},
                    {"setting": "endpoint", "value": context.endpoint or "(this machine)"},
                    {"setting": "config file", "value": str(context.config_path)},
                    {"setting": "run history kept", "value": str(context.persistence)},
                ],
                selection=None,
            ),
        ]
    )
    return (greeting,)


@app.cell
def _(greeting):
    print(greeting)
    return


if __name__ == "__main__":
    app.run()
