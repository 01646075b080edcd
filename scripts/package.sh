#!/usr/bin/env bash
# The packaging boundary, one step per subcommand. The Dockerfile's `base` stage runs `build`
# and `install`; `make wheel-check` (called by .ci/run) runs all three, so a step that breaks
# the image breaks CI first.
#
#   scripts/package.sh build DIST          build the wheel into DIST; refuse anything but
#                                          src/stargazer in it (no notebooks, no tests)
#   scripts/package.sh install DIST VENV   fresh virtualenv VENV with the wheel installed as a
#                                          normal (non-editable) package, from pip only
#   scripts/package.sh notebooks VENV NB.. run notebooks as scripts with VENV's Python in a
#                                          scratch workspace: they may use only the public SDK
#   scripts/package.sh check               all three in a temp folder, on the workflow notebooks
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

die() { echo "package.sh: $*" >&2; exit 1; }

build() {
    local dist="$1"
    mkdir -p "$dist"
    rm -f "$dist"/stargazer-*.whl
    "$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$dist" "$ROOT"
    local wheel
    wheel="$(ls "$dist"/stargazer-*.whl)"
    "$PYTHON" - "$wheel" <<'PY'
import sys
import zipfile

wheel = sys.argv[1]
names = zipfile.ZipFile(wheel).namelist()
stray = [n for n in names if not n.startswith(("stargazer/", "stargazer-"))]
if stray:
    sys.exit(f"{wheel} holds files outside src/stargazer: {stray[:10]}; fix the package config")
if not any(n == "stargazer/__init__.py" for n in names):
    sys.exit(f"{wheel} has no stargazer/__init__.py; check [tool.setuptools] in pyproject.toml")
print(f"{wheel}: {len(names)} files, all under stargazer/", file=sys.stderr)
PY
}

install() {
    local dist="$1" venv="$2"
    [ -e "$venv/bin/python" ] && die "$venv already exists: the install step wants a fresh virtualenv"
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet "$dist"/stargazer-*.whl
    # Non-editable: the package must come from site-packages, never from a source tree.
    "$venv/bin/python" -c 'import pathlib, stargazer, sys; p = pathlib.Path(stargazer.__file__).resolve(); sys.exit(0 if "site-packages" in p.parts else f"stargazer imported from {p}, not site-packages")'
    "$venv/bin/stargazer" --version
}

notebooks() {
    local venv="$1"; shift
    [ "$#" -gt 0 ] || die "no notebooks given"
    local work
    work="$(mktemp -d)"
    mkdir -p "$work/.flyte"
    cp "$ROOT/.flyte/config.yaml" "$work/.flyte/config.yaml"
    for notebook in "$@"; do
        echo "== $notebook (installed wheel, workspace $work)" >&2
        if ! (cd "$work" && env -u PYTHONPATH STARGAZER_HOME="$work/.stargazer" \
            "$venv/bin/python" "$(cd "$(dirname "$notebook")" && pwd)/$(basename "$notebook")" \
            >"$work/notebook.log" 2>&1); then
            tail -n 40 "$work/notebook.log" >&2
            rm -rf "$work"
            die "$notebook failed against the installed wheel: it may need something outside the public SDK"
        fi
    done
    rm -rf "$work"
}

check() {
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    build "$tmp/dist"
    install "$tmp/dist" "$tmp/venv"
    shopt -s nullglob
    local found=("$ROOT"/notebooks/welcome.py "$ROOT"/notebooks/workflows/*.py)
    notebooks "$tmp/venv" "${found[@]}"
    echo "wheel check passed: ${#found[@]} notebook(s) ran against the installed wheel" >&2
}

command="${1:-}"
[ -n "$command" ] || die "usage: scripts/package.sh build DIST | install DIST VENV | notebooks VENV NB... | check"
shift
case "$command" in
    build) [ "$#" -eq 1 ] || die "usage: build DIST"; build "$1" ;;
    install) [ "$#" -eq 2 ] || die "usage: install DIST VENV"; install "$1" "$2" ;;
    notebooks) [ "$#" -ge 1 ] || die "usage: notebooks VENV NOTEBOOK..."; notebooks "$@" ;;
    check) check ;;
    *) die "unknown command $command" ;;
esac
