#!/bin/sh
# The transport suite under the event MPM, the restart test, and idle expiry.
set -e
bin="$MH_BUILD_DIR/test/integration/it_transport"
"$bin" --mpm event
"$bin" --mpm event --restart
"$bin" --expiry
