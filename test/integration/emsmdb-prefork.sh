#!/bin/sh
# The mailbox endpoint end to end (it_emsmdb.c): LMDB backend, prefork MPM
# with MaxConnectionsPerChild 1 and a new connection per request, so every
# request is served by a new process and the session state carries all.
exec "$MH_BUILD_DIR/test/integration/it_emsmdb" --mpm prefork --per-request-process
