#!/bin/sh
# Configuration errors stop httpd with a clear message; conf.d passes httpd -t.
exec "$MH_BUILD_DIR/test/integration/it_transport" --config
