#!/bin/sh
# The address book endpoint end to end (it_nspi.c): LMDB backend, event MPM.
exec "$MH_BUILD_DIR/test/integration/it_nspi" --mpm event
