# Stargazer images, pip only.
#
#   docker build --target note -t stargazer:note .
#   docker run -p 8080:8080 stargazer:note            # open the URL from `docker logs`
#
# Stages:
#   base  the stargazer wheel (src/stargazer only) installed as a normal, non-editable package
#         into /home/stargazer/venv with its dependencies, by the same scripts/package.sh steps that
#         `make wheel-check` runs in CI; a non-root user `stargazer`.
#   note  base + the notebooks, the Flyte config and marimo.toml (as the user's marimo config:
#         AI rules and the `stargazer mcp` server); serves `marimo edit` on 0.0.0.0:8080.
#   dev   note + what the dev hat needs (git, make, Chromium for the browser tests, Debian's bwa
#         for the germline comparison); .devcontainer/devcontainer.json builds this stage.
#
# `make image-check` builds note and dev and checks them (health, token, user, install kind,
# a notebook run, the devcontainer's lifecycle); see docs/containers.md.
#
# Access token: on by default. `stargazer note` makes a random token and prints the URL with
# it (`docker logs <container>`). No token only when asked, on a trusted network:
#   docker run -p 8080:8080 stargazer:note --no-token --accept-open-network notebooks
# Read-only run mode (every notebook, code shown), instead of the editor:
#   docker run -p 8080:8080 stargazer:note --mode run notebooks
#   docker run -p 8080:8080 --entrypoint marimo stargazer:note \
#       run notebooks/welcome.py --include-code --headless --host 0.0.0.0 --port 8080
# Tasks run in the container (.flyte/config.yaml: local). Mount a volume on
# /home/stargazer/workspace/.stargazer to keep the asset store across containers.

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/home/stargazer/venv \
    PATH=/home/stargazer/venv/bin:$PATH

# The environment lives in the user's home: the devcontainer adds an editable install over the
# wheel, and when it maps the user to the host's UID it re-owns the home folder, venv included.
RUN useradd --create-home --no-log-init --uid 1000 --shell /bin/bash stargazer \
    && install -d -o stargazer -g stargazer /build /home/stargazer/venv \
        /home/stargazer/workspace /home/stargazer/workspace/.stargazer
USER 1000:1000

WORKDIR /build
COPY --chown=stargazer:stargazer pyproject.toml README.md ./
COPY --chown=stargazer:stargazer src/ src/
COPY --chown=stargazer:stargazer scripts/package.sh scripts/package.sh
RUN scripts/package.sh build /tmp/dist \
    && scripts/package.sh install /tmp/dist /home/stargazer/venv \
    && rm -rf /tmp/dist /build/*
# Compile scanpy's and UMAP's numba code into the image (next to the installed packages), so the
# first scRNA run in a container does not spend a minute compiling.
RUN python -m stargazer.tasks.scrna.warm_up

WORKDIR /home/stargazer/workspace

FROM base AS note

COPY --chown=stargazer:stargazer notebooks/ notebooks/
COPY --chown=stargazer:stargazer .flyte/config.yaml .flyte/config.yaml
COPY --chown=stargazer:stargazer marimo.toml /home/stargazer/.config/marimo/marimo.toml

EXPOSE 8080

# marimo's /health answers without the access token.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=4)"]

ENTRYPOINT ["stargazer", "note", "--host", "0.0.0.0", "--port", "8080"]
CMD ["notebooks"]

FROM note AS dev

# The dev hat's tools: git and make (the devcontainer's lifecycle commands, pre-commit), Chromium
# and libatomic1 (tests/e2e drive Chromium through Playwright, whose bundled node needs
# libatomic) and Debian's bwa (the germline tests compare against `bwa mem`). Debian's stable
# packages follow the base image's release, so versions are not pinned.
USER 0:0
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git make chromium libatomic1 bwa \
    && rm -rf /var/lib/apt/lists/*
USER 1000:1000
