#!/bin/sh
# Wrong Autodiscover directive values stop httpd with a clear message.
exec "$MH_BUILD_DIR/test/integration/it_autodiscover" --config
