#!/usr/bin/env bash
# `make image-check`: build the images and check them the way a user and a cluster would use them.
#
#   scripts/image_check.sh [all]     everything below, in order (what CI runs)
#   scripts/image_check.sh engine    only prepare the container engine and print its name
#   scripts/image_check.sh note      build `note`, run it on loopback and check it
#   scripts/image_check.sh dev       bring the devcontainer up with @devcontainers/cli, check it
#   scripts/image_check.sh tasks     build the gatk_env / scrna_env images from their Flyte specs,
#                                    run one task in each as a pod would, compare versions to pins
#
# Engine: Docker when a daemon answers, else podman (installed with apt-get when missing). Where
# the real base images cannot be pulled (no Docker Hub / ghcr.io), stand-ins with the same names
# are made from Debian packages (python:3.11-slim-bookworm) and from PyPI's uv wheel
# (ghcr.io/astral-sh/uv). podman runs with a private containers.conf (CONTAINERS_CONF): ulimits
# within the host's, the runc runtime where crun cannot manage cgroups, and the host's CA bundle
# bind-mounted only when a TLS-intercepting proxy makes it necessary. docs/containers.md has the
# why of each. Built images stay cached; containers and scratch folders are removed.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

CACHE="${STARGAZER_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stargazer/image-check}"
BASE_IMAGE="python:3.11-slim-bookworm"
UV_IMAGE="ghcr.io/astral-sh/uv:0.13.4" # the uv image flyte 2.12.1's Dockerfile copies uv from
NOTE_IMAGE="${NOTE_IMAGE:-stargazer:note}"
NOTE_PORT="${NOTE_PORT:-18080}"
DEVCONTAINER_CLI_VERSION="0.89.0"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
SUFFIX="$$"
mkdir -p "$CACHE"

CLEANUP=()
cleanup() {
    local step
    for step in "${CLEANUP[@]}"; do eval "$step" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

say() { printf '\n== %s\n' "$*" >&2; }
die() { echo "image-check: $*" >&2; exit 1; }
now() { date +%s; }
report() { echo "image-check: $*" | tee -a "$CACHE/timings.log" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else die "need root for: $* (run as root, or install sudo)"
    fi
}

apt_install() {
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >"$CACHE/apt.log" 2>&1 \
        || { tail -n 30 "$CACHE/apt.log" >&2; die "apt-get install $* failed (log above)"; }
}

# --- the engine --------------------------------------------------------------------------------

ENGINE=""
choose_engine() {
    [ -n "$ENGINE" ] && return 0
    if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
        ENGINE=docker
        return 0
    fi
    ENGINE=podman
    local missing=()
    command -v podman >/dev/null || missing+=(podman)
    command -v runc >/dev/null || [ -x /usr/sbin/runc ] || missing+=(runc)
    command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
    # podman's default network and rootful storage on Debian
    [ -d /usr/lib/cni ] || [ -x /usr/lib/podman/netavark ] || missing+=(containernetworking-plugins)
    if [ "${#missing[@]}" -gt 0 ]; then
        say "installing ${missing[*]} (Debian packages)"
        apt_install "${missing[@]}" uidmap
    fi
    podman_config
}

podman_config() {
    local conf="$CACHE/containers.conf" hard
    hard="$(ulimit -Hn)"
    [ "$hard" = unlimited ] && hard=1048576
    {
        echo "# written by scripts/image_check.sh; see docs/containers.md"
        echo "[containers]"
        echo "default_ulimits = [\"nofile=$hard:$hard\", \"nproc=32768:32768\"]"
        if [ -n "${CA_BUNDLE:-}" ]; then
            # uv (Flyte's image builds) trusts its own roots unless its config says system-certs
            printf '# mounted by scripts/image_check.sh: trust the system CA bundle\nsystem-certs = true\n' \
                >"$CACHE/uv.toml"
            echo "volumes = [\"$CA_BUNDLE:/etc/ssl/certs/ca-certificates.crt:ro\", \"$CACHE/uv.toml:/etc/uv/uv.toml:ro\"]"
        fi
        echo "[engine]"
        echo "runtime = \"runc\""
    } >"$conf"
    export CONTAINERS_CONF="$conf"
}

image_exists() { "$ENGINE" image inspect "$1" >/dev/null 2>&1; }

# The host's CA bundle goes into containers only when PyPI's certificate does not verify with the
# image's own bundle (a TLS-intercepting proxy); then also into build steps.
decide_ca_bundle() {
    [ "$ENGINE" = podman ] || return 0
    [ -f "$CACHE/ca.decided" ] && { CA_BUNDLE="$(cat "$CACHE/ca.decided")"; podman_config; return 0; }
    if podman run --rm "$BASE_IMAGE" python3 -c \
        'import urllib.request; urllib.request.urlopen("https://pypi.org/simple/pip/", timeout=20)' \
        >/dev/null 2>&1; then
        CA_BUNDLE=""
    else
        CA_BUNDLE="$(python3 -c 'import ssl; print(ssl.get_default_verify_paths().cafile)')"
        echo "image-check: PyPI's certificate does not verify in a container: mounting $CA_BUNDLE" >&2
    fi
    echo "$CA_BUNDLE" >"$CACHE/ca.decided"
    podman_config
}

# --- base images -------------------------------------------------------------------------------

try_pull() { timeout 90 "$ENGINE" pull -q "$1" >/dev/null 2>&1; }

standin_base() {
    local tar="$CACHE/base.tar" sources=() file
    say "making a stand-in $BASE_IMAGE from Debian packages (mmdebstrap)"
    for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "$file" ] && grep -qE '^[^#]*(deb\.debian\.org|security\.debian\.org|/debian)' "$file" \
            && sources+=("$file")
    done
    [ "${#sources[@]}" -gt 0 ] || sources=("http://deb.debian.org/debian")
    rm -f "$tar"
    as_root mmdebstrap --quiet --variant=minbase \
        --aptopt='Acquire::Check-Valid-Until "false"' \
        --include=python3,python3-venv,python3-pip,python-is-python3,ca-certificates,netbase,tzdata \
        bookworm "$tar" "${sources[@]}"
    podman import --change 'CMD ["python3"]' --change 'ENV LANG=C.UTF-8' "$tar" "$BASE_IMAGE" >/dev/null
    rm -f "$tar"
}

