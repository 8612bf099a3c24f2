#!/bin/sh
# PING-with-session over Basic auth against a static 1 KB file, on a private
# httpd (event MPM) on 127.0.0.1 with the LMDB backend and its
# authentication provider (bench/common.sh).  Prints a markdown table
# (bench/README.md).
#   bench/run-http.sh [BUILD_DIR]     (default: build)
# Environment: MH_BENCH_SECONDS (10), MH_BENCH_THREADS (8), MH_BENCH_PORT (18480),
#   MH_BENCH_PERF=FILE to record a system-wide perf profile of the PING run.
set -e
top="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$top/build}" && pwd)"
secs="${MH_BENCH_SECONDS:-10}"
threads="${MH_BENCH_THREADS:-8}"
port="${MH_BENCH_PORT:-18480}"
bench_name=http
. "$top/bench/common.sh"

mkdir -p "$run/htdocs/auth"
head -c 1024 /dev/urandom | base64 -w0 | head -c 1024 > "$run/htdocs/static-1k.txt"
cp "$run/htdocs/static-1k.txt" "$run/htdocs/auth/static-1k.txt"
admin init >/dev/null
admin user add bench --name Bench --email bench@example.com --password bench-secret >/dev/null
dn="$(admin user show bench | sed -n 's/^legacy DN: *//p')"

b="$build/bench/bench-http --port $port --threads $threads --seconds $secs"
echo "| request ($threads connections, ${secs}s)               | req/s    | p50 µs  | p90 µs  | p99 µs  | errors | client CPU µs/req |"
echo "|------------------------------------------|----------|---------|---------|---------|--------|---------|"
start
$b --mode static --path /static-1k.txt --label "static 1 KB file, no auth" || failed=1
$b --mode static --path /auth/static-1k.txt --user bench --password bench-secret \
    --label "static 1 KB file, Basic auth (lmdb)" || failed=1
$b --mode ping --user bench --password bench-secret --user-dn "$dn" \
    --label "PING with session, Basic auth (lmdb)" &
if [ -n "${MH_BENCH_PERF:-}" ]; then sleep 2; perf record -a -g -o "$MH_BENCH_PERF" sleep 4 >/dev/null 2>&1; fi
wait $! || failed=1
stop
start "MapiHttpAuthCacheTimeout 0"
$b --mode ping --user bench --password bench-secret --user-dn "$dn" --seconds 5 \
    --label "PING, Basic auth, no credentials cache" || failed=1
stop
check_log
