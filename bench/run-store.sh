#!/bin/sh
# Store benchmarks on the LMDB backend at 1,000 and 100,000 messages, with
# durable commits (sync=full, the default) and without syncing (the
# backend's own cost).  Prints markdown tables (bench/README.md).
#   bench/run-store.sh [BUILD_DIR]      (default: build)
# Environment: MH_BENCH_DIR (a directory with ~1.5 GB free; default /tmp),
#   MH_BENCH_ITERATIONS (300).
set -e
top="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$top/build}"
base="${MH_BENCH_DIR:-/tmp}"
iters="${MH_BENCH_ITERATIONS:-300}"
dir="$(mktemp -d "$base/mh-bench-store-XXXXXX")"
trap 'rm -rf "$dir"' EXIT
for sync in full meta none; do
    for n in 1000 100000; do
        rm -rf "$dir/store"
        sync; sleep 1   # start each run with the page cache written back
        "$build/bench/bench-store" --dir "$dir/store" --messages "$n" --iterations "$iters" \
            --sync "$sync" 2>&1 | grep -v '^| operation' | grep '^|' |
            { [ "$sync" = full ] && cat || grep commit; }
    done
done
