"""Hosted run mode: every notebook, read-only with its code shown, as a Flyte app.

`marimo_env` is a Flyte `AppEnvironment`. Flyte's app runtime (`fserve`) unpacks the code
bundle, which `include` makes carry the workspace's `notebooks/`, and then runs `args`:
`stargazer note --mode run`, marimo's ASGI app over a dynamic directory, so every notebook
under `notebooks/` is listed at `/` and served at `/apps/<name>/` (a notebook added to the
bundle needs no change here). The image installs `stargazer` as a normal package (the
packaging boundary): tasks promoted into `stargazer.tasks` work in hosted notebooks;
notebook-only tasks do not until promoted.

Deploy from the root of a checkout (Flyte authenticates visitors, so marimo's own token is
off):

    flyte deploy --root-dir . src/stargazer/app.py marimo_env
"""

from __future__ import annotations

import flyte
import flyte.app

from stargazer.config import STARGAZER_IMAGE

#: The port marimo listens on inside the app container.
PORT = 8080

#: The notebooks folder, relative to this file (Flyte resolves `include` from here).
NOTEBOOKS = "../../notebooks"

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
    image=STARGAZER_IMAGE,
    include=(NOTEBOOKS,),
    args=RUN_MODE_ARGS,
    port=PORT,
    resources=flyte.Resources(cpu=2, memory="4Gi"),
    requires_auth=True,
)

__all__ = ["PORT", "RUN_MODE_ARGS", "marimo_env"]
