#!/bin/sh
# The mailbox endpoint end to end (it_emsmdb.c): LMDB backend, event MPM.
exec "$MH_BUILD_DIR/test/integration/it_emsmdb" --mpm event