standin_uv() {
    local work
    work="$(mktemp -d)"
    say "making a stand-in $UV_IMAGE from PyPI's uv ${UV_IMAGE##*:} wheel"
    python3 -m pip download --quiet --no-deps --only-binary :all: -d "$work" "uv==${UV_IMAGE##*:}"
    python3 - "$work" <<'PY'
import pathlib, sys, zipfile
work = pathlib.Path(sys.argv[1])
wheel = zipfile.ZipFile(next(work.glob("uv-*.whl")))
root = work / "root"
root.mkdir()
for name in wheel.namelist():
    if name.endswith(("/scripts/uv", "/scripts/uvx")):
        target = root / pathlib.PurePath(name).name
        target.write_bytes(wheel.read(name))
        target.chmod(0o755)
PY
    tar -C "$work/root" -cf "$work/uv.tar" uv uvx
    podman import "$work/uv.tar" "$UV_IMAGE" >/dev/null
    rm -rf "$work"
}

ensure_base_images() {
    choose_engine
    image_exists "$BASE_IMAGE" || try_pull "$BASE_IMAGE" || { [ "$ENGINE" = podman ] && standin_base; } \
        || die "cannot get $BASE_IMAGE"
    decide_ca_bundle
}

ensure_uv_image() {
    image_exists "$UV_IMAGE" || try_pull "$UV_IMAGE" || { [ "$ENGINE" = podman ] && standin_uv; } \
        || die "cannot get $UV_IMAGE"
}

build() { # build TARGET TAG, from the workspace snapshot
    local flags=()
    [ "$ENGINE" = podman ] && flags=(--format docker --pull=never)
    snapshot
    "$ENGINE" build "${flags[@]}" --target "$1" -t "$2" "$SNAPSHOT" >"$CACHE/build-$1.log" 2>&1 \
        || { tail -n 40 "$CACHE/build-$1.log" >&2; die "building $1 failed (log above: $CACHE/build-$1.log)"; }
}

# --- the workspace snapshot ----------------------------------------------------------------------

