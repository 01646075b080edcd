"""Hosted run mode: every notebook, read-only with its code shown, as a Flyte app.

`marimo_env` is a Flyte `AppEnvironment`. Its image (`APP_IMAGE`) is the workspace image
(`stargazer.config.STARGAZER_IMAGE`: the pinned dependencies and this workspace's own wheel,
a normal install, the packaging boundary) with the workspace's `notebooks/` copied in. Flyte's
app runtime (`fserve`) unpacks the code bundle and runs `args`: `stargazer note --mode run`,
marimo's ASGI app over a dynamic directory, so every notebook under `notebooks/` is listed at
`/` and served at `/apps/<name>/`. Tasks promoted into `stargazer.tasks` work in hosted
notebooks; notebook-only tasks do not until promoted.

Deploy from a checkout with `src/` as the root directory, the same root as the task
environments (so modules are named `stargazer.*`); Flyte authenticates visitors, so marimo's
own token is off:

    flyte deploy --root-dir src src/stargazer/app.py marimo_env
"""

from __future__ import annotations

import flyte
import flyte.app

from stargazer.config import STARGAZER_IMAGE, WORKSPACE

#: The port marimo listens on inside the app container.
PORT = 8080

#: The workspace's notebooks (a checkout's; absent in a wheel install, where nothing is built).
NOTEBOOKS = WORKSPACE / "notebooks"

#: The workspace image plus the notebooks, at ./notebooks in the app's working directory.
APP_IMAGE = (
    STARGAZER_IMAGE.with_source_folder(NOTEBOOKS, "./notebooks")
    if NOTEBOOKS.is_dir()
    else STARGAZER_IMAGE
)

#: The server command: all notebooks in run mode, code included, on every interface.
RUN_MODE_ARGS = [
    "stargazer",
    "note",
    "notebooks",
    "--mode",
    "run",
    "--host",
    "0.0.0.0",
    "--port",
    str(PORT),
    "--no-token",  # the Flyte app is behind the platform's authentication (requires_auth)
    "--accept-open-network",
]

marimo_env = flyte.app.AppEnvironment(
    name="stargazer-notebooks",
    description="Stargazer notebooks, read-only with code shown (marimo run mode).",
    image=APP_IMAGE,
    args=RUN_MODE_ARGS,
    port=PORT,
    resources=flyte.Resources(cpu=2, memory="4Gi"),
    requires_auth=True,
)

__all__ = ["APP_IMAGE", "NOTEBOOKS", "PORT", "RUN_MODE_ARGS", "marimo_env"]
