#!/bin/sh
# The address book (bench/bench-nspi) over a private httpd (event MPM) on
# 127.0.0.1 with the LMDB backend: Bind, then QueryRows of 50 rows from
# the top and from a fractional position, SeekEntries by name and
# ResolveNames of one name, at each directory size in SIZES.  Prints a
# markdown table (bench/README.md).
#   bench/run-nspi.sh [BUILD_DIR]      (default: build)
# Environment: MH_BENCH_SECONDS (10), MH_BENCH_THREADS (16),
#   MH_BENCH_SIZES ("1000 100000"), MH_BENCH_PORT (18482).
set -e
top="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$top/build}" && pwd)"
secs="${MH_BENCH_SECONDS:-10}"
threads="${MH_BENCH_THREADS:-16}"
sizes="${MH_BENCH_SIZES:-1000 100000}"
port="${MH_BENCH_PORT:-18482}"
moddir="$(apxs -q LIBEXECDIR)"
run="$(mktemp -d /tmp/mh-bench-nspi-XXXXXX)"
chmod 755 "$run"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    sessions="$(mktemp -d /dev/shm/mh-bench-sessions-XXXXXX)"
else
    sessions="$run/sessions"
    mkdir -p "$sessions"
fi
[ "$(id -u)" -eq 0 ] && chown www-data:www-data "$sessions"
trap 'stop; rm -rf "$run" "$sessions"' EXIT
store="lmdb path=$run/store"
admin() { "$build/tools/mapihttp-admin" --backend "$store" "$@"; }

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

start() {
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
MapiHttpBackend $store
MapiHttpSessionStore $sessions
Listen 127.0.0.1:$port
<Directory $run/htdocs>
    Require all granted
</Directory>
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

ticks() {
    for p in $(pgrep -f "$run/httpd.conf"); do cat "/proc/$p/stat" 2>/dev/null; done |
        sed 's/^.*) //' | awk '{ t += $12 + $13 } END { print t + 0 }'
}
hz="$(getconf CLK_TCK)"
failed=0
measure() {
    t0="$(ticks)"
    line="$("$@")" || failed=1
    t1="$(ticks)"
    rate="$(echo "$line" | awk -F'|' '{print $3 + 0}')"
    cpu="$(awk -v t="$((t1 - t0))" -v hz="$hz" -v r="$rate" -v s="$secs" \
        'BEGIN { printf "%7.0f", (r > 0 ? t * 1e6 / hz / (r * s) : 0) }')"
    echo "$line $cpu |"
}

mkdir -p "$run/htdocs"
echo "load before: $(uptime | sed 's/.*load average: //')" >&2
echo "| call ($threads connections, ${secs}s)                    | req/s    | p50 µs  | p90 µs  | p99 µs  | errors | client CPU µs/req | server CPU µs/req |"
echo "|----------------------------------------------|----------|---------|---------|---------|--------|---------|---------|"
for n in $sizes; do
    rm -rf "$run/store"
    admin init >/dev/null
    admin user add bench --name "Bench User" --email bench@example.com \
        --password bench-secret >/dev/null
    t0="$(date +%s.%N)"
    "$build/bench/bench-nspi" fill --store "$store" --entries "$n"
    echo "filled $n entries in $(echo "$(date +%s.%N) - $t0" | bc) s" >&2
    sync; sleep 1
    total=$((n + 2)) # the entries, Zoë Ångström, the bench user
    start
    b="$build/bench/bench-nspi run --port $port --threads $threads --user bench \
        --password bench-secret --total $total"
    # not reported: every process has checked the credentials and built its
    # snapshot of the directory once, and the store's pages are in memory
    for o in top frac seek resolve; do
        $b --op $o --seconds 2 >/dev/null || failed=1
    done
    measure $b --op top --seconds "$secs" --label "QueryRows 50, top ($n entries)"
    measure $b --op frac --seconds "$secs" --label "QueryRows 50, fractional ($n entries)"
    measure $b --op seek --seconds "$secs" --label "SeekEntries + 50 rows ($n entries)"
    measure $b --op resolve --seconds "$secs" --label "ResolveNames, one name ($n entries)"
    stop
done
echo "load after: $(uptime | sed 's/.*load average: //')" >&2
if grep -E ':(error|crit|alert|emerg)\]' "$run/error.log" >/dev/null; then
    echo "errors in the server log:" >&2
    grep -E ':(error|crit|alert|emerg)\]' "$run/error.log" | head >&2
    exit 1
fi
[ "$failed" -eq 0 ] || { echo "some requests failed (see above)" >&2; exit 1; }
