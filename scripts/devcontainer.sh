#!/usr/bin/env bash
# The devcontainer's lifecycle commands (.devcontainer/devcontainer.json), run in the workspace
# with the image's environment active ($VIRTUAL_ENV, /home/stargazer/venv in the `note` image).
#
#   scripts/devcontainer.sh create   onCreateCommand: point .venv at the environment (the
#                                    Makefile and the pre-commit hooks use .venv), install the
#                                    workspace editable with the dev tools over the image's
#                                    wheel (`make install`), prepare the pre-commit hooks
#   scripts/devcontainer.sh start    postStartCommand: serve the notebooks in the background on
#                                    0.0.0.0:$STARGAZER_NOTE_PORT (default 8080), wait until
#                                    they answer, print the URL (also in .stargazer/note.log)
#   scripts/devcontainer.sh stop     stop that server
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "devcontainer.sh: $*" >&2; exit 1; }
env_dir() {
    [ -n "${VIRTUAL_ENV:-}" ] || die "VIRTUAL_ENV is not set: run inside the image's environment (/home/stargazer/venv)"
    echo "$VIRTUAL_ENV"
}

PORT="${STARGAZER_NOTE_PORT:-8080}"
LOG=.stargazer/note.log
PIDFILE=.stargazer/note.pid

create() {
    local venv
    venv="$(env_dir)"
    if [ ! -e .venv ]; then
        ln -s "$venv" .venv
    elif [ "$(realpath .venv)" != "$(realpath "$venv")" ]; then
        die ".venv is another environment ($(realpath .venv)); remove it: host virtualenvs do not run in the container"
    fi
    make install PYTHON="$venv/bin/python"
    .venv/bin/python -c 'import pathlib, stargazer, sys; p = pathlib.Path(stargazer.__file__).resolve(); sys.exit(0 if pathlib.Path("src").resolve() in p.parents else f"stargazer resolves to {p}, not the editable src/")'
    .venv/bin/python -m pre_commit install --install-hooks
}

start() {
    mkdir -p .stargazer
    if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        echo "notebook server already running (pid $(cat "$PIDFILE")); see $LOG"
        return 0
    fi
    nohup .venv/bin/stargazer note --host 0.0.0.0 --port "$PORT" >"$LOG" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 120); do
        if .venv/bin/python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/health', timeout=2)" 2>/dev/null; then
            grep -o 'http://localhost[^ ]*' "$LOG" | head -n 1 | sed 's/^/Stargazer notebooks: /'
            return 0
        fi
        kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { cat "$LOG" >&2; die "the notebook server exited; log above"; }
        sleep 0.5
    done
    die "the notebook server did not answer on port $PORT within 60 s; see $LOG"
}

stop() {
    [ -f "$PIDFILE" ] || return 0
    kill "$(cat "$PIDFILE")" 2>/dev/null || true
    rm -f "$PIDFILE"
}

case "${1:-}" in
    create) create ;;
    start) start ;;
    stop) stop ;;
    *) die "usage: scripts/devcontainer.sh create | start | stop" ;;
esac
