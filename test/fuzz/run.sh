#!/bin/sh
# Runs every libFuzzer target for a while, starting from the committed seed
# corpus (test/fuzz/corpus/<target>).  Usage: run.sh <build dir> [seconds]
# A crash leaves its input as <build dir>/fuzz-out/crash-*; the script fails.
set -e
build="$1"
secs="${2:-30}"
src="$(cd "$(dirname "$0")" && pwd)"
out="$build/fuzz-out"
mkdir -p "$out"
status=0
for target in ${MH_FUZZ_TARGETS:-fuzz_headers fuzz_bodies fuzz_rpcext fuzz_store fuzz_aux fuzz_ropinfo fuzz_oxcdata fuzz_ruleaction fuzz_execute}; do
    bin="$build/test/fuzz/$target"
    if [ ! -x "$bin" ]; then
        echo "no $bin: configure with --enable-fuzzing (clang)"; exit 1
    fi
    work="$out/$target"
    mkdir -p "$work"
    echo "fuzzing $target for ${secs}s"
    if ! "$bin" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$out/$target-" \
        "$work" "$src/corpus/$target" > "$out/$target.log" 2>&1; then
        echo "FAIL: $target found a problem:"; tail -40 "$out/$target.log"; status=1
    else
        grep -E "stat::number_of_executed_units|cov:" "$out/$target.log" | tail -2
    fi
done
exit $status
