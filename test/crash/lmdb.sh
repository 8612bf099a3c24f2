#!/bin/sh
# Crash safety of the LMDB backend: writers killed with SIGKILL at random
# moments, the store checked against their journal after each kill.
set -e
dir=$(mktemp -d /tmp/mh-crash-XXXXXX)
# no exec below: the trap must outlive the test to remove its store
trap 'rm -rf "$dir"' EXIT
MH_CRASH_DIR="$dir" "$MH_BUILD_DIR/test/crash/mapihttp-crash" --rounds "${MH_CRASH_ROUNDS:-12}" \
    lmdb "path=$dir/store" size=2G