# A clean copy of the working tree (tracked and new files, nothing git ignores), committed, owned by
# the image's user (uid 1000: a root devcontainer CLI does not remap users). `note` and the
# devcontainer are built from this one copy, so the devcontainer's build reuses every layer of
# note's even while the working tree changes. One fixed folder: the devcontainer CLI names its
# image after the workspace path, so the next run reuses that image instead of adding another.
SNAPSHOT="$CACHE/workspace/stargazer"
snapshot() {
    [ -f "$SNAPSHOT/.git/HEAD" ] && [ -n "${SNAPSHOT_TAKEN:-}" ] && return 0
    as_root rm -rf "$(dirname "$SNAPSHOT")"
    mkdir -p "$SNAPSHOT"
    git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
        [ -e "$f" ] && printf '%s\0' "$f"
    done | tar --null -T - -cf - | tar -C "$SNAPSHOT" -xf -
    git -C "$SNAPSHOT" init -q
    git -C "$SNAPSHOT" add -A
    git -C "$SNAPSHOT" -c user.name=image-check -c user.email=image-check@localhost commit -qm snapshot
    as_root chown -R 1000:1000 "$SNAPSHOT"
    CLEANUP+=("as_root rm -rf $(dirname "$SNAPSHOT")")
    SNAPSHOT_TAKEN=1
}

# --- note --------------------------------------------------------------------------------------

http_status() { # URL [follow] -> status code (000 when nothing answers); `follow` follows
    # redirects with cookies (marimo trades ?access_token= for a session cookie, then redirects)
    python3 - "$@" <<'PY'
import http.cookiejar, sys, urllib.error, urllib.request
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
handlers = [urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())]
if sys.argv[2:] != ["follow"]:
    handlers.append(NoRedirect)
try:
    print(urllib.request.build_opener(*handlers).open(sys.argv[1], timeout=5).status)
except urllib.error.HTTPError as err:
    print(err.code)
except OSError:
    print("000")
PY
}

check_note() {
    ensure_base_images
    local started name="stargazer-check-note-$SUFFIX" volume="stargazer-check-store-$SUFFIX"
    say "building $NOTE_IMAGE with $ENGINE"
    started=$(now)
    build note "$NOTE_IMAGE"
    report "note image built in $(($(now) - started)) s; size $("$ENGINE" image inspect -f '{{.Size}}' "$NOTE_IMAGE" | awk '{printf "%.2f GB", $1/1e9}')"

    say "running $NOTE_IMAGE on 127.0.0.1:$NOTE_PORT (store on a named volume)"
    "$ENGINE" volume create "$volume" >/dev/null
    CLEANUP+=("$ENGINE rm -f $name" "$ENGINE volume rm -f $volume")
    started=$(now)
    # (podman without systemd logs that it cannot schedule health checks: harmless, kept out)
    "$ENGINE" run -d --name "$name" -p "127.0.0.1:$NOTE_PORT:8080" \
        -v "$volume:/home/stargazer/workspace/.stargazer" "$NOTE_IMAGE" >"$CACHE/run-note.log" 2>&1 \
        || { cat "$CACHE/run-note.log" >&2; die "$ENGINE run $NOTE_IMAGE failed"; }
    local status="000"
    for _ in $(seq 1 120); do
        status="$(http_status "http://127.0.0.1:$NOTE_PORT/health")"
        [ "$status" = 200 ] && break
        sleep 0.5
    done
    [ "$status" = 200 ] || { "$ENGINE" logs "$name" >&2; die "/health did not answer 200 within 60 s"; }
    report "note /health 200 after $(($(now) - started)) s"
    if [ "$ENGINE" = podman ]; then
        podman healthcheck run "$name" >/dev/null || die "the image's HEALTHCHECK fails"
    fi

    local url token
    url="$("$ENGINE" logs "$name" 2>&1 | grep -o 'http://[^ ]*access_token=[^ ]*' | head -n 1)"
    token="${url##*access_token=}"
    [ -n "$token" ] || die "the server printed no URL with an access token"
    status="$(http_status "http://127.0.0.1:$NOTE_PORT/")"
    case "$status" in 401 | 403 | 302 | 303 | 307) ;; *) die "the editor answered $status without the token" ;; esac
    status="$(http_status "http://127.0.0.1:$NOTE_PORT/?access_token=$token" follow)"
    [ "$status" = 200 ] || die "the editor answered $status with the token"
    echo "token enforced: $(http_status "http://127.0.0.1:$NOTE_PORT/") without, 200 with" >&2

    "$ENGINE" exec "$name" bash -c '
        set -e
        [ "$(id -u)" != 0 ] || { echo "the server runs as root"; exit 1; }
        echo "user: $(id -un) ($(id -u))"
        python - <<PY
