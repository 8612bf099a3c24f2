# Shared by scripts/demo.sh and scripts/test.sh: Debian packages and builds.
# shellcheck shell=sh

# What building and running needs (Debian 12 package names).
RUNTIME_PKGS="apache2 apache2-dev liblmdb-dev libxml2-dev libssl-dev openssl \
  autoconf automake libtool pkg-config make gcc build-essential"
# What the test suite needs on top: clang for the ASan+UBSan build and the
# fuzz targets (libclang-rt-14-dev holds the sanitizer and libFuzzer runtimes).
TEST_PKGS="clang libclang-rt-14-dev"

top="$(cd "$(dirname "$0")/.." && pwd)"

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# install_packages PKG...: installs what is missing (as root), or names it.
install_packages() {
    missing=""
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        die "missing Debian packages:$missing (run as root, or: apt-get install$missing)"
    fi
    say "installing Debian packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing
}

# build DIR [configure args...]: an out-of-tree build in DIR.
build() {
    dir="$1"; shift
    if [ ! -x "$top/configure" ] || [ "$top/configure.ac" -nt "$top/configure" ] ||
       [ "$top/Makefile.am" -nt "$top/Makefile.in" ]; then
        say "autoreconf"
        (cd "$top" && autoreconf -fi) || die "autoreconf failed"
    fi
    if [ -f "$top/config.status" ]; then
        die "$top is configured in place; run 'make distclean' there first"
    fi
    mkdir -p "$dir"
    say "configure in $dir: $*"
    (cd "$dir" && "$top/configure" "$@" > configure.out 2>&1) ||
        { tail -30 "$dir/configure.out"; die "configure failed (see $dir/configure.out)"; }
    say "make in $dir"
    make -C "$dir" -j"$(nproc)" || die "build failed in $dir"
}
