#!/bin/sh
# PING-with-session over Basic auth against a static 1 KB file, on a private
# httpd (event MPM) on 127.0.0.1 with the LMDB backend and its
# authentication provider.  Prints a markdown table (bench/README.md).
#   bench/run-http.sh [BUILD_DIR]     (default: build)
# Environment: MH_BENCH_SECONDS (10), MH_BENCH_THREADS (8), MH_BENCH_PORT (18480),
#   MH_BENCH_PERF=FILE to record a system-wide perf profile of the PING run.
set -e
top="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$top/build}"
secs="${MH_BENCH_SECONDS:-10}"
threads="${MH_BENCH_THREADS:-8}"
port="${MH_BENCH_PORT:-18480}"
moddir="$(apxs -q LIBEXECDIR)"
run="$(mktemp -d /tmp/mh-bench-XXXXXX)"
chmod 755 "$run"
trap 'stop; rm -rf "$run"' EXIT
admin() { "$build/tools/mapihttp-admin" --backend "lmdb path=$run/store" "$@"; }

stop() {
    if [ -f "$run/httpd.pid" ]; then
        kill "$(cat "$run/httpd.pid")" 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            [ -f "$run/httpd.pid" ] && kill -0 "$(cat "$run/httpd.pid")" 2>/dev/null || break
            sleep 0.5
        done
        rm -f "$run/httpd.pid"
    fi
}

start() { # $1: extra server directives
    runas=""
    [ "$(id -u)" -eq 0 ] && runas="User www-data
Group www-data"
    cat > "$run/httpd.conf" <<CONF
ServerRoot "$run"
ServerName 127.0.0.1
PidFile $run/httpd.pid
DefaultRuntimeDir $run
DocumentRoot $run/htdocs
ErrorLog $run/error.log
LogLevel warn
$runas
LoadModule mpm_event_module $moddir/mod_mpm_event.so
LoadModule authn_core_module $moddir/mod_authn_core.so
LoadModule auth_basic_module $moddir/mod_auth_basic.so
LoadModule authz_core_module $moddir/mod_authz_core.so
LoadModule authz_user_module $moddir/mod_authz_user.so
LoadModule mapihttp_module $build/.libs/mod_mapihttp.so
LoadModule mapihttp_lmdb_module $build/.libs/mod_mapihttp_lmdb.so
StartServers 2
ServerLimit 4
ThreadsPerChild 25
MaxRequestWorkers 100
KeepAlive On
MaxKeepAliveRequests 0
MapiHttpBackend lmdb path=$run/store
$1
Listen 127.0.0.1:$port
<Directory $run/htdocs>
    Require all granted
</Directory>
<Location /auth>
    AuthType Basic
    AuthName bench
    AuthBasicProvider lmdb
    Require valid-user
</Location>
<Location /mapi>
    MapiHttp On
    AuthType Basic
    AuthName bench
    AuthBasicProvider lmdb
    Require valid-user
</Location>
CONF
    apache2 -d "$run" -f "$run/httpd.conf" -k start
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        [ -f "$run/httpd.pid" ] && break
        sleep 0.5
    done
    sleep 1
}

mkdir -p "$run/htdocs/auth"
head -c 1024 /dev/urandom | base64 -w0 | head -c 1024 > "$run/htdocs/static-1k.txt"
cp "$run/htdocs/static-1k.txt" "$run/htdocs/auth/static-1k.txt"
admin init >/dev/null
admin user add bench --name Bench --email bench@example.com --password bench-secret >/dev/null
dn="$(admin user show bench | sed -n 's/^legacy DN: *//p')"

b="$build/bench/bench-http --port $port --threads $threads --seconds $secs"
echo "| request ($threads connections, ${secs}s)               | req/s    | p50 µs  | p90 µs  | p99 µs  | errors | client CPU µs/req |"
echo "|------------------------------------------|----------|---------|---------|---------|--------|---------|"
start ""
$b --mode static --path /static-1k.txt --label "static 1 KB file, no auth"
$b --mode static --path /auth/static-1k.txt --user bench --password bench-secret \
    --label "static 1 KB file, Basic auth (lmdb)"
$b --mode ping --user bench --password bench-secret --user-dn "$dn" \
    --label "PING with session, Basic auth (lmdb)" &
if [ -n "${MH_BENCH_PERF:-}" ]; then sleep 2; perf record -a -g -o "$MH_BENCH_PERF" sleep 4 >/dev/null 2>&1; fi
wait
stop
start "MapiHttpAuthCacheTimeout 0"
$b --mode ping --user bench --password bench-secret --user-dn "$dn" --seconds 5 \
    --label "PING, Basic auth, no credentials cache"
stop
if grep -E ':(error|crit|alert|emerg)\]' "$run/error.log" >/dev/null; then
    echo "errors in the server log:" >&2
    grep -E ':(error|crit|alert|emerg)\]' "$run/error.log" | head >&2
    exit 1
fi
