#!/usr/bin/env bash
# Install the Debian packages the tests need when their programs are missing.
#
#   scripts/system_deps.sh PACKAGE=PROGRAM ...   e.g. chromium=/usr/bin/chromium bwa=bwa
#
# With apt-get and root (or sudo) the missing packages are installed; elsewhere one line says
# what to install, and the exit status is 1.
set -euo pipefail

missing=()
for pair in "$@"; do
    package="${pair%%=*}" program="${pair#*=}"
    if [[ "$program" == /* ]]; then [ -x "$program" ] || missing+=("$package")
    else command -v "$program" >/dev/null || missing+=("$package"); fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo)
else sudo=(none); fi
if ! command -v apt-get >/dev/null || [ "${sudo[*]}" = none ]; then
    echo "The tests need ${missing[*]}: install them (Debian/Ubuntu: sudo apt-get install ${missing[*]}) and run again." >&2
    exit 1
fi
echo "Installing ${missing[*]} for the tests (apt-get)" >&2
log="$(mktemp)"
if ! { "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "apt-get install ${missing[*]} failed (above)" >&2
    exit 1
fi
rm -f "$log"
