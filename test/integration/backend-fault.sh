#!/bin/sh
# error paths over HTTP with the fault-injection backend
exec "$MH_BUILD_DIR/test/integration/it_backend" --fault
