#!/bin/sh
# The public headers (include/mapihttp) compile on their own, each first in
# a translation unit, with warnings as errors: a backend author needs
# nothing else (module.h needs httpd's headers, the rest only APR).
set -e
src="${MH_SRC_DIR:-$(dirname "$0")/..}"
cc="${CC:-cc}"
tmp=$(mktemp -d /tmp/mh-headers-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
n=0
for h in "$src"/include/mapihttp/*.h; do
    name=$(basename "$h")
    printf '#include "mapihttp/%s"\n#include "mapihttp/%s"\nint mh_header_check_%s;\n' \
        "$name" "$name" "$(echo "$name" | tr -c 'a-z0-9\n' '_')" > "$tmp/t.c"
    flags="$MH_APR_CFLAGS"
    [ "$name" = module.h ] && flags="$flags $MH_HTTPD_CFLAGS"
    # shellcheck disable=SC2086
    if ! $cc -std=c99 -Wall -Wextra -Werror -Wno-unused-function -I"$src/include" $flags \
            -c "$tmp/t.c" -o "$tmp/t.o" 2> "$tmp/err"; then
        echo "not ok - mapihttp/$name does not compile alone:"; cat "$tmp/err"; exit 1
    fi
    n=$((n + 1))
done
echo "ok - $n public headers compile alone"
