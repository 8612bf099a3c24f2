#!/bin/sh
# the LMDB backend and its authentication provider, prefork MPM
exec "$MH_BUILD_DIR/test/integration/it_backend" --lmdb --mpm prefork
