#!/bin/sh
# The online-mode ROP batch of issue 4 (bench/bench-rop) against a static
# 1 KB file, on one private httpd (event MPM) on 127.0.0.1 with the LMDB
# backend (bench/common.sh), at the same concurrency, alternating ROUNDS
# times.  Prints a markdown table and the ratio (bench/README.md).
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
bench_name=rop
. "$top/bench/common.sh"

head -c 1024 /dev/urandom | base64 -w0 | head -c 1024 > "$run/htdocs/static-1k.txt"
admin init >/dev/null
admin user add bench --name "Bench User" --email bench@example.com \
    --password bench-secret >/dev/null
dn="$("$build/bench/bench-rop" fill --store "$store" --user bench --messages "$msgs")"
sync; sleep 1   # the fill's write-back is not part of the measurement

echo "load before: $(uptime | sed 's/.*load average: //')" >&2
start
http="$build/bench/bench-http --port $port --threads $threads --seconds $secs"
rop="$build/bench/bench-rop run --port $port --threads $threads --seconds $secs \
    --user bench --password bench-secret --messages $msgs"
# measure_kind KIND COMMAND...: measure, keeping the rate for the summary
measure_kind() {
    kind="$1"
    shift
    measure "$@"
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
    measure_kind static $http --mode static --path /static-1k.txt \
        --label "static 1 KB file (round $i)"
    if [ "$i" -eq 1 ] && [ -n "${MH_BENCH_PERF:-}" ]; then
        (sleep 2; perf record -a --call-graph "${MH_BENCH_PERF_GRAPH:-fp}" -o "$MH_BENCH_PERF" sleep 4 >/dev/null 2>&1) &
    fi
    measure_kind rop $rop --user-dn "$dn" --label "ROP batch, $msgs-message Inbox (round $i)"
    i=$((i + 1))
done
wait
if [ "${MH_BENCH_BREAKDOWN:-1}" = 1 ]; then
    # what an Execute costs before its ROPs, for comparison (not in the ratio)
    measure_kind ping $http --mode ping --user bench --password bench-secret --user-dn "$dn" \
        --label "PING with session (for comparison)"
    measure_kind open $rop --user-dn "$dn" --batch open \
        --label "Execute: OpenFolder, Release (compar.)"
fi
echo "load after: $(uptime | sed 's/.*load average: //')" >&2
stop
awk '$1 == "static" { s += $2; sc += $3; ns++ } $1 == "rop" { r += $2; rc += $3; nr++ }
     END { printf "\nmean: static %.0f req/s, ROP batch %.0f req/s, ratio %.3f (goal: 0.333)\n",
                  s / ns, r / nr, (r / nr) / (s / ns)
           printf "server CPU per request: static %.0f µs, ROP batch %.0f µs\n",
                  sc / ns, rc / nr }' "$run/rates"
check_log
