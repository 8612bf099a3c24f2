#!/bin/sh
# The address book endpoint end to end (it_nspi.c): LMDB backend, prefork MPM
# with MaxConnectionsPerChild 1 and a new connection per request, so every
# request is served by a new process.
exec "$MH_BUILD_DIR/test/integration/it_nspi" --mpm prefork --per-request-process