import importlib.metadata as md, json, pathlib, stargazer
path = pathlib.Path(stargazer.__file__).resolve()
assert "site-packages" in path.parts, f"stargazer imported from {path}"
direct = md.distribution("stargazer").read_text("direct_url.json")
assert not (direct and json.loads(direct).get("dir_info", {}).get("editable")), "editable install"
print(f"stargazer {stargazer.__version__}: a normal install in {path.parent}")
PY
        store=/home/stargazer/workspace/.stargazer
        [ "$(stat -c %U "$store")" = stargazer ] || { echo "$store is not owned by the user"; exit 1; }
        touch "$store/.writable" && rm "$store/.writable"
        echo "store folder $store: owned by the user, writable on a named volume"
        cd /home/stargazer/workspace
        python notebooks/welcome.py >/tmp/welcome.log 2>&1 || { tail -n 30 /tmp/welcome.log; exit 1; }
        echo "notebooks/welcome.py ran inside the image"
    ' >&2 || die "checks inside the note container failed (output above)"
    started=$(now)
    "$ENGINE" stop -t 10 "$name" >/dev/null 2>&1
    report "note container stopped in $(($(now) - started)) s"
    "$ENGINE" rm -f "$name" >/dev/null 2>&1
}

# --- the devcontainer --------------------------------------------------------------------------

devcontainer_cli() {
    local prefix="$CACHE/devcontainers-cli-$DEVCONTAINER_CLI_VERSION"
    if [ ! -x "$prefix/node_modules/.bin/devcontainer" ]; then
        command -v npm >/dev/null || apt_install nodejs npm
        say "installing @devcontainers/cli@$DEVCONTAINER_CLI_VERSION under $prefix"
        npm install --silent --no-audit --no-fund --prefix "$prefix" \
            "@devcontainers/cli@$DEVCONTAINER_CLI_VERSION" >"$CACHE/npm.log" 2>&1 \
            || { tail -n 20 "$CACHE/npm.log" >&2; die "npm install @devcontainers/cli failed"; }
    fi
    echo "$prefix/node_modules/.bin/devcontainer"
}

# The CLI passes --userns=keep-id to podman, which rootful podman refuses: drop that one argument.
engine_wrapper() {
    local wrapper="$CACHE/engine-wrapper"
    if [ "$ENGINE" = podman ]; then
        cat >"$wrapper" <<'SH'
#!/usr/bin/env bash
args=()
for arg in "$@"; do [ "$arg" = "--userns=keep-id" ] || args+=("$arg"); done
exec podman "${args[@]}"
SH
        chmod +x "$wrapper"
        echo "$wrapper"
    else
        command -v docker
    fi
}

