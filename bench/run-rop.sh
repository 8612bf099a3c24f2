#!/bin/sh
# The online-mode ROP batch of issue 4 (bench/bench-rop) against a static
# 1 KB file, on one private httpd (event MPM) on 127.0.0.1 with the LMDB
# backend, at the same concurrency, alternating ROUNDS times.  Prints a
# markdown table and the ratio (bench/README.md).
#   bench/run-rop.sh [BUILD_DIR]      (default: build)
# Environment: MH_BENCH_SECONDS (10), MH_BENCH_THREADS (16),
#   MH_BENCH_MESSAGES (10000), MH_BENCH_ROUNDS (3), MH_BENCH_PORT (18481),
#   MH_BENCH_BREAKDOWN (1: also PING and a minimal Execute, for comparison),
#   MH_BENCH_PERF=FILE to record a system-wide perf profile during the
#   first ROP run (MH_BENCH_PERF_GRAPH: perf's call-graph mode, default fp;
#   dwarf gives callers in code built without frame pointers).
set -e
top="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$top/build}" && pwd)"
secs="${MH_BENCH_SECONDS:-10}"
threads="${MH_BENCH_THREADS:-16}"
msgs="${MH_BENCH_MESSAGES:-10000}"
rounds="${MH_BENCH_ROUNDS:-3}"
port="${MH_BENCH_PORT:-18481}"
moddir="$(apxs -q LIBEXECDIR)"
run="$(mktemp -d /tmp/mh-bench-XXXXXX)"
chmod 755 "$run"
# the session store on tmpfs when there is one, as under Debian's
# /run/apache2 (DefaultRuntimeDir); here /tmp may be a disk
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

mkdir -p "$run/htdocs"
head -c 1024 /dev/urandom | base64 -w0 | head -c 1024 > "$run/htdocs/static-1k.txt"
admin init >/dev/null
admin user add bench --name "Bench User" --email bench@example.com \
    --password bench-secret >/dev/null
dn="$("$build/bench/bench-rop" fill --store "$store" --user bench --messages "$msgs")"
sync; sleep 1   # the fill's write-back is not part of the measurement

echo "load before: $(uptime | sed 's/.*load average: //')" >&2
start
failed=0
http="$build/bench/bench-http --port $port --threads $threads --seconds $secs"
rop="$build/bench/bench-rop run --port $port --threads $threads --seconds $secs \
    --user bench --password bench-secret --messages $msgs"
# CPU time the httpd's processes have used so far, in clock ticks: what a
# request costs the server, whatever else the machine is doing.
ticks() {
    for p in $(pgrep -f "$run/httpd.conf"); do cat "/proc/$p/stat" 2>/dev/null; done |
        sed 's/^.*) //' | awk '{ t += $12 + $13 } END { print t + 0 }'
}
hz="$(getconf CLK_TCK)"
# measure KIND COMMAND...: runs a bench program, prints its row with the
# server CPU per request added, and keeps its rate for the summary.
measure() {
    kind="$1"
    shift
    t0="$(ticks)"
    line="$("$@")" || failed=1
    t1="$(ticks)"
    rate="$(echo "$line" | awk -F'|' '{print $3 + 0}')"
    cpu="$(awk -v t="$((t1 - t0))" -v hz="$hz" -v r="$rate" -v s="$secs" \
        'BEGIN { printf "%7.0f", (r > 0 ? t * 1e6 / hz / (r * s) : 0) }')"
    echo "$line $cpu |"
    echo "$kind $rate $cpu" >> "$run/rates"
}
# a short run of each first, not reported: every httpd process has verified
# the credentials once and the store's pages are in memory
$http --mode static --path /static-1k.txt --seconds 2 >/dev/null || failed=1
$rop --user-dn "$dn" --seconds 2 >/dev/null || failed=1
echo "| request ($threads connections, ${secs}s)               | req/s    | p50 µs  | p90 µs  | p99 µs  | errors | client CPU µs/req | server CPU µs/req |"
echo "|------------------------------------------|----------|---------|---------|---------|--------|---------|---------|"
: > "$run/rates"
i=1
while [ "$i" -le "$rounds" ]; do
    measure static $http --mode static --path /static-1k.txt \
        --label "static 1 KB file (round $i)"
    if [ "$i" -eq 1 ] && [ -n "${MH_BENCH_PERF:-}" ]; then
        (sleep 2; perf record -a --call-graph "${MH_BENCH_PERF_GRAPH:-fp}" -o "$MH_BENCH_PERF" sleep 4 >/dev/null 2>&1) &
    fi
    measure rop $rop --user-dn "$dn" --label "ROP batch, $msgs-message Inbox (round $i)"
    i=$((i + 1))
done
wait
if [ "${MH_BENCH_BREAKDOWN:-1}" = 1 ]; then
    # what an Execute costs before its ROPs, for comparison (not in the ratio)
    measure ping $http --mode ping --user bench --password bench-secret --user-dn "$dn" \
        --label "PING with session (for comparison)"
    measure open $rop --user-dn "$dn" --batch open \
        --label "Execute: OpenFolder, Release (compar.)"
fi
echo "load after: $(uptime | sed 's/.*load average: //')" >&2
stop
awk '$1 == "static" { s += $2; sc += $3; ns++ } $1 == "rop" { r += $2; rc += $3; nr++ }
     END { printf "\nmean: static %.0f req/s, ROP batch %.0f req/s, ratio %.3f (goal: 0.333)\n",
                  s / ns, r / nr, (r / nr) / (s / ns)
           printf "server CPU per request: static %.0f µs, ROP batch %.0f µs\n",
                  sc / ns, rc / nr }' "$run/rates"
if grep -E ':(error|crit|alert|emerg)\]' "$run/error.log" >/dev/null; then
    echo "errors in the server log:" >&2
    grep -E ':(error|crit|alert|emerg)\]' "$run/error.log" | head >&2
    exit 1
fi
[ "$failed" -eq 0 ] || { echo "some requests failed (see above)" >&2; exit 1; }
