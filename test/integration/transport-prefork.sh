#!/bin/sh
# The transport suite under the prefork MPM, a whole session with every
# request in a new process (MaxConnectionsPerChild 1), and the restart test.
set -e
bin="$MH_BUILD_DIR/test/integration/it_transport"
"$bin" --mpm prefork
"$bin" --mpm prefork --per-request-process
"$bin" --mpm prefork --restart
