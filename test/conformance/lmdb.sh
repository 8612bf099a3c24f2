#!/bin/sh
# The conformance suite against the LMDB backend, in a fresh directory.
set -e
dir=$(mktemp -d /tmp/mh-conformance-XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$MH_BUILD_DIR/test/conformance/mapihttp-conformance" lmdb "path=$dir/store" size=1G
