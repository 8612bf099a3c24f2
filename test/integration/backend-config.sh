#!/bin/sh
# backend configuration errors stop httpd with a clear message
exec "$MH_BUILD_DIR/test/integration/it_backend" --config
