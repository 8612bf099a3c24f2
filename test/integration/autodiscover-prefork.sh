#!/bin/sh
# Autodiscover (POX and JSON) over httpd with the LMDB backend, prefork MPM.
exec "$MH_BUILD_DIR/test/integration/it_autodiscover" --mpm prefork
