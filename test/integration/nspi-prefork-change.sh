#!/bin/sh
# The address book's per-process snapshot of the directory (it_nspi.c
# test_directory_change): prefork processes that live on, every request on
# a new connection so that it may reach any of them; a user added and
# deleted by mapihttp-admin, another process, is seen by the next call in
# each.
exec "$MH_BUILD_DIR/test/integration/it_nspi" --mpm prefork --new-connections \
    --only test_directory_change