check_devcontainer() {
    ensure_base_images
    local cli wrapper ws started out id
    cli="$(devcontainer_cli)"
    wrapper="$(engine_wrapper)"
    snapshot
    ws="$SNAPSHOT"
    id="stargazer-image-check=$SUFFIX"
    CLEANUP+=("$ENGINE ps -aq --filter label=$id | xargs -r $ENGINE rm -f")

    say "devcontainer up (@devcontainers/cli $DEVCONTAINER_CLI_VERSION, $ENGINE)"
    started=$(now)
    if ! out="$("$cli" up --workspace-folder "$ws" --docker-path "$wrapper" --id-label "$id" \
        --log-level info 2>"$CACHE/devcontainer-up.log")"; then
        tail -n 60 "$CACHE/devcontainer-up.log" >&2
        die "devcontainer up failed (log above: $CACHE/devcontainer-up.log)"
    fi
    report "devcontainer up in $(($(now) - started)) s (dev stage build included)"
    echo "$out" | tail -n 1 | python3 -c 'import json, sys; r = json.load(sys.stdin); sys.exit(0 if r.get("outcome") == "success" else f"devcontainer up: {r}")'
    grep -q "Stargazer notebooks: http://localhost:8080/?access_token=" "$CACHE/devcontainer-up.log" \
        || die "postStartCommand did not print the notebook URL"

    # An edit under src/ made on the host side of the mount is what the container's Python runs.
    printf 'MARK = "edited-%s"\n' "$SUFFIX" | as_root tee "$ws/src/stargazer/_image_check_edit.py" >/dev/null
    as_root chown 1000:1000 "$ws/src/stargazer/_image_check_edit.py"
    "$cli" exec --workspace-folder "$ws" --docker-path "$wrapper" --id-label "$id" bash -c '
        set -e
        [ "$(id -un)" = stargazer ] || { echo "remote user is $(id -un)"; exit 1; }
        [ "$(readlink -f .venv)" = /home/stargazer/venv ] || { echo ".venv is not the image environment"; exit 1; }
        [ -f .venv/.stargazer-installed ] && [ -x .git/hooks/pre-commit ] \
            || { echo "onCreateCommand did not finish (no install stamp or pre-commit hook)"; exit 1; }
        echo "onCreateCommand: .venv -> /home/stargazer/venv, make install done, pre-commit hook installed"
        python - <<PY
import pathlib, stargazer, stargazer._image_check_edit as edit
assert edit.MARK == "edited-'"$SUFFIX"'", edit.MARK
path = pathlib.Path(stargazer.__file__).resolve()
assert path.is_relative_to(pathlib.Path("src").resolve()), f"stargazer imported from {path}"
print(f"editable: stargazer from {path.parent}, an edit under src/ is seen")
PY
        kill -0 "$(cat .stargazer/note.pid)" || { echo "postStartCommand server is not running"; exit 1; }
        python -c "import urllib.request; assert urllib.request.urlopen(\"http://127.0.0.1:8080/health\", timeout=5).status == 200"
        echo "postStartCommand: the notebook server answers /health on :8080"
        rm src/stargazer/_image_check_edit.py
        status="$(git status --porcelain)"
        [ -z "$status" ] || { echo "git status is not clean:"; echo "$status"; exit 1; }
        echo "git status: clean"
        for tool in git make chromium bwa; do command -v "$tool" >/dev/null || { echo "$tool missing"; exit 1; }; done
        echo "dev tools: git, make, chromium, bwa"
        started=$(date +%s)
        make lint >/tmp/lint.log 2>&1 || { tail -n 40 /tmp/lint.log; echo "make lint failed in the devcontainer"; exit 1; }
        echo "make lint passed in the devcontainer ($(( $(date +%s) - started )) s)"
        .venv/bin/python -m pytest -q -n 0 -p no:cacheprovider tests/devcontainer tests/test_dockerfile.py \
            "tests/e2e/test_notebooks_in_browser.py::test_run_mode_shows_code_that_cannot_be_edited" \
            >/tmp/pytest.log 2>&1 || { tail -n 40 /tmp/pytest.log; echo "tests failed in the devcontainer"; exit 1; }
        tail -n 1 /tmp/pytest.log
        echo "devcontainer, Dockerfile and a browser test passed in the devcontainer as $(id -un)"
    ' >&2 || die "checks inside the devcontainer failed (output above)"
}

# --- task images -------------------------------------------------------------------------------

check_tasks() {
    ensure_base_images
    [ "$ENGINE" = podman ] && ensure_uv_image
    [ -x "$PYTHON" ] || die "$PYTHON is missing: run \`make install\` first"
    local builder=local
    [ "$ENGINE" = podman ] && builder=local-podman
    local extra=""
    [ "$ENGINE" = podman ] && extra="--format docker --pull=never"
    FLYTE_DOCKER_BUILD_EXTRA_ARGS="$extra" "$PYTHON" scripts/task_images.py check \
        --builder "$builder" --engine "$ENGINE" --log-dir "$CACHE" gatk scrna
}

main() {
    local started
    started=$(now)
    case "${1:-all}" in
        engine) choose_engine; echo "$ENGINE" ;;
        note) check_note ;;
        dev) check_devcontainer ;;
        tasks) check_tasks ;;
        all) check_note; check_devcontainer; check_tasks ;;
        *) die "usage: scripts/image_check.sh [all|engine|note|dev|tasks]" ;;
    esac
    report "${1:-all} passed in $(($(now) - started)) s"
}

# `exit` here: bash reads a script as it runs, so nothing after this line is ever read.
main "$@"
exit $?
