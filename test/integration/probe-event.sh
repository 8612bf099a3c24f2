#!/bin/sh
# mapihttp-probe against httpd with the LMDB backend, event MPM
exec "$MH_BUILD_DIR/test/integration/it_probe" --mpm event
