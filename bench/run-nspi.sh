#!/bin/sh
# The address book (bench/bench-nspi) over a private httpd (event MPM) on
# 127.0.0.1 with the LMDB backend (bench/common.sh): Bind, then QueryRows
# of 50 rows from the top and from a fractional position, SeekEntries by
# name and ResolveNames of one name, at each directory size in SIZES.
# Prints a markdown table (bench/README.md).
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
bench_name=nspi
. "$top/bench/common.sh"

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
check_log
