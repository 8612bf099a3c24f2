#!/bin/sh
# The whole test suite, as CI runs it (.ci/run):
#   1. gcc build with -Werror: unit tests, integration tests against Debian's
#      apache2 (event and prefork MPMs), configuration tests;
#   2. the same under AddressSanitizer + UndefinedBehaviorSanitizer (clang);
#   3. a short run of every fuzz target (libFuzzer).
# Installs the Debian packages it needs when run as root.
# Environment: MH_FUZZ_SECONDS (per target, default 20).
set -e
. "$(dirname "$0")/common.sh"

install_packages $RUNTIME_PKGS $TEST_PKGS

build "$top/build" --enable-werror
say "make check (gcc, -Werror)"
make -C "$top/build" -j2 check || { cat "$top"/build/test/*/*.log 2>/dev/null | grep -v '^ok' | tail -80; die "tests failed"; }

say "make install (into a staging directory)"
stage="$(mktemp -d)"
make -C "$top/build" install DESTDIR="$stage" > /dev/null || die "make install failed"
moddir="$(apxs -q LIBEXECDIR)"; confdir="$(apxs -q SYSCONFDIR)"
for f in "$moddir/mod_mapihttp.so" "$moddir/mod_mapihttp_lmdb.so" \
         "$confdir/mods-available/mapihttp.load" "$confdir/mods-available/mapihttp_lmdb.load" \
         "$confdir/mods-available/mapihttp.conf" "$confdir/sites-available/mapihttp-example.conf"; do
    [ -f "$stage$f" ] || die "make install did not install $f"
done
[ -n "$(find "$stage" -type f -name mapihttp-admin)" ] || die "make install did not install mapihttp-admin"
[ -n "$(find "$stage" -path '*/include/mapihttp/backend.h')" ] || die "make install did not install the backend headers"
[ ! -e "$stage$moddir/mod_mapihttp.la" ] || die "make install left a .la file"
grep -q "LoadModule mapihttp_module $moddir/mod_mapihttp.so" "$stage$confdir/mods-available/mapihttp.load" ||
    die "mapihttp.load does not name the installed module"
grep -q "LoadModule mapihttp_lmdb_module $moddir/mod_mapihttp_lmdb.so" "$stage$confdir/mods-available/mapihttp_lmdb.load" ||
    die "mapihttp_lmdb.load does not name the installed module"
rm -rf "$stage"

build "$top/build-asan" CC=clang --enable-werror --enable-fuzzing \
    CFLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -fsanitize=fuzzer-no-link"
say "make check (clang, ASan + UBSan)"
UBSAN_OPTIONS=print_stacktrace=1 make -C "$top/build-asan" -j2 check ||
    { cat "$top"/build-asan/test/*/*.log 2>/dev/null | grep -v '^ok' | tail -80; die "sanitizer tests failed"; }

say "fuzzing (${MH_FUZZ_SECONDS:-20}s per target)"
"$top/test/fuzz/run.sh" "$top/build-asan" "${MH_FUZZ_SECONDS:-20}" || die "a fuzz target failed"

say "all tests passed"
